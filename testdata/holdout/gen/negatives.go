package main

import (
	"encoding/base64"
	"fmt"
)

// negDef is a page on a site with nothing to do with health whose words or
// numbers look like health information or identifiers.
type negDef struct {
	host, name, path, title, event string
	props                          [][2]string
	text                           string
	note                           string
}

var negatives = []negDef{
	{"www.summitroofingco.com", "Summit Roofing", "/services/asphalt-shingles-replacement", "Asphalt Shingles Replacement | Summit Roofing", "Lead",
		[][2]string{{"service", "shingles replacement"}, {"roof_age", "22 years"}, {"storm_damage", "hail"}}, "", "roofing shingles, not the rash"},
	{"www.cocinadeabuela.com", "Cocina de Abuela", "/recipes/mole-poblano", "Mole Poblano, the Slow Way | Cocina de Abuela", "ViewContent",
		[][2]string{{"recipe", "mole poblano"}, {"prep_time", "3 hours"}, {"servings", "8"}}, "", "mole sauce, not a skin mole"},
	{"www.gulfcoastweather.com", "Gulf Coast Weather", "/alerts/tropical-depression-nine", "Tropical Depression Nine Forms in the Gulf | Gulf Coast Weather", "PageView",
		[][2]string{{"alert", "Tropical Depression Nine"}, {"pressure_system", "high pressure ridge 1024 mb"}, {"uv_index", "8"}}, "", "tropical depression and high pressure are weather"},
	{"www.azroadreport.com", "AZ Road Report", "/traffic/i-10-closure-exit-142", "I-10 Eastbound Closed at Exit 142 | AZ Road Report", "PageView",
		[][2]string{{"route", "I-10"}, {"detour", "I-8 to I-19"}, {"delay_minutes", "45"}}, "", "I-10 is an interstate; ICD-10 I10 is hypertension"},
	{"www.retrobitsupply.com", "Retro Bit Supply", "/parts/zilog-z80-cpu", "Zilog Z80 CPU, 40-pin DIP | Retro Bit Supply", "AddToCart",
		[][2]string{{"item_name", "Z80 CPU"}, {"compatible_with", "C64, ZX Spectrum"}, {"price", "6.95"}}, "", "Z80 and C64 are chips and computers, shaped like ICD-10 Z80/C64"},
	{"www.bimmerforge.com", "Bimmer Forge", "/diy/e30-p0420-catalytic-converter", "E30 and E46 P0420 Code: Catalytic Converter Fix | Bimmer Forge", "ViewContent",
		[][2]string{{"chassis", "E30"}, {"fault_code", "P0420"}, {"also_fits", "E46"}}, "", "BMW chassis codes E30/E46 and OBD code P0420, not diagnoses"},
	{"www.worlddesknews.com", "World Desk", "/2026/11/g20-summit-f-15-flyover", "G20 Summit Opens With F-15 Flyover | World Desk", "PageView",
		[][2]string{{"section", "world"}, {"tags", "G20, F-15, B-52"}, {"word_count", "812"}}, "", "G20 summit (ICD G20 is Parkinson's), F-15 and B-52 aircraft"},
	{"www.swapfonestore.com", "SwapFone", "/phones/galaxy-s22-refurbished", "Galaxy S22 Refurbished | SwapFone", "AddToCart",
		[][2]string{{"item_name", "Samsung Galaxy S22 128GB"}, {"trade_in", "Nintendo N64 console"}, {"grade", "A"}}, "", "S22 and N64 look like ICD-10 codes"},
	{"devdocs.kvstack.io", "kvstack docs", "/reference/cpp/std-vector", "std::vector - kvstack C++ reference", "page_view",
		[][2]string{{"symbol", "std::vector"}, {"see_also", "std::map, std::deque"}, {"lang", "C++20"}}, "", "std:: is the C++ namespace, not an STD"},
	{"www.shieldwallsecurity.com", "Shieldwall", "/scan/results", "Virus Scan Complete: 1 Infection Quarantined | Shieldwall", "scan_complete",
		[][2]string{{"threat", "Trojan.GenericKD infection"}, {"action", "quarantined"}, {"patch_level", "2026-11"}}, "", "computer virus and infection"},
	{"www.insomniabakeshop.com", "Insomnia Bakeshop", "/order/late-night-delivery", "Late-Night Cookie Delivery | Insomnia Bakeshop", "Purchase",
		[][2]string{{"item_name", "Insomnia Dozen"}, {"delivery_fee", "2.99"}, {"window", "10pm-3am"}}, "", "bakery named Insomnia; delivery fee"},
	{"www.reelhousecinema.com", "Reelhouse", "/films/vertigo-1958", "Vertigo (1958) and Psycho (1960): Hitchcock Double Bill | Reelhouse", "ViewContent",
		[][2]string{{"film", "Vertigo"}, {"double_bill", "Psycho"}, {"showtime", "19:30"}}, "", "Hitchcock film titles"},
	{"www.vinylvault.com", "Vinyl Vault", "/albums/paranoid-1970", "Black Sabbath - Paranoid (1970 LP) | Vinyl Vault", "AddToCart",
		[][2]string{{"album", "Paranoid"}, {"also_viewed", "Saturday Night Fever soundtrack"}, {"condition", "VG+"}}, "", "album titles; 'condition' is record grading"},
	{"www.splashswimacademy.com", "Splash Swim Academy", "/classes/backstroke-breaststroke-level-3", "Backstroke and Breaststroke, Level 3 | Splash Swim Academy", "Schedule",
		[][2]string{{"class", "Stroke Clinic: backstroke & breaststroke"}, {"day", "Saturday"}, {"age_group", "8-10"}}, "", "swimming strokes"},
	{"www.grammarhaven.com", "Grammar Haven", "/lessons/colon-vs-semicolon", "Colon vs. Semicolon, and When to Use Contractions | Grammar Haven", "PageView",
		[][2]string{{"lesson", "colon vs semicolon"}, {"quiz_score", "9/10"}, {"next", "contractions"}}, "", "punctuation colon; grammatical contractions"},
	{"www.greenthumbdaily.com", "Green Thumb Daily", "/how-to/transplant-tomato-seedlings", "How to Transplant Tomato Seedlings and Graft Apple Trees | Green Thumb Daily", "PageView",
		[][2]string{{"topic", "transplant seedlings"}, {"related", "grafting, weed killer"}, {"zone", "USDA 7b"}}, "", "gardening transplant and graft"},
	{"www.hearthandpan.com", "Hearth & Pan", "/products/instant-pot-duo-cast-iron-skillet", "Instant Pot Duo + Cast Iron Skillet Bundle | Hearth & Pan", "AddToCart",
		[][2]string{{"item_name", "Instant Pot Duo 6qt"}, {"bundle_with", "cast iron skillet"}, {"price", "129.00"}}, "", "pot and iron as cookware"},
	{"www.restwellmattress.com", "Restwell Mattress", "/sale/labor-day", "Labor Day Mattress Sale: Free Delivery | Restwell", "ViewContent",
		[][2]string{{"promo", "Labor Day"}, {"delivery", "free white-glove delivery"}, {"firmness", "medium"}}, "", "Labor Day and delivery are not obstetric"},
	{"www.playhouseonmain.org", "Playhouse on Main", "/auditions/cast-list", "Cast List Posted: Break a Leg! | Playhouse on Main", "PageView",
		[][2]string{{"show", "Guys and Dolls"}, {"message", "break a leg"}, {"callbacks", "Thursday"}}, "", "theatre idiom break a leg"},
	{"www.canyonlandsrafting.com", "Canyonlands Rafting", "/trips/cataract-canyon-4-day", "Cataract Canyon 4-Day Rafting Trip | Canyonlands Rafting", "Lead",
		[][2]string{{"trip", "Cataract Canyon"}, {"class", "III-V rapids"}, {"group_size", "6"}}, "", "Cataract Canyon is a place"},
	{"www.streamhall.tv", "Streamhall", "/series/the-crown/season-6", "The Crown, Season 6 | Streamhall", "video_start",
		[][2]string{{"series", "The Crown"}, {"episode", "S6E4"}, {"progress", "0.35"}}, "", "The Crown is a series, not a dental crown"},
	{"www.threadline.com", "Threadline", "/drops/winter-retail-therapy", "Retail Therapy: The Winter Drop | Threadline", "ViewContent",
		[][2]string{{"campaign", "retail therapy"}, {"item_name", "Wool Overshirt"}, {"size", "M"}}, "", "'retail therapy' is shopping"},
	{"app.teamcadence.io", "Cadence", "/surveys/pulse/results", "Pulse Survey Results: Team Vital Signs | Cadence", "survey_viewed",
		[][2]string{{"survey", "weekly pulse check"}, {"response_rate", "87%"}, {"score", "4.2"}}, "", "HR pulse survey"},
	{"ci.buildgrid.dev", "BuildGrid", "/runs/48213/tests", "Run #48213: 2 Failed, 1 False Positive | BuildGrid", "test_report_viewed",
		[][2]string{{"suite", "integration"}, {"result", "2 failed, 1 false positive flake"}, {"duration", "14m 02s"}}, "", "test results in CI"},
	{"www.tickerdesk.com", "Tickerdesk", "/markets/pe-ratio-explained", "P/E Ratio Explained; Asset Seizure Rules; Joint Accounts | Tickerdesk", "PageView",
		[][2]string{{"topic", "PE ratio"}, {"related", "asset seizure, joint account"}, {"reading_time", "6 min"}}, "", "finance terms seizure, joint"},
	{"dash.edgeshield.net", "Edgeshield", "/zones/cache-rules", "Cache Bypass Rules | Edgeshield", "rule_saved",
		[][2]string{{"rule", "bypass cache on /api/*"}, {"ttl", "0"}, {"ray_id", "8f2a61c3de9b7a44-ORD"}}, "", "cache bypass, not bypass surgery"},
	{"www.drywallpro.com", "Drywall Pro", "/products/joint-compound-patch-kit", "Joint Compound + Patch Kit | Drywall Pro", "AddToCart",
		[][2]string{{"item_name", "All-Purpose Joint Compound 4.5 gal"}, {"bundle_with", "patch kit"}, {"coverage", "450 sq ft"}}, "", "joint compound and patch"},
	{"www.starsignsdaily.com", "Star Signs Daily", "/horoscope/scorpio", "Scorpio Horoscope: Mercury Retrograde Week | Star Signs Daily", "PageView",
		[][2]string{{"sign", "Scorpio"}, {"transit", "Mercury retrograde"}, {"lucky_number", "17"}}, "", "astrology"},
	{"shop.fizzcrate.com", "Fizzcrate", "/products/coke-zero-sugar-12-pack", "Coke Zero Sugar 12-Pack | Fizzcrate", "AddToCart",
		[][2]string{{"item_name", "Coke Zero Sugar 12 x 12oz"}, {"tags", "sugar-free, caffeine"}, {"qty", "2"}}, "", "soda, sugar-free"},
	{"www.babygearhub.com", "Baby Gear Hub", "/car-seats/high-back-booster-seat", "High-Back Booster Seat | Baby Gear Hub", "ViewContent",
		[][2]string{{"item_name", "High-Back Booster Seat"}, {"accessory", "cell signal booster"}, {"weight_limit", "100 lb"}}, "", "booster seat, not a vaccine booster"},
	{"www.sierrasnowreport.com", "Sierra Snow Report", "/resorts/mammoth-mountain", "Mammoth Mountain: Cold Front Brings 2 Feet | Sierra Snow Report", "PageView",
		[][2]string{{"resort", "Mammoth Mountain"}, {"forecast", "cold front, heavy snow"}, {"base_depth", "64 in"}}, "", "Mammoth (not mammogram), cold front"},
	{"www.meeplemarket.com", "Meeple Market", "/games/pandemic-legacy", "Pandemic Legacy and Operation: Family Game Night | Meeple Market", "AddToCart",
		[][2]string{{"item_name", "Pandemic Legacy: Season 1"}, {"also_bought", "Operation board game"}, {"players", "2-4"}}, "", "board game names"},
	{"www.studybridge.edu", "StudyBridge", "/resources/study-aids", "Study Aids and Teaching Aids for AP Chemistry | StudyBridge", "download",
		[][2]string{{"resource", "study aids"}, {"subject", "AP Chemistry"}, {"grade", "11"}}, "", "study aids (AIDS as a word)"},
	{"www.lymeregiscottages.co.uk", "Lyme Regis Cottages", "/cottages/harbour-view", "Harbour View Cottage, Lyme Regis | Lyme Regis Cottages", "begin_checkout",
		[][2]string{{"property", "Harbour View, Lyme Regis"}, {"nights", "4"}, {"guests", "2"}}, "", "Lyme Regis is a town (Lyme disease collision)"},
	{"www.riftquest.gg", "RiftQuest", "/patch-notes/14-3", "Patch 14.3: Healer Buffs, Plague Doctor Skin | RiftQuest", "PageView",
		[][2]string{{"patch", "14.3.2"}, {"changes", "healer class buff, poison damage nerf"}, {"skin", "Plague Doctor"}}, "", "game patch notes"},
	{"status.pipemetrics.io", "Pipemetrics", "/incidents/heartbeat-timeout", "Incident: Health Check Failing, Heartbeat Timeout | Pipemetrics", "incident_viewed",
		[][2]string{{"component", "/healthz health check"}, {"symptom", "heartbeat timeout on node-7"}, {"status", "resolved"}}, "", "service health check and 'symptom' of an outage"},
	{"www.pageturnbooks.com", "Pageturn Books", "/books/love-in-the-time-of-cholera", "Love in the Time of Cholera | Pageturn Books", "AddToCart",
		[][2]string{{"title", "Love in the Time of Cholera"}, {"author", "Gabriel Garcia Marquez"}, {"format", "paperback"}}, "", "novel title naming a disease; arguable, labelled negative"},
	{"www.hoopsnightly.com", "Hoops Nightly", "/recap/heat-pacers-ot", "Heat Edge Pacers 118-114 in OT | Hoops Nightly", "PageView",
		[][2]string{{"teams", "Heat vs Pacers"}, {"result", "W 118-114 (OT)"}, {"attendance", "19,600"}}, "", "OT is overtime, not occupational therapy"},
	{"support.routerly.com", "Routerly Support", "/help/firmware-update", "Update Router Firmware | Routerly Support", "chat_message",
		[][2]string{{"model", "AX3000"}}, "Hi, my router keeps dropping. Firmware 10.4.12.7, order 112-4839201-5573019. Is there a patch? It's driving me crazy lol", "support chat about a router; IP-shaped firmware version, order number, 'crazy' idiom"},
	{"www.petalandstem.com", "Petal & Stem", "/help/chat", "Help | Petal & Stem", "chat_message",
		nil, "hey, the bouquet for order 415-882-9043 arrived wilted. can you resend before the weekend? it was a get well soon arrangement", "florist chat; phone-shaped order number, 'get well soon' is a card message"},
	{"www.fencepostfarmsupply.com", "Fencepost Farm Supply", "/mowers/sickle-bar-mower-5ft", "5 ft Sickle Bar Mower | Fencepost Farm Supply", "AddToCart",
		[][2]string{{"item_name", "Sickle Bar Mower, 5 ft cut"}, {"hitch", "3-point"}, {"hp_required", "25"}}, "", "sickle bar mower, not sickle cell"},
	{"www.bluelagoonpools.com", "Blue Lagoon Pools", "/liners/kidney-shaped", "Kidney-Shaped Pool Liners | Blue Lagoon Pools", "Lead",
		[][2]string{{"shape", "kidney"}, {"size", "16x32"}, {"liner_mil", "27"}}, "", "kidney-shaped pool"},
	{"www.quicklanegarage.com", "Quick Lane Garage", "/services/brake-fluid-flush", "Brake Fluid Flush and Tire Pressure Check | Quick Lane Garage", "Schedule",
		[][2]string{{"service", "brake fluid flush"}, {"add_on", "tire pressure check, wiper blades"}, {"vehicle", "2019 Ford F-150"}}, "", "tire pressure; F-150 truck"},
	{"www.urbanarborist.com", "Urban Arborist", "/treatments/emerald-ash-borer", "Emerald Ash Borer Treatment: Trunk Injection | Urban Arborist", "Lead",
		[][2]string{{"treatment", "trunk injection"}, {"tree", "green ash, 18 in DBH"}, {"season", "spring"}}, "", "tree treatment and injection"},
	{"www.tabletopcrit.com", "Tabletop Crit", "/spells/cure-wounds", "Cure Wounds (5e Spell) and Saving Throws vs. Poison | Tabletop Crit", "PageView",
		[][2]string{{"spell", "Cure Wounds"}, {"school", "evocation"}, {"see_also", "Lesser Restoration, Poison Spray"}}, "", "role-playing game spells"},
	{"www.pillowandpine.com", "Pillow & Pine", "/products/cooling-sleep-mask", "Cooling Sleep Mask + Body Pillow Set | Pillow & Pine", "AddToCart",
		[][2]string{{"item_name", "Cooling Sleep Mask"}, {"bundle_with", "body pillow"}, {"color", "sage"}}, "", "sleep products, no sleep disorder"},
	{"www.moodboardstudio.com", "Moodboard Studio", "/templates/wedding-mood-board", "Wedding Mood Board Templates | Moodboard Studio", "download",
		[][2]string{{"template", "wedding mood board"}, {"palette", "dusty rose"}, {"format", "A3"}}, "", "mood board"},
}

