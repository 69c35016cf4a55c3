package main

import (
	"fmt"
	"net/url"
)

// Fictitious people. Phone numbers use the 555-01xx range reserved for
// fiction, e-mail addresses use reserved example domains.
const (
	janeEmail   = "jane.doe@example.com"
	marcusEmail = "marcus.lee82@example.org"
	priyaEmail  = "priya.raman@example.net"
	tomasEmail  = "tomas.herrera@example.com"
)

// Sites the requests come from.
const (
	clinic    = "https://www.northbayhealth.example"
	portal    = "https://portal.northbayhealth.example"
	tele      = "https://www.calmpath-telehealth.example"
	pharmacy  = "https://www.rxcorner-pharmacy.example"
	shop      = "https://www.lumenhome-store.example"
	news      = "https://www.dailyledger-news.example"
	saas      = "https://app.ledgerly.example"
	gamesite  = "https://play.pixelforge.example"
	antiques  = "https://www.attic-finds-antiques.example"
	bikeshop  = "https://www.spokeandchain.example"
	fertility = "https://www.brightstart-fertility.example"
)

func build(c *corpus) {
	buildMeta(c)
	buildGA4(c)
	buildAds(c)
	buildTikTok(c)
	buildLinkedIn(c)
	buildIntercom(c)
	buildSegment(c)
	buildMixpanel(c)
	buildSnowplow(c)
	buildPostHog(c)
	buildDatadog(c)
	buildSentry(c)
	buildFullStory(c)
	buildHotjar(c)
	buildSecondBatch(c)
}

func buildMeta(c *corpus) {
	c.add("meta", metaGET(clinic+"/conditions/depression/", "https://www.google.com/", "PageView",
		"ud[em]", sha256hex(janeEmail)),
		"condition page URL in dl; email only as ud[em] SHA-256",
		cond("depression")).hashed(email(janeEmail))

	c.add("meta", metaGET(pharmacy+"/refills/", pharmacy+"/account/", "ViewContent",
		"cd[content_name]", "Zoloft 50 mg tablet (30 day supply)", "cd[content_type]", "product", "cd[value]", "12.00", "cd[currency]", "USD"),
		"brand Zoloft in content_name; canonical generic sertraline",
		med("sertraline", "zoloft"))

	c.add("meta", metaPOST(clinic+"/sexual-health/", clinic+"/", "SubscribedButtonClick",
		"cd[buttonFeatures]", js(`{"classList":"btn btn-primary","destination":"https://www.northbayhealth.example/book?service=hiv-testing","id":"","imageUrl":"","innerText":"Book a free HIV test","numChildButtons":0,"tag":"a","type":null,"name":""}`),
		"cd[buttonText]", "Book a free HIV test", "cd[formFeatures]", "[]", "cd[pageFeatures]", js(`{"title":"Sexual Health Services | North Bay Health"}`)),
		"button text and destination URL name HIV testing (POST form, JSON in cd[buttonFeatures]) (post-hoc: added procedure hiv test after the first run)",
		cond("hiv", "human immunodeficiency virus"), proc("hiv test", "hiv testing"))

	c.add("meta", metaGET(tele+"/get-started", tele+"/", "SubscribedButtonClick",
		"cd[buttonText]", "Start online therapy", "cd[buttonFeatures]", js(`{"innerText":"Start online therapy","tag":"button","classList":"cta"}`)),
		"button text: online therapy is a mental-health service (procedure)",
		proc("therapy", "psychotherapy", "online therapy"))

	c.add("meta", metaGET(clinic+"/find-a-doctor?specialty="+url.QueryEscape("Oncology")+"&zip=94110", clinic+"/find-a-doctor", "PageView",
		"ud[zp]", sha256hex("94110")),
		"doctor search for oncology; specialty and ZIP in the dl query; the ZIP is the visitor's search location, labelled zip",
		spec("oncology", "medical oncology"), it("zip", "94110"))

	c.add("meta", metaPOST(clinic+"/weight-loss/consult", "https://www.bing.com/", "Lead",
		"cd[formFeatures]", js(`[{"id":"meds","name":"current_meds","tag":"input","placeholder":"Are you currently taking Ozempic or Mounjaro?","inputType":"text","valueMeaning":"empty"}]`),
		"cd[pageFeatures]", js(`{"title":"Medical Weight Loss Consultation"}`)),
		"form placeholder names two GLP-1 brands: Ozempic (semaglutide), Mounjaro (tirzepatide); page title names medical weight loss (post-hoc: added the weight-loss procedure after the first run)",
		med("semaglutide", "ozempic"), med("tirzepatide", "mounjaro"), proc("weight loss", "weight management", "medical weight loss"))

	c.add("meta", metaGET(clinic+"/womens-health/abortion-care/", clinic+"/womens-health/", "PageView",
		"ud[em]", sha256hex(priyaEmail), "ud[fn]", sha256hex("priya"), "ud[ln]", sha256hex("raman"), "ud[db]", sha256hex("19910708")),
		"abortion care page in dl; identity only as Advanced Matching hashes",
		proc("abortion", "abortion care")).hashed(email(priyaEmail), it("name", "priya raman"), it("dob", "1991-07-08"))

	c.add("meta", metaGET(shop+"/lighting/ambient-lighting-kit", shop+"/lighting/", "ViewContent",
		"cd[content_name]", "Ambient Lighting Kit + Cold Brew Coffee Maker Bundle", "cd[value]", "49.99", "cd[currency]", "USD", "cd[content_ids]", `["SKU-88213"]`),
		"hard negative: retail product names and a price")

	c.add("meta", metaGET(news+"/sports/2026/11/27/stroke-of-genius-late-putt-wins-open", news+"/sports/", "PageView",
		"cd[pageFeatures]", js(`{"title":"A stroke of genius: late putt wins the Open"}`)),
		"hard negative: 'stroke' in a sports idiom and a golf stroke")

	c.add("meta", metaGET(shop+"/checkout/thank-you?order=4155550199", shop+"/checkout/", "Purchase",
		"cd[order_id]", "4155550199", "cd[value]", "129.00", "cd[currency]", "USD", "cd[num_items]", "3"),
		"hard negative: a 10-digit order number that looks like a phone number, named order_id")

	c.add("meta", metaGET(clinic+"/addiction-medicine/suboxone-treatment-near-you", "https://www.google.com/", "ViewContent",
		"cd[pageFeatures]", js(`{"title":"Suboxone Treatment Near You | Same-Week Appointments"}`)),
		"Suboxone = buprenorphine/naloxone; in dl path and page title; addiction medicine in the path (post-hoc: added specialty and treatment procedure after the first run)",
		med("buprenorphine", "suboxone", "buprenorphine and naloxone"), spec("addiction medicine"), proc("addiction treatment", "suboxone treatment", "opioid treatment"))

	c.add("meta", metaGET(antiques+"/glassware/depression-glass-pink-cake-plate", antiques+"/glassware/", "ViewContent",
		"cd[content_name]", "Depression Glass Pink Cake Plate (1930s)", "cd[value]", "38.00", "cd[currency]", "USD"),
		"hard negative: 'Depression glass' is an antique glassware category, not a condition")

	c.add("meta", metaGET(clinic+"/patient-intake/step-2", clinic+"/patient-intake/step-1", "CompleteRegistration",
		"cd[user_email]", "  Jane.Doe@Example.com ", "cd[phone]", "(415) 555-0134"),
		"plaintext email (mixed case, padded) and phone in custom data on an intake flow",
		email(janeEmail), phone("14155550134"))

	c.add("meta", metaGET(tele+"/dermatology/acne/accutane", "https://www.google.com/search?q="+url.QueryEscape("accutane online prescription"), "PageView"),
		"Accutane (isotretinoin) in the path and a Google search referrer in rl; acne condition; dermatology in path",
		med("isotretinoin", "accutane"), cond("acne"), spec("dermatology"))

	c.add("meta", metaGET(clinic+"/mental-health/bipolar-disorder/", "https://www.google.com/search?q=signs+of+bipolar+disorder+in+women", "PageView"),
		"bipolar disorder in dl path and in the search referrer rl",
		cond("bipolar disorder", "bipolar"))
}