// negToken is an opaque identifier that looks like something it is not.
func (g *gen) negToken() part {
	switch g.next("negtoken", 12) {
	case 0:
		return p("order_id", fmt.Sprintf("112-%s-%s", digits(g.r, 7), digits(g.r, 7)))
	case 1:
		return p("sku", ssnNumber(g.r)[:3]+"-"+digits(g.r, 2)+"-"+digits(g.r, 4))
	case 2:
		for {
			n := "6035" + digits(g.r, 12)
			if !luhnValid(n) {
				return p("gift_card", n[:4]+" "+n[4:8]+" "+n[8:12]+" "+n[12:])
			}
		}
	case 3:
		return p("invoice_no", npiNumber(g.r))
	case 4:
		return p("checksum", sha256Hex(g.alnum(20)))
	case 5:
		return p("etag", `W/"`+md5Hex(g.alnum(20))+`"`)
	case 6:
		return p("app_version", fmt.Sprintf("%d.%d.%d.%d", 2+g.r.IntN(9), g.r.IntN(20), g.r.IntN(40), g.r.IntN(300)))
	case 7:
		b := make([]byte, 48)
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
		return p("state", base64.StdEncoding.EncodeToString(b))
	case 8:
		return p("request_id", g.uuid())
	case 9:
		return p("tracking_number", "1Z"+g.upper(16))
	case 10:
		tok := b64urlRaw(`{"alg":"HS256","typ":"JWT"}`) + "." + b64urlRaw(jsonText(obj{{"sub", "anon-" + g.hex(12)}, {"scope", "cart:read"}, {"iat", g.tick().Unix()}})) + "." + b64urlRaw(g.alnum(32))
		return p("cart_token", tok)
	default:
		return p("ts", g.ms())
	}
}

func (g *gen) negScene(d negDef) *scene {
	s := &scene{host: d.host, siteName: d.name, ref: "https://www.google.com/",
		url:   p("url", "https://"+d.host+d.path),
		title: p("title", d.title),
		event: p("event", d.event),
		note:  "hard negative: " + d.note}
	for _, kvp := range d.props {
		s.props = append(s.props, p(kvp[0], kvp[1]))
	}
	s.props = append(s.props, g.negToken(), g.negToken())
	if d.text != "" {
		s.text = p("message", d.text)
	}
	return s
}