func buildGA4(c *corpus) {
	const gaHost = "region1.google-analytics.com"
	c.add("ga4", ga4GET(gaHost, clinic+"/services/gastroenterology/colonoscopy", "Colonoscopy Prep Instructions | North Bay Health", "page_view"),
		"colonoscopy in dl and dt; gastroenterology in path",
		proc("colonoscopy"), spec("gastroenterology"))

	c.add("ga4", ga4GET(gaHost, tele+"/checkout/success", "Payment complete", "Paid: Weekly Therapy",
		"ep.plan", "weekly", "epn.value", "90"),
		"event name 'Paid: Weekly Therapy' (FTC BetterHelp/Cerebral pattern)",
		proc("therapy", "weekly therapy", "psychotherapy"))

	c.add("ga4", ga4GET(gaHost, portal+"/visits/summary", "Visit Summary", "view_visit_summary",
		"uid", "pt-882193", "up.diagnosis", "F32.9", "up.portal_user", "true"),
		"ICD-10 F32.9 (major depressive disorder, single episode, unspecified) in a diagnosis user property on a portal page",
		cond("depression", "f32.9", "major depressive disorder", "depressive disorder"))

	c.add("ga4", ga4POST(gaHost, portal+"/messages/new", "New Message | Patient Portal",
		q("en", "page_view", "_et", "12"),
		q("en", "form_submit", "ep.form_id", "new-message", "ep.field", "reason", "ep.value", "chest pain when climbing stairs", "_et", "5012"),
		q("en", "scroll", "epn.percent_scrolled", "90")),
		"batched GA4 POST; a symptom in a form value on a logged-in portal",
		cond("chest pain"))

	c.add("ga4", ga4GET(gaHost, saas+"/reports?id=7e1f6a0c-2b9d-4c3e-8f1a-5d6e7f8a9b0c", "Reports | Ledgerly", "click",
		"ep.button", "Export CSV", "ep.report_type", "quarterly_revenue", "epn.rows", "1432"),
		"hard negative: SaaS dashboard click, UUID in the URL")

	c.add("ga4", ga4GET(gaHost, saas+"/settings/about", "About | Ledgerly", "app_info",
		"ep.app_version", "F32.9", "ep.build", "2026.11.3-rc1", "ep.platform", "linux"),
		"hard negative: 'F32.9' is a build/version string in app_version, not an ICD-10 code")

	c.add("ga4", ga4GET(gaHost, tele+"/adhd/adults", "Adult ADHD Evaluation Online", "page_view",
		"dr", "https://www.google.com/search?q=adhd+medication+for+adults+online"),
		"ADHD in dl, dt and the search referrer dr",
		cond("adhd", "attention deficit hyperactivity disorder", "attention-deficit/hyperactivity disorder"))

	c.add("ga4", ga4GET(gaHost, clinic+"/book/confirm", "Appointment Confirmed", "generate_lead",
		"ep.appointment_type", "Prenatal visit", "ep.specialty", "OB/GYN", "ep.location", "Petaluma"),
		"booking event: prenatal appointment with OB/GYN",
		spec("obstetrics", "ob/gyn", "obstetrics and gynecology", "obstetrics & gynecology", "gynecology"), proc("prenatal", "prenatal care", "prenatal visit"))

	c.add("ga4", ga4GET(gaHost, clinic+"/account/welcome", "Welcome", "sign_up",
		"em", sha256hex(marcusEmail), "ep.method", "email"),
		"email only as a SHA-256 hex in GA4 em (user-provided data)",
	).hashed(email(marcusEmail))

	c.add("ga4", ga4GET(gaHost, news+"/horoscopes/cancer", "Cancer Horoscope for Today, November 28", "page_view",
		"ep.section", "astrology"),
		"hard negative: Cancer the zodiac sign")

	c.add("ga4", ga4GET(gaHost, tele+"/search?q="+url.QueryEscape("birth control pills delivered"), "Search results", "search",
		"dr", url.QueryEscape(tele+"/womens-health?topic=birth control")),
		"birth control in the dl search and in a dr that is percent-encoded twice",
		med("birth control", "contraception", "contraceptive", "oral contraceptive"))

	c.add("ga4", ga4GET(gaHost, portal+"/profile", "My Profile", "profile_update",
		"uid", "pt-551902", "up.user_zip", "60614", "up.age", "44"),
		"patient ZIP as a user property on a portal page",
		it("zip", "60614"))

	c.add("ga4", ga4GET(gaHost, saas+"/billing", "Billing", "purchase",
		"ep.transaction_id", "T-1764324012345", "ep.session_start", "1764320001000", "ep.txn_uuid", "3f2b8c1d-9e4a-4b7f-a6c5-d2e1f0a9b8c7", "epn.value", "299.00", "ep.currency", "USD"),
		"hard negative: timestamps, UUID, price")

	c.add("ga4", ga4GET(gaHost, pharmacy+"/pharmacy/refill?rx=metformin-er-500mg&store=0412", "Refill Prescription", "begin_checkout"),
		"medication in the refill URL query",
		med("metformin"))

	c.add("ga4", ga4GET(gaHost, tele+"/checkout/success", "Payment complete", "Paid: Med Management",
		"epn.value", "85"),
		"event name 'Paid: Med Management' (psychiatric medication management)",
		proc("medication management", "med management"))

	c.add("ga4", ga4GET(gaHost, clinic+"/find-a-doctor/results?npi=1234567893", "Dr. Alan Chu, MD", "view_provider",
		"ep.provider_npi", "1234567893", "ep.provider_specialty", "Cardiology"),
		"provider NPI (valid Luhn with 80840 prefix) and specialty on a doctor page",
		it("npi", "1234567893"), spec("cardiology"))

	c.add("ga4", ga4GET(gaHost, shop+"/orders/track", "Track your order", "track_order",
		"ep.tracking_number", "1Z999AA10123456784", "ep.order_number", "312-555-0199", "ep.carrier", "UPS"),
		"hard negative: UPS tracking number and a phone-shaped order number under order_number")

	c.add("ga4", ga4POST(gaHost, clinic+"/behavioral-health/eating-disorders/", "Eating Disorder Treatment | North Bay Health",
		q("en", "page_view", "_et", "3"),
		q("en", "view_item", "ep.program", "Anorexia & Bulimia Intensive Outpatient", "_et", "800")),
		"batched POST: eating-disorder page with program naming anorexia and bulimia (post-hoc: added behavioral health specialty and treatment procedure after the first run)",
		spec("behavioral health"), proc("eating disorder treatment"), cond("eating disorder", "eating disorders"), cond("anorexia", "anorexia nervosa"), cond("bulimia", "bulimia nervosa"))
}

func buildAds(c *corpus) {
	c.add("gads", adsGET(clinic+"/book/std-testing", clinic+"/sexual-health/", "STD Testing & Treatment | Book Online",
		"data", "event=conversion"),
		"STD testing booking page in url and tiba (post-hoc: added procedure sti testing after the first run)",
		cond("sexually transmitted infection", "std", "sti", "sexually transmitted disease"), proc("sti testing", "std testing"))

	c.add("gads", adsGET(tele+"/mental-health/anxiety/start", tele+"/", "Anxiety Treatment Online",
		"data", "event=conversion;value=0", "em", "tv.1~em."+sha256b64url(tomasEmail)),
		"anxiety page; email only as Enhanced Conversions base64url SHA-256",
		cond("anxiety")).hashed(email(tomasEmail))

	c.add("gads", adsGET(shop+"/cart", shop+"/outdoor/tents", "Cart | Outdoor Gear", "data", "event=add_to_cart;value=129.00"),
		"hard negative: retail cart")

	c.add("gads", adsGET(clinic+"/cancer-center/breast-cancer/screening-mammogram", clinic+"/cancer-center/", "Schedule a Screening Mammogram"),
		"breast cancer and mammogram in the page URL and title; cancer center implies oncology (post-hoc: added specialty after the first run)",
		cond("breast cancer"), proc("mammogram", "mammography"), spec("oncology"))

	c.add("gads", adsGET(tele+"/alcohol/", "https://www.bing.com/search?q=naltrexone+for+alcohol+cravings", "Online Alcohol Treatment"),
		"naltrexone in the Bing search referrer",
		med("naltrexone"))

	c.add("gads", adsGET("https://www.heartoftexas-bbq.example/menu", "https://www.heartoftexas-bbq.example/", "Heart of Texas BBQ | Menu"),
		"hard negative: 'heart' in a restaurant name")

	c.add("gads", adsGET("https://www.motorway-autos.example/2026-civic-hybrid/features", "https://www.motorway-autos.example/", "2026 Civic Hybrid – Ambient Lighting Package"),
		"hard negative: car features page")
}

func buildTikTok(c *corpus) {
	hashedUser := fmt.Sprintf(`{"email":%s,"phone_number":%s}`, jstr(sha256hex(marcusEmail)), jstr(sha256hex("+13125550188")))
	c.add("tiktok", tiktok(tele+"/hair-loss/checkout", tele+"/hair-loss/", "CompletePayment", hashedUser,
		`{"contents":[{"content_id":"fin-1mg-90","content_name":"Finasteride 1mg (90 day)","quantity":1,"price":45}],"value":45,"currency":"USD"}`),
		"generic medication in contents; hair loss in the page path; email and phone only hashed (post-hoc: added hair loss after the first run)",
		med("finasteride"), cond("hair loss", "alopecia")).hashed(email(marcusEmail), phone("13125550188"))

	c.add("tiktok", tiktok(tele+"/conditions/erectile-dysfunction", "https://www.tiktok.com/", "ViewContent", `{}`,
		`{"content_type":"product_group","content_name":"ED Treatment"}`),
		"condition in page URL; 'ED Treatment' content name (post-hoc: added the treatment procedure after the first run)",
		cond("erectile dysfunction"), proc("erectile dysfunction treatment", "ed treatment"))

	c.add("tiktok", tiktok(shop+"/beauty/blush-palette", shop+"/beauty/", "AddToCart", `{}`,
		`{"contents":[{"content_id":"BLUSH-04","content_name":"Sunset Blush Palette","price":24}],"value":24,"currency":"USD"}`),
		"hard negative: cosmetics")

	c.add("tiktok", tiktok(pharmacy+"/otc/plan-b-one-step", pharmacy+"/otc/", "ViewContent",
		fmt.Sprintf(`{"phone_number":%s}`, jstr(sha256hex("+14155550177"))),
		`{"description":"Plan B One-Step emergency contraceptive, 1 tablet","content_type":"product"}`),
		"Plan B One-Step = levonorgestrel emergency contraception",
		med("levonorgestrel", "plan b", "plan b one-step", "emergency contraception")).hashed(phone("14155550177"))

	c.add("tiktok", tiktok(tele+"/search", tele+"/", "Search", `{}`, `{"query":"PrEP near me","content_type":"search"}`),
		"PrEP (HIV pre-exposure prophylaxis) typed in a search box",
		med("prep", "pre-exposure prophylaxis", "emtricitabine", "tenofovir"))

	c.add("tiktok", tiktok(gamesite+"/guides/poison-builds", gamesite+"/guides/", "ViewContent", `{}`,
		`{"content_name":"Critical hit and poison damage build guide","content_type":"article"}`),
		"hard negative: game guide ('critical', 'poison')")

	c.add("tiktok", tiktok(tele+"/weight-loss/", "https://www.google.com/search?q=ozempic+side+effects+nausea", "PageView", `{}`, `{}`),
		"Ozempic and nausea in the search referrer (post-hoc: added nausea after the first run)",
		med("semaglutide", "ozempic"), cond("nausea"))
}

func buildLinkedIn(c *corpus) {
	c.add("linkedin", linkedinCollect(clinic+"/behavioral-health/substance-use-treatment", "Substance Use Treatment Programs"),
		"substance use treatment page URL and title (post-hoc: added specialty and treatment procedure after the first run)",
		cond("substance use disorder", "substance use", "addiction", "substance abuse"), spec("behavioral health"), proc("addiction treatment", "substance use treatment"))

	c.add("linkedin", linkedinWA(fertility+"/treatments/ivf", `{"pids":[4412871],"scriptVersion":184,"time":1764324012345,"domain":"brightstart-fertility.example","url":"https://www.brightstart-fertility.example/treatments/ivf","pageTitle":"IVF Treatment & Costs | BrightStart Fertility","websiteSignalRequestId":"8e1c0a3f-1b2d-4c5e-9f6a-7b8c9d0e1f2a","isTranslated":false,"liFatId":"","liGiant":"","misc":{"psbState":-1},"isLinkedInApp":false,"signalType":"CLICK","href":"https://www.brightstart-fertility.example/consult","domAttributes":{"elementSemanticType":"LINK","elementValue":"Book an IVF consultation","tagName":"A"}}`),
		"base64(gzip(JSON)) /wa/ body: IVF page and button",
		proc("ivf", "in vitro fertilization"))

	c.add("linkedin", linkedinCollect(saas+"/pricing", "Pricing | Ledgerly – Accounting for small teams"),
		"hard negative: B2B pricing page")

	c.add("linkedin", linkedinWA(saas+"/careers", `{"pids":[4412871],"time":1764324012345,"url":"https://app.ledgerly.example/careers/senior-go-engineer","pageTitle":"Senior Go Engineer – Ledgerly Careers","signalType":"PAGE_VIEW"}`),
		"hard negative: careers page in a /wa/ body")

	c.add("linkedin", linkedinCollect(clinic+"/urology/vasectomy", "Schedule your vasectomy consult", "hem", sha256hex(tomasEmail)),
		"vasectomy in URL and title; urology in path; email only as hem",
		proc("vasectomy"), spec("urology")).hashed(email(tomasEmail))

	c.add("linkedin", linkedinWA(clinic+"/signup/done", `{"pids":[4412871],"time":1764324012345,"url":"https://www.northbayhealth.example/signup/done?email=marcus.lee82%40example.org&plan=diabetes-coaching","pageTitle":"You're in!","signalType":"PAGE_VIEW"}`),
		"email and a diabetes programme in the query of a URL inside a base64(gzip) body",
		email(marcusEmail), cond("diabetes"))
}

func buildIntercom(c *corpus) {
	c.add("intercom", intercom("ping", portal+"/appointments",
		"referer", portal+"/appointments/upcoming", "page_title", "My Appointments | Patient Portal",
		"user_data", js(`{"email":"jane.doe@example.com","name":"Jane Doe","user_id":"pt-10432","created_at":1701388800,"user_hash":"4c1f0a7b9e2d3c6a8f5b1e0d7c9a2b4e6f8a0c1d3e5f7a9b1c2d3e4f5a6b7c8d"}`)),
		"user_data JSON in a form field on a logged-in portal",
		email(janeEmail), it("name", "jane doe"))

	c.add("intercom", intercom("messages", portal+"/messages",
		"referer", portal+"/messages", "page_title", "Messages",
		"conversation_id", "215938441820097", "blocks", js(`[{"type":"paragraph","text":"Hi, I was prescribed Lexapro last month and my anxiety is actually worse. Should I keep taking it?"}]`)),
		"chat text in blocks: brand Lexapro (escitalopram) and anxiety",
		med("escitalopram", "lexapro"), cond("anxiety"))

	c.add("intercom", intercom("conversations", portal+"/help",
		"referer", portal+"/help", "page_title", "Help",
		"blocks", js(`[{"type":"paragraph","text":"my sugar is high again this week, can I up my metformin dose?"}]`)),
		"metformin in chat; 'my sugar is high' is lay wording no dictionary would list, so no condition is expected",
		med("metformin"))

	c.add("intercom", intercom("messages", clinic+"/contact",
		"referer", clinic+"/contact", "page_title", "Contact Us",
		"blocks", js(`[{"type":"paragraph","text":"I have high blood pressure and I take lisinopril 10mg, is it OK to get the flu shot?"}]`)),
		"lay term 'high blood pressure' (hypertension), lisinopril, flu shot",
		cond("hypertension", "high blood pressure"), med("lisinopril"), proc("flu shot", "influenza vaccine", "flu vaccine", "vaccination"))

	c.add("intercom", intercom("messages", saas+"/invoices",
		"referer", saas+"/invoices", "page_title", "Invoices | Ledgerly",
		"user_data", js(`{"user_id":"u_73c1","custom_attributes":{"plan":"Pro","company":"Acme Widgets","seats":12}}`),
		"blocks", js(`[{"type":"paragraph","text":"How do I export my invoices as PDF? The button seems stuck."}]`)),
		"hard negative: SaaS support chat")

	c.add("intercom", intercom("messages", tele+"/account",
		"referer", tele+"/account", "page_title", "Account",
		"blocks", js(`[{"type":"paragraph","text":"im on zoloft and wellbutrin, and i stopped taking my adderal last week"}]`)),
		"lower-case brands; 'adderal' is Adderall missing one l: a one-edit misspelling of a distinctive brand a reasonable system should catch (fuzzy)",
		med("sertraline", "zoloft"), med("bupropion", "wellbutrin"), med("amphetamine", "adderall", "dextroamphetamine", "amphetamine/dextroamphetamine"))

	c.add("intercom", intercom("events", tele+"/intake/step-4",
		"referer", tele+"/intake/step-4", "page_title", "Intake",
		"event_list", js(`[{"event_name":"completed-intake","created":1764324012,"metadata":{"previously_in_therapy":"yes","reason_for_visit":"panic attacks at work","preferred_provider_gender":"female"}}]`)),
		"intake answers in event metadata: previously in therapy, panic attacks",
		cond("panic", "panic attack", "panic attacks", "panic disorder"), proc("therapy", "psychotherapy"))

	c.add("intercom", intercom("messages", portal+"/profile",
		"referer", portal+"/profile", "page_title", "Profile",
		"blocks", js(`[{"type":"paragraph","text":"Can you update my phone # to (312) 555-0188? My DOB is 11/05/1982 if you need to verify."}]`)),
		"phone and date of birth typed in chat",
		phone("13125550188"), it("dob", "1982-11-05"))

	c.add("intercom", intercom("messages", bikeshop+"/support",
		"referer", bikeshop+"/support", "page_title", "Support | Spoke & Chain",
		"blocks", js(`[{"type":"paragraph","text":"My chain keeps dropping in cold weather and the shifter feels numb. Could the cable be stretched?"}]`)),
		"hard negative: bike support chat ('cold', 'numb')")

	c.add("intercom", intercom("open", portal+"/insurance",
		"referer", portal+"/insurance", "page_title", "Insurance",
		"user_data", js(`{"email":"priya.raman@example.net","phone":"+1 415-555-0177","custom_attributes":{"insurance_member_id":"XJH482913077","plan":"Blue PPO"}}`)),
		"user_data carries phone and an insurance member ID",
		email(priyaEmail), phone("14155550177"), it("member_id", "XJH482913077"))

	c.add("intercom", intercom("messages", clinic+"/appointments",
		"referer", clinic+"/appointments", "page_title", "Appointments",
		"blocks", js(`[{"type":"paragraph","text":"I'm 8 weeks pregnant and need to move my ultrasound to Friday"}]`)),
		"pregnancy and an ultrasound in chat",
		cond("pregnancy", "pregnant"), proc("ultrasound"))

	c.add("intercom", intercom("messages", "https://www.kanjiquest.example/lessons",
		"referer", "https://www.kanjiquest.example/lessons/12", "page_title", "Lesson 12",
		"blocks", js(`[{"type":"paragraph","text":"Where can I see the stroke order for the kanji in lesson 12?"}]`)),
		"hard negative: 'stroke order' in a language app")

	c.add("intercom", intercom("messages", tele+"/hiv-prevention",
		"referer", tele+"/hiv-prevention", "page_title", "HIV Prevention",
		"blocks", js(`[{"type":"paragraph","text":"Is Truvada covered by my plan or do I pay out of pocket?"}]`)),
		"Truvada (emtricitabine/tenofovir) in chat on an HIV prevention page",
		med("emtricitabine", "truvada", "tenofovir", "emtricitabine/tenofovir"), cond("hiv"))
}

func buildSegment(c *corpus) {
	c.add("segment", segment("t", pharmacy+"/account/prescriptions", segmentTrack(pharmacy+"/account/prescriptions", "My Prescriptions", "Prescription Refilled",
		`{"medication":"Atorvastatin 20 mg","quantity":90,"refills_remaining":2}`, "")),
		"medication in track properties",
		med("atorvastatin"))

	c.add("segment", segment("i", portal+"/onboarding", segmentIdentify(portal+"/onboarding", "pt-20931",
		`{"email":"Marcus.Lee82@Example.org","phone":"312.555.0188","birthday":"1982-11-05","firstName":"Marcus","lastName":"Lee","address":{"street":"1450 W Fullerton Ave","city":"Chicago","state":"IL","postalCode":"60614"}}`)),
		"identify traits: email (mixed case), phone with dots, birthday, name, street address, ZIP",
		email(marcusEmail), phone("13125550188"), it("dob", "1982-11-05"), it("name", "marcus lee"), it("address", "1450 w fullerton ave"), it("zip", "60614"))

	c.add("segment", segment("p", clinic+"/providers/psychiatry/dr-ana-smith", fmt.Sprintf(`{"timestamp":%s,"integrations":{},"type":"page","properties":{"path":"/providers/psychiatry/dr-ana-smith","title":"Dr. Ana Smith, MD – Psychiatry","url":"https://www.northbayhealth.example/providers/psychiatry/dr-ana-smith"},"context":{"page":{"url":"https://www.northbayhealth.example/providers/psychiatry/dr-ana-smith"}},"anonymousId":"2f9d3a1c-7b4e-4c6d-9e8f-0a1b2c3d4e5f","writeKey":"hT5kP2qR9sV1wX3yZ7aB4cD6eF8gJ0mN","sentAt":%s}`, jstr(fixedISO), jstr(fixedISO))),
		"provider page of a psychiatrist",
		spec("psychiatry"))

	c.add("segment", segment("t", shop+"/checkout/complete", segmentTrack(shop+"/checkout/complete", "Order complete", "Order Completed",
		`{"order_id":"50314-1552","total":87.4,"revenue":79.9,"currency":"USD","products":[{"product_id":"TRS-11","name":"Trail Running Shoe","price":79.9,"quantity":1}]}`, "")),
		"hard negative: ecommerce order")

	c.add("segment", segment("t", saas+"/import", segmentTrack(saas+"/import", "Import", "Feature Used",
		`{"feature":"Bulk Import","rows":2201,"duration_ms":18342,"job_id":"9b8c7d6e-5f4a-4321-8765-0fedcba98765"}`, "")),
		"hard negative: SaaS feature usage with UUID and durations")

	c.add("rudderstack", rudder("northbayhealtpwq.dataplane.rudderstack.com", "/v1/track", clinic+"/symptom-checker",
		`{"type":"track","event":"Symptom Checker Answered","properties":{"question":"Do you have shortness of breath?","answer":"yes","step":3},"context":{"page":{"url":"https://www.northbayhealth.example/symptom-checker"}},"anonymousId":"8d4f2a1c-3b5e-4d6f-8a9b-0c1d2e3f4a5b","originalTimestamp":"2026-11-28T10:00:12.345Z"}`),
		"symptom-checker answer",
		cond("shortness of breath", "dyspnea"))

	c.add("segment", segment("t", clinic+"/conditions/crohns-disease", segmentTrack(clinic+"/conditions/crohns-disease", "Crohn's Disease", "Viewed Condition Page",
		`{"condition":"Crohn's disease"}`, `,"ip":"73.162.44.10"`)),
		"condition name and the client IP in context.ip",
		cond("crohn's disease", "crohn disease", "crohns disease", "crohn"), it("ip", "73.162.44.10"))

	c.add("segment", segment("t", news+"/history/great-depression-photos", segmentTrack(news+"/history/great-depression-photos", "The Great Depression in 10 photos", "Article Viewed",
		`{"section":"history","author":"Staff","word_count":900}`, "")),
		"hard negative: the Great Depression (economic history)")

	c.add("segment", segment("i", portal+"/billing/financial-aid", segmentIdentify(portal+"/billing/financial-aid", "pt-20931",
		`{"ssn":"536-22-8714","household_size":3}`)),
		"SSN in identify traits on a financial-aid form",
		it("ssn", "536228714"))

	c.add("rudderstack", rudder("rs.northbayhealth.example", "/v1/batch", clinic+"/book/confirm",
		`{"batch":[{"type":"track","event":"Appointment Booked","properties":{"provider_specialty":"Dermatology","visit_reason":"acne flare-up","slot":"2026-12-02T09:30:00-08:00"},"anonymousId":"8d4f2a1c-3b5e-4d6f-8a9b-0c1d2e3f4a5b"}],"sentAt":"2026-11-28T10:00:12.345Z"}`),
		"first-party RudderStack batch: booking with specialty and visit reason",
		spec("dermatology"), cond("acne"))

	c.add("segment", segment("t", portal+"/lab-results", segmentTrack(portal+"/lab-results", "Lab Results", "Lab Result Viewed",
		`{"patient_mrn":"MRN-00482913","panel":"Lipid panel"}`, "")),
		"medical record number in properties; a lipid panel is a lab test (post-hoc: added lipid panel after the first run)",
		it("mrn", "MRN-00482913", "00482913"), proc("lipid panel"))

	c.add("segment", segment("t", "https://www.skycast-weather.example/forecast/springfield", segmentTrack("https://www.skycast-weather.example/forecast/springfield", "Springfield, IL forecast", "Forecast Viewed",
		`{"city":"Springfield","state":"IL","headline":"High pressure system brings a cold snap","uv_index":2}`, "")),
		"hard negative: weather ('high pressure', 'cold'), a city with no person context")

	c.add("segment", segment("t", pharmacy+"/prescriber/verify", segmentTrack(pharmacy+"/prescriber/verify", "Prescriber Verification", "Prescriber Verified",
		`{"prescriber_dea":"BJ6125341","prescriber_name":"Dr. Lena Park"}`, "")),
		"DEA number (valid checksum) of a prescriber; the prescriber's name is not patient PHI (post-hoc: removed a name label after the first run, for consistency with other provider names)",
		it("dea", "BJ6125341"))

	c.add("segment", segment("t", tele+"/checkout/success", segmentTrack(tele+"/checkout/success", "Payment complete", "Paid: Med Management",
		`{"plan":"monthly","amount":85}`, "")),
		"event name 'Paid: Med Management'",
		proc("medication management", "med management"))

	c.add("segment", segment("t", "https://www.storefinder.example/locations", segmentTrack("https://www.storefinder.example/locations", "Store Locator", "Store Search",
		`{"query":"springfield","results":4,"radius_miles":25}`, "")),
		"hard negative: store locator city search")
}

func buildMixpanel(c *corpus) {
	c.add("mixpanel", mixpanelPOST("track", pharmacy+"/drugs/eliquis", `[{"event":"Viewed Medication","properties":{"drug":"Eliquis","strength":"5 mg","token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:19349a1f2b3c","$current_url":"https://www.rxcorner-pharmacy.example/drugs/eliquis","time":1764324012345}}]`),
		"brand Eliquis (apixaban) in base64 data=",
		med("apixaban", "eliquis"))

	c.add("mixpanel", mixpanelPOST("engage", portal+"/settings", `[{"$set":{"$email":"priya.raman@example.net","$phone":"+14155550177","$name":"Priya Raman"},"$token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","$distinct_id":"pt-77120"}]`),
		"engage $set with email, phone, name (base64)",
		email(priyaEmail), phone("14155550177"), it("name", "priya raman"))

	c.add("mixpanel", mixpanelPOST("track", gamesite+"/play", `[{"event":"Level Complete","properties":{"level":12,"score":48210,"hearts_left":2,"token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:1a2b3c"}}]`),
		"hard negative: game progress")

	c.add("mixpanel", mixpanelGET("track", tele+"/quiz/result", `{"event":"Quiz Result","properties":{"result":"Moderate depression (PHQ-9: 14)","token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:5d6e7f"}}`),
		"PHQ-9 screening result, base64url without padding in the query (post-hoc: added depression screening after the first run)",
		cond("depression"), proc("depression screening", "phq-9"))

	c.add("mixpanel", mixpanelJSON(tele+"/programs", `[{"event":"Program Enrolled","properties":{"program":"Alcohol Use Disorder Recovery","token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"pt-33012"}}]`),
		"plain JSON Mixpanel body",
		cond("alcohol use disorder", "alcoholism", "alcohol dependence"))

	c.add("mixpanel", mixpanelPOST("track", "https://www.beanhaus-coffee.example/checkout", `[{"event":"Checkout","properties":{"item":"Cold Brew Concentrate 32oz","price":18.5,"token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:9a8b7c"}}]`),
		"hard negative: coffee checkout")

	c.add("mixpanel", mixpanelPOST("track", tele+"/intake/birth-control", `[{"event":"$mp_web_page_view","properties":{"$current_url":"https://www.calmpath-telehealth.example/intake/birth-control?step=2","current_page_title":"Birth Control Intake","token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:4c5d6e"}}]`),
		"birth-control intake page",
		med("birth control", "contraception", "contraceptive", "oral contraceptive"))

	c.add("mixpanel", mixpanelPOST("track", "https://docs.devtools.example/search", `[{"event":"Search","properties":{"query":"python dataclass default factory","results":17,"token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:7e8f9a"}}]`),
		"hard negative: developer docs search")
}

func buildSnowplow(c *corpus) {
	const spHost = "sp.northbayhealth.example"
	cx := b64url(js(`{"schema":"` + snowplowContexts + `","data":[{"schema":"iglu:com.northbayhealth/portal_user/jsonschema/1-0-0","data":{"logged_in":true,"patient_id":"pt-10432"}}]}`))
	c.add("snowplow", snowplowGET(spHost, portal+"/infusion/chemotherapy-schedule", "Chemotherapy Infusion Schedule", portal+"/dashboard", "cx", cx),
		"first-party collector; chemotherapy page on a logged-in portal; patient_id in a context (post-hoc: added the patient id as mrn after the first run)",
		proc("chemotherapy"), it("mrn", "pt-10432"))

	c.add("snowplow", snowplowPOST(spHost, clinic+"/lgbtq-health/hormone-therapy", `{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","url":"https://www.northbayhealth.example/lgbtq-health/hormone-therapy","page":"Gender-Affirming Hormone Therapy","refr":"https://www.northbayhealth.example/lgbtq-health/","tv":"js-3.24.2","p":"web","dtm":"1764324012345","eid":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}]}`),
		"tp2 POST: gender-affirming hormone therapy page",
		proc("hormone therapy", "gender-affirming hormone therapy", "hormone replacement therapy"))

	ue := b64url(js(`{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1","data":{"targetUrl":"https://www.northbayhealth.example/schedule?reason=hepatitis-c-treatment","elementContent":"Schedule now"}}}`))
	c.add("snowplow", snowplowGET(spHost, clinic+"/liver-care/", "Liver Care", "", "e", "ue", "ue_px", ue),
		"link-click target URL inside base64url ue_px",
		cond("hepatitis c", "hepatitis", "hcv"))

	c.add("snowplow", snowplowGET("sp.dailyledger-news.example", news+"/markets/2026/11/27/markets-rally", "Markets Rally as Rates Hold", news+"/markets/"),
		"hard negative: news page")

	cx2 := b64url(js(`{"schema":"` + snowplowContexts + `","data":[{"schema":"iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0","data":{"id":"b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e"}},{"schema":"iglu:com.google.analytics/cookies/jsonschema/1-0-0","data":{"_ga":"GA1.1.1580347211.1764320001"}}]}`))
	c.add("snowplow", snowplowGET("sp.ledgerly.example", saas+"/dashboard", "Dashboard | Ledgerly", saas+"/login", "cx", cx2),
		"hard negative: contexts with UUIDs and cookie IDs")

	c.add("snowplow", snowplowGET(spHost, portal+"/dashboard", "Dashboard", portal+"/login", "uid", janeEmail),
		"email used as the Snowplow user id (uid)",
		email(janeEmail))
}

func buildPostHog(c *corpus) {
	c.add("posthog", posthogB64("us.i.posthog.com", "/e/", tele+"/visit/uti", `{"event":"$pageview","properties":{"$current_url":"https://app.calmpath-telehealth.example/visit/uti?step=symptoms","$host":"app.calmpath-telehealth.example","$pathname":"/visit/uti","distinct_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","token":"phc_Xk2Lm9Qp4Rs7Tv1Wy3Za5Bc8De0Fg6Hj"}}`),
		"UTI visit page URL inside base64 data",
		cond("urinary tract infection", "uti"))

	c.add("posthog", posthogGzip("ph.calmpath-telehealth.example", "/batch/", tele+"/intake/review", `[{"event":"intake_submitted","properties":{"diagnosis_code":"E11.9","a1c_last":"7.8","distinct_id":"pt-33012","token":"phc_Xk2Lm9Qp4Rs7Tv1Wy3Za5Bc8De0Fg6Hj"}}]`),
		"first-party PostHog gzip-js batch; ICD-10 E11.9 (type 2 diabetes without complications) in diagnosis_code",
		cond("type 2 diabetes", "e11.9", "type 2 diabetes mellitus", "diabetes"))

	c.add("posthog", posthogGzip("us.i.posthog.com", "/batch/", saas+"/editor", `[{"event":"$autocapture","properties":{"$event_type":"click","$elements":[{"tag_name":"button","$el_text":"Save draft","attr__class":"btn"}],"$current_url":"https://app.ledgerly.example/editor/doc_8812","distinct_id":"0193a1b2-aaaa-7e5f-8a9b-0c1d2e3f4a5b"}}]`),
		"hard negative: editor autocapture")

	c.add("posthog", posthogJSON("us.i.posthog.com", "/e/", portal+"/welcome", `{"event":"$identify","properties":{"distinct_id":"pt-77120","$set":{"email":"priya.raman@example.net","name":"Priya Raman"},"$anon_distinct_id":"0193a1b2-bbbb-7e5f-8a9b-0c1d2e3f4a5b","token":"phc_Xk2Lm9Qp4Rs7Tv1Wy3Za5Bc8De0Fg6Hj"}}`),
		"$identify with email and name",
		email(priyaEmail), it("name", "priya raman"))

	c.add("posthog", posthogB64("us.i.posthog.com", "/e/", shop+"/", `{"event":"$feature_flag_called","properties":{"$feature_flag":"new-checkout","$feature_flag_response":"control","distinct_id":"0193a1b2-cccc-7e5f-8a9b-0c1d2e3f4a5b"}}`),
		"hard negative: feature flag call")

	c.add("posthog", posthogGzip("us.i.posthog.com", "/s/", pharmacy+"/account/rx", `[{"event":"$snapshot","properties":{"$snapshot_data":[{"type":3,"data":{"source":0,"adds":[{"parentId":41,"nextId":null,"node":{"type":3,"textContent":"Your prescription: Naltrexone 50 mg, 30 tablets","id":42}}],"removes":[],"texts":[],"attributes":[]},"timestamp":1764324012345}],"$session_id":"0193a1b2-dddd-7e5f","distinct_id":"pt-33012"}}]`),
		"session-replay snapshot (gzip) whose DOM text names a medication",
		med("naltrexone"))

	c.add("posthog", posthogJSON("us.i.posthog.com", "/e/", "https://www.productcraft.example/blog/heart-of-the-product", `{"event":"$pageview","properties":{"$current_url":"https://www.productcraft.example/blog/heart-of-the-product","title":"The heart of the product is its first five minutes","distinct_id":"0193a1b2-eeee-7e5f"}}`),
		"hard negative: 'heart' in a blog title")
}

func buildDatadog(c *corpus) {
	c.add("datadog", datadog(portal+"/lab-results/hiv-viral-load", false,
		`{"type":"view","date":1764324012345,"application":{"id":"b7c1e2f3-0000-4a5b-8c9d-0e1f2a3b4c5d"},"session":{"id":"c1d2e3f4-1111-4a5b-8c9d-0e1f2a3b4c5d","type":"user"},"view":{"id":"d1e2f3a4-2222-4a5b-8c9d-0e1f2a3b4c5d","url":"https://portal.northbayhealth.example/lab-results/hiv-viral-load","referrer":"https://portal.northbayhealth.example/lab-results","name":"/lab-results/?"},"usr":{"id":"pt-10432","email":"jane.doe@example.com"},"_dd":{"format_version":2}}`),
		"RUM view URL of an HIV lab result and the user's email",
		cond("hiv"), email(janeEmail))

	c.add("datadog", datadog(pharmacy+"/account/rx", true,
		`{"type":"action","date":1764324012345,"action":{"id":"e1f2a3b4-3333-4a5b-8c9d-0e1f2a3b4c5d","type":"click","target":{"name":"Request Adderall XR 20 mg refill"}},"view":{"url":"https://www.rxcorner-pharmacy.example/account/rx"},"usr":{"id":"pt-33012"}}`,
		`{"type":"view","date":1764324012400,"view":{"url":"https://www.rxcorner-pharmacy.example/account/rx","time_spent":1200000000}}`),
		"zlib-deflated NDJSON (dd-evp-encoding=deflate): action target names Adderall",
		med("amphetamine", "adderall", "dextroamphetamine", "amphetamine/dextroamphetamine"))

	c.add("datadog", datadog(saas+"/reports", false,
		`{"type":"error","date":1764324012345,"error":{"message":"TypeError: Cannot read properties of undefined (reading 'map')","source":"source","stack":"TypeError: Cannot read properties of undefined\n    at renderRows (https://app.ledgerly.example/static/app.4f3a9c.js:1:88213)"},"view":{"url":"https://app.ledgerly.example/reports"}}`),
		"hard negative: JS error in a SaaS app")

	c.add("datadog", datadog(shop+"/", false,
		`{"type":"long_task","date":1764324012345,"long_task":{"duration":182000000},"view":{"url":"https://www.lumenhome-store.example/"}}`,
		`{"type":"resource","date":1764324012350,"resource":{"type":"js","url":"https://www.lumenhome-store.example/static/vendor.9b1c.js","duration":41000000,"size":248113},"view":{"url":"https://www.lumenhome-store.example/"}}`),
		"hard negative: performance events")

	c.add("datadog", datadog(portal+"/oncology/appointments", false,
		`{"type":"view","date":1764324012345,"view":{"url":"https://portal.northbayhealth.example/oncology/appointments","name":"/oncology/appointments"},"usr":{"id":"pt-88210","name":"Tomás Herrera"}}`),
		"user's full name with an accent, on an oncology appointments page",
		it("name", "tomás herrera", "tomas herrera"), spec("oncology"))

	c.add("datadog", datadog(saas+"/", false,
		`{"type":"view","date":1764324012345,"version":"10.4.2.1","service":"web","view":{"url":"https://app.ledgerly.example/"},"context":{"build":"10.4.2.1","region":"us-east-1"}}`),
		"hard negative: a dotted four-part version string shaped like an IPv4 address")
}

func buildSentry(c *corpus) {
	c.add("sentry", sentry(portal+"/medications", `{"event_id":"9f8e7d6c5b4a49382716a5b4c3d2e1f0","level":"error","platform":"javascript","message":"Failed to load medication list for user jane.doe@example.com","request":{"url":"https://portal.northbayhealth.example/medications"},"breadcrumbs":[{"category":"navigation","data":{"from":"/dashboard","to":"/medications"}}]}`),
		"email inside an error message",
		email(janeEmail))

	c.add("sentry", sentry(saas+"/settings", `{"event_id":"8e7d6c5b4a3949382716a5b4c3d2e1f0","level":"error","platform":"javascript","exception":{"values":[{"type":"ValueError","value":"invalid page size: 0","stacktrace":{"frames":[{"filename":"app.js","lineno":42,"colno":17}]}}]},"tags":{"version":"F32.9","browser":"Chrome 131"},"release":"web@2026.11.3"}`),
		"hard negative: 'F32.9' as a version tag")

	c.add("sentry", sentry(portal+"/billing", `{"event_id":"7d6c5b4a3e2949382716a5b4c3d2e1f0","level":"warning","platform":"javascript","message":"Payment retry","user":{"id":"pt-20931","ip_address":"98.207.11.5","email":"marcus.lee82@example.org"}}`),
		"Sentry user context with IP and email",
		it("ip", "98.207.11.5"), email(marcusEmail))

	c.add("sentry", sentry(shop+"/orders", `{"type":"transaction","transaction":"/api/orders/:id","start_timestamp":1764324012.345,"timestamp":1764324012.912,"contexts":{"trace":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","op":"pageload"}},"spans":[{"op":"http.client","description":"GET /api/orders/4155550199","span_id":"b7ad6b7169203331"}]}`),
		"hard negative: transaction with trace IDs and a phone-shaped order id in a route")

	c.add("sentry", sentry(portal+"/register", `{"event_id":"6c5b4a3e2d1949382716a5b4c3d2e1f0","level":"error","platform":"javascript","message":"Validation failed","extra":{"form_state":{"first_name":"Jane","dob":"03/14/1985","zip":"94110"}}}`),
		"registration form state attached to an error: DOB (US format) and ZIP",
		it("dob", "1985-03-14"), it("zip", "94110"), it("name", "jane"))
}

func buildFullStory(c *corpus) {
	c.add("fullstory", fullstory(pharmacy+"/account/rx", `[{"When":1022,"Kind":3,"Args":[88,"#text","Wellbutrin XL 150mg – refill due Dec 3"]},{"When":1100,"Kind":19,"Args":[88,{"x":120,"y":340}]}]`),
		"rendered text node in a recording bundle: Wellbutrin (bupropion)",
		med("bupropion", "wellbutrin"))

	c.add("fullstory", fullstory(portal+"/billing/financial-aid", `[{"When":2011,"Kind":11,"Args":[104,"ssn","536-22-8714"]}]`),
		"input value change with field name ssn",
		it("ssn", "536228714"))

	c.add("fullstory", fullstory(shop+"/product/hoodie", `[{"When":500,"Kind":19,"Args":[12,"Add to cart"]},{"When":520,"Kind":3,"Args":[13,"#text","Blue Hoodie - M"]}]`),
		"hard negative: shopping clicks")

	c.add("fullstory", fullstory(clinic+"/support-groups", `[{"When":700,"Kind":3,"Args":[55,"#text","Schizophrenia support group – Thursdays 6pm"]}]`),
		"support-group listing names schizophrenia",
		cond("schizophrenia"))

	c.add("fullstory", fullstory(saas+"/dashboard", `[{"When":10,"Kind":19,"Args":[2,"Dashboard"]},{"When":1764324012,"Kind":37,"Args":[1764324012345,1764324012999]}]`),
		"hard negative: navigation and timestamps")
}

func buildHotjar(c *corpus) {
	c.add("hotjar", hotjar(fertility+"/conditions/pcos", `{"page_url":"https://www.brightstart-fertility.example/conditions/pcos","title":"PCOS and Fertility","events":[{"type":"text","value":"Polycystic ovary syndrome (PCOS) affects 1 in 10 women"}]}`),
		"gzip snapshot of a PCOS page",
		cond("polycystic ovary syndrome", "pcos"))

	c.add("hotjar", hotjar(shop+"/sale", `{"page_url":"https://www.lumenhome-store.example/sale","title":"Summer Sale","events":[{"type":"click","selector":"button.buy","text":"Buy now"}]}`),
		"hard negative: sale page")

	c.add("hotjar", hotjar(clinic+"/billing/pay", `{"page_url":"https://www.northbayhealth.example/billing/pay","title":"Pay your bill","events":[{"type":"input","name":"card-number","value":"4111 1111 1111 1111"}]}`),
		"unmasked card number (Luhn-valid test number) typed on a bill-pay page",
		it("card", "4111111111111111"))

	c.add("hotjar", hotjar(shop+"/lighting", `{"page_url":"https://www.lumenhome-store.example/lighting","title":"Ambient Lighting","events":[{"type":"scroll","depth":0.6}]}`),
		"hard negative: lighting category")
}
