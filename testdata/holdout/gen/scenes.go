package main

import (
	"fmt"
	"strings"
)

// scene is what happened on a page, independent of the tracker that
// reports it. Renderers carry the parts their wire format has room for and
// label only what they carried.
type scene struct {
	host, siteName string
	url, title     part
	ref            string // referrer URL; never labelled (search engines, home pages)
	event          part
	button         part
	props          []part
	traits         []part
	text           part // free text typed by the visitor (chat, symptom box)
	ip             part
	who            *person
	hash           []string // hashed-identifier keys to send: em ph fn ln db zp external_id
	note           string
}

func (s *scene) has(p part) bool { return p.key != "" }

func cap1(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func keyOf(s string) string { return strings.ReplaceAll(slugify(s), "-", "_") }

var doses = []string{"2.5 mg", "5 mg", "10 mg", "20 mg", "25 mg", "40 mg", "50 mg", "100 mg", "0.25 mg", "150 mg"}

func (g *gen) home(host string) string { return "https://" + host + "/" }

func (g *gen) maybeWho(s *scene, per *person, n int, keys ...string) {
	if g.chance(n) {
		s.who = per
		s.hash = keys
	}
}

// scCondition: a condition page, the kind OCR's bulletin names.
func (g *gen) scCondition() *scene {
	host, name := g.site()
	c := g.cond()
	slug := c.urlSlug()
	u := "https://" + host + "/conditions/" + slug + "/"
	if g.chance(2) {
		u += "?utm_source=google&utm_medium=cpc&gclid=" + g.alnum(24)
	}
	surf := g.condSurface(c)
	var t string
	switch g.r.IntN(3) {
	case 0:
		t = title(surf) + " Treatment | " + name
	case 1:
		t = "Living with " + surf + " - " + name
	default:
		t = "What is " + surf + "? Causes, Tests and Care | " + name
	}
	s := &scene{host: host, siteName: name, ref: "https://www.google.com/",
		url:   p("url", u, condItem(c, slug)),
		title: p("title", t, condItem(c, surf)),
		event: p("event", g.pick([]string{"PageView", "ViewContent"})),
		note:  "condition page (" + c.name + ")"}
	s.props = []part{p("content_category", "Conditions"), p("content_name", surf, condItem(c, surf))}
	g.maybeWho(s, g.person(), 3, "em", "ph")
	return s
}

var plans = []string{"aetna-choice-pos-ii", "bcbs-ppo", "cigna-open-access", "united-choice-plus", "medicaid", "kaiser-hmo", "humana-gold"}

// scDoctorSearch: a provider search by specialty and the visitor's ZIP.
func (g *gen) scDoctorSearch() *scene {
	host, name := g.site()
	sp := g.spec()
	per := g.person()
	surf := g.specSurface(sp)
	u := "https://" + host + "/find-a-doctor/results?specialty=" + formEnc(surf) + "&location=" + per.zip + "&insurance=" + g.pick(plans) + "&accepting=true"
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/find-a-doctor/",
		url:   p("url", u, specItem(sp, surf), zipItem(per.zip)),
		title: p("title", "Find a "+title(sp.practitioner)+" near "+per.zip+" | "+name, specItem(sp, sp.practitioner), zipItem(per.zip)),
		event: p("event", "Search"),
		note:  "doctor search with the visitor's ZIP"}
	s.props = []part{p("search_term", surf, specItem(sp, surf)), p("search_location", per.zip, zipItem(per.zip)), p("results_count", fmt.Sprint(3+g.r.IntN(40)))}
	if g.chance(3) {
		sy := g.symp()
		ph := g.sympPhrase(sy)
		s.props = append(s.props, p("symptom_query", ph, sympItem(sy, ph)))
	}
	return s
}

// scBooking: an appointment booked and paid, with who it is for.
func (g *gen) scBooking() *scene {
	host, name := g.site()
	pr, sp, per, prov := g.proc(), g.spec(), g.person(), g.provider()
	ps := g.procSurface(pr)
	ss := g.specSurface(sp)
	var ev string
	switch g.r.IntN(3) {
	case 0:
		ev = "Paid: " + title(ps)
	case 1:
		ev = "Appointment Booked - " + ps
	default:
		ev = "Schedule " + ps
	}
	fullName := per.first + " " + per.last
	dob := dobAs(g.r, per.dob)
	ph := phoneAs(g.r, per.phone)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/book/",
		url:   p("url", "https://"+host+"/book/confirmation?visit="+g.upper(10)+"&type="+slugify(ps), procItem(pr, slugify(ps))),
		title: p("title", "Your "+ps+" visit is confirmed | "+name, procItem(pr, ps)),
		event: p("event", ev, procItem(pr, ps)),
		note:  "booking confirmation with patient details"}
	s.button = p("button", "Confirm "+ps, procItem(pr, ps))
	s.props = []part{
		p("appointment_type", ps, procItem(pr, ps)),
		p("department", ss, specItem(sp, ss)),
		p("appointment_time", fmt.Sprintf("2026-12-%02dT%02d:%s:00", 7+g.r.IntN(20), 8+g.r.IntN(9), g.pick([]string{"00", "15", "30", "45"}))),
		p("patient_name", fullName, nameItem(per, fullName)),
		p("patient_dob", dob, dobItem(per, dob)),
	}
	if g.chance(2) {
		s.props = append(s.props, p("provider_npi", prov.npi, npiItem(prov)))
	}
	sy := g.symp()
	phr := g.sympPhrase(sy)
	s.props = append(s.props, p("reason_for_visit", phr, sympItem(sy, phr)))
	if g.chance(3) {
		s.props = append(s.props, p("mrn", per.mrn, mrnItem(per)))
	}
	if g.chance(3) {
		s.props = append(s.props, p("insurance_member_id", per.member, memberItem(per)))
	}
	if g.chance(4) {
		ca := cardAs(g.r, per.card)
		s.props = append(s.props, p("payment_card", ca, cardItem(per, ca)))
	}
	s.traits = []part{p("email", per.email, emailItem(per)), p("phone", ph, phoneItem(per, ph))}
	if g.chance(3) {
		s.traits = append(s.traits, p("address", per.streetAs, addrItem(per)))
	}
	s.who, s.hash = per, []string{"em", "ph", "fn", "ln", "db", "zp", "external_id"}[:4+g.r.IntN(4)]
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

var controlled = map[string]bool{"clonazepam": true, "lorazepam": true, "lisdexamfetamine": true, "methylphenidate": true,
	"buprenorphine/naloxone": true, "methadone": true, "oxycodone": true, "hydrocodone/acetaminophen": true, "tramadol": true,
	"pregabalin": true, "testosterone cypionate": true}

// scPharmacy: a prescription refill with the drug, prescriber and plan.
func (g *gen) scPharmacy() *scene {
	host, name := g.site()
	m, per, prov := g.med(), g.person(), g.provider()
	ms := g.medSurface(m)
	dose := g.pick(doses)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/account/prescriptions",
		url:   p("url", "https://"+host+"/account/prescriptions/RX"+digits(g.r, 7)+"/refill"),
		title: p("title", "Refill "+ms+" "+dose+" | "+name+" Pharmacy", medItem(m, ms)),
		event: p("event", g.pick([]string{"RefillRequested", "Purchase", "rx_refill_submit"})),
		note:  "prescription refill"}
	s.button = p("button", "Refill "+ms, medItem(m, ms))
	s.props = []part{
		p("medication", ms+" "+dose, medItem(m, ms)),
		p("quantity", fmt.Sprint([]int{30, 60, 90}[g.r.IntN(3)])),
		p("prescriber_npi", prov.npi, npiItem(prov)),
	}
	s.props = append(s.props, p("prescriber_dea", prov.dea, deaItem(prov)))
	if controlled[m.generic] {
		s.props = append(s.props, p("schedule", "controlled"))
	}
	if g.r.IntN(3) > 0 {
		s.props = append(s.props, p("member_id", per.member, memberItem(per)))
	}
	s.traits = []part{p("email", per.email, emailItem(per))}
	s.who, s.hash = per, []string{"em", "external_id"}
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

func portalHost(host string) string { return "portal." + strings.TrimPrefix(host, "www.") }

// scPortal: a logged-in visit summary with diagnosis and record number.
func (g *gen) scPortal() *scene {
	host, name := g.site()
	pr, c, per, sp := g.proc(), g.cond(), g.person(), g.spec()
	ps, cs, ss := g.procSurface(pr), g.condSurface(c), g.specSurface(sp)
	dx := cs
	if cs != c.icd && g.chance(2) {
		dx = c.icd + " " + cap1(cs)
	}
	ph := portalHost(host)
	fullName := per.first + " " + per.last
	s := &scene{host: ph, siteName: name, ref: "https://" + ph + "/app/home",
		url:   p("url", "https://"+ph+"/app/visits/"+g.hex(12)+"/summary"),
		title: p("title", "Visit Summary - "+title(ps)+" | "+name+" Patient Portal", procItem(pr, ps)),
		event: p("event", "view_visit_summary"),
		note:  "logged-in patient portal"}
	s.props = []part{
		p("visit_type", ps, procItem(pr, ps)),
		p("diagnosis", dx, condItem(c, cs)),
		p("mrn", per.mrn, mrnItem(per)),
		p("provider_specialty", ss, specItem(sp, ss)),
	}
	sy := g.symp()
	phr := g.sympPhrase(sy)
	s.props = append(s.props, p("chief_complaint", phr, sympItem(sy, phr)))
	if g.chance(2) {
		fu := g.proc()
		fs := g.procSurface(fu)
		s.props = append(s.props, p("follow_up_order", fs, procItem(fu, fs)))
	}
	s.traits = []part{p("email", per.email, emailItem(per)), p("name", fullName, nameItem(per, fullName))}
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

var tobacco = item{Kind: "condition", Term: "nicotine dependence", Alt: []string{"smoking", "smoker", "tobacco use", "f17.210"}}

func negated(it item) item { it.Negated = true; return it }

// condKey is how intake forms name a yes/no question about a condition.
func condKey(c condition) string {
	if c.name == "pregnancy" {
		return "currently_pregnant"
	}
	n := c.name
	if len(c.lay) > 0 && len(c.lay[0]) > 3 && len(c.lay[0]) < len(n) {
		n = c.lay[0]
	}
	return "has_" + keyOf(n)
}

func condKeyItem(c condition, key string, yes bool) item {
	it := condItem(c, strings.TrimPrefix(key, "has_"))
	it.surface = key
	it.Negated = !yes
	return it
}

// scSymptomChecker: symptom-checker answers, with negated history.
func (g *gen) scSymptomChecker() *scene {
	host, name := g.site()
	s1, s2 := g.symp(), g.symp()
	p1, p2 := g.sympPhrase(s1), g.sympPhrase(s2)
	c1, c2 := g.cond(), g.cond()
	text := cap1(p1) + " and " + p2 + "."
	k1, k2 := condKey(c1), condKey(c2)
	u := "https://" + host + "/symptom-checker/results?s=" + slugify(s1.canon) + "," + slugify(s2.canon)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/symptom-checker/",
		url:   p("url", u, sympItem(s1, slugify(s1.canon)), sympItem(s2, slugify(s2.canon))),
		title: p("title", "Your Symptom Check | "+name),
		event: p("event", "symptom_check_complete"),
		note:  "symptom checker; history answers " + k1 + "=false, " + k2 + " as answered"}
	yes2 := g.chance(2)
	s.text = p("describe_symptoms", text, sympItem(s1, p1), sympItem(s2, p2))
	s.props = []part{
		p("duration", g.pick([]string{"less than a week", "1-2 weeks", "2-4 weeks", "more than a month"})),
		p(k1, false, condKeyItem(c1, k1, false)),
		p(k2, yes2, condKeyItem(c2, k2, yes2)),
	}
	sp := g.spec()
	ss := g.specSurface(sp)
	s.props = append(s.props, p("recommended_care", "See "+article(ss)+" "+ss+" within 2 weeks", specItem(sp, ss)))
	if g.chance(2) {
		s.props = append(s.props, p("smoker", "no", func() item { it := negated(tobacco); it.surface = "smoker"; return it }()))
	}
	return s
}

// scIntake: a new-patient intake form, the identifiers and history in one.
func (g *gen) scIntake() *scene {
	host, name := g.site()
	per := g.person()
	c1, c2, c3 := g.cond(), g.cond(), g.cond()
	m1, m2 := g.med(), g.med()
	ms1, ms2 := g.medSurface(m1), g.medSurface(m2)
	dob := dobAs(g.r, per.dob)
	ph := phoneAs(g.r, per.phone)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/new-patient/",
		url:   p("url", "https://"+host+"/new-patient/intake?step="+fmt.Sprint(2+g.r.IntN(3))),
		title: p("title", "New Patient Intake | "+name),
		event: p("event", "intake_step_submitted"),
		note:  "intake form; yes/no history answers labelled with negation"}
	k1, k2, k3 := condKey(c1), condKey(c2), condKey(c3)
	s.props = []part{
		p(k1, true, condKeyItem(c1, k1, true)),
		p(k2, false, condKeyItem(c2, k2, false)),
		p(k3, g.chance(2), item{}),
		p("current_medications", ms1+" "+g.pick(doses)+", "+ms2, medItem(m1, ms1), medItem(m2, ms2)),
		p("allergies", "none"),
	}
	yes3 := s.props[2].val.(bool)
	s.props[2].items = []item{condKeyItem(c3, k3, yes3)}
	switch g.r.IntN(3) {
	case 0:
		it := negated(tobacco)
		it.surface = "smoker"
		s.props = append(s.props, p("smoker", "no", it))
	case 1:
		it := tobacco
		it.surface = "smoker"
		s.props = append(s.props, p("smoker", "yes", it))
	default:
		preg := conditions[indexCond("pregnancy")]
		s.props = append(s.props, p("currently_pregnant", "no", negated(condItem(preg, "pregnant"))))
	}
	if g.chance(2) {
		therapy := procedures[indexProc("therapy")]
		yes := g.chance(2)
		it := procItem(therapy, "therapy")
		it.Negated = !yes
		s.props = append(s.props, p("previously_in_therapy", map[bool]string{true: "yes", false: "no"}[yes], it))
	}
	s.traits = []part{
		p("first_name", per.first, nameItem(per, per.first)),
		p("last_name", per.last),
		p("birthdate", dob, dobItem(per, dob)),
		p("address", per.streetAs, addrItem(per)),
		p("postal_code", per.zip, zipItem(per.zip)),
		p("phone", ph, phoneItem(per, ph)),
	}
	if g.r.IntN(3) > 0 {
		ss := ssnAs(g.r, per.ssn)
		s.traits = append(s.traits, p("ssn", ss, ssnItem(per, ss)))
	}
	if g.r.IntN(3) > 0 {
		s.traits = append(s.traits, p("member_id", per.member, memberItem(per)))
	}
	if g.chance(2) {
		ca := cardAs(g.r, per.card)
		s.traits = append(s.traits, p("card_number", ca, cardItem(per, ca)))
	}
	sy := g.symp()
	phr := g.sympPhrase(sy)
	s.props = append(s.props, p("main_concern", cap1(phr), sympItem(sy, phr)))
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

// indexOf finds a vocabulary entry by its canonical name.
func indexOf[T any](list []T, name string, key func(T) string) int {
	for i, x := range list {
		if key(x) == name {
			return i
		}
	}
	panic("no vocabulary entry " + name)
}

func indexCond(name string) int {
	return indexOf(conditions, name, func(c condition) string { return c.name })
}
func indexProc(name string) int {
	return indexOf(procedures, name, func(x procedure) string { return x.name })
}
func indexMed(name string) int {
	return indexOf(medications, name, func(x med) string { return x.generic })
}
func indexSpec(name string) int {
	return indexOf(specialties, name, func(x specialty) string { return x.field })
}

// scChat: a visitor typing to a care team, in their own words.
func (g *gen) scChat() *scene {
	host, name := g.site()
	per := g.person()
	s1, s2 := g.symp(), g.symp()
	p1, p2 := g.sympPhrase(s1), g.sympPhrase(s2)
	m := g.med()
	ms := g.medSurface(m)
	c := g.cond()
	cs := c.name
	if len(c.lay) > 0 && g.chance(2) {
		cs = c.lay[0]
	}
	full := per.first + " " + per.last
	if g.chance(3) {
		full = strings.ToLower(full)
	}
	var text string
	items := []item{sympItem(s1, p1)}
	switch g.r.IntN(8) {
	case 0:
		ph := phoneAs(g.r, per.phone)
		text = fmt.Sprintf("Hi, my name is %s. %s. Also %s. I take %s for my %s. Can someone call me at %s?", full, cap1(p1), p2, ms, cs, ph)
		items = append(items, nameItem(per, full), sympItem(s2, p2), medItem(m, ms), condItem(c, cs), phoneItem(per, ph))
	case 1:
		dob := dobAs(g.r, per.dob)
		text = fmt.Sprintf("hello this is %s, dob %s. %s since last week, is that normal with %s?", full, dob, cap1(p1), ms)
		items = append(items, nameItem(per, full), dobItem(per, dob), medItem(m, ms))
	case 2:
		sp := g.spec()
		text = fmt.Sprintf("I'm %s. %s and %s. Do I need to see %s %s?", full, cap1(p1), p2, article(sp.practitioner), sp.practitioner)
		items = append(items, nameItem(per, full), sympItem(s2, p2), specItem(sp, sp.practitioner))
	case 3:
		text = fmt.Sprintf("my name's %s, my email is %s. %s. my doctor said it might be %s and i'm supposed to start %s", full, per.email, cap1(p1), cs, ms)
		items = append(items, nameItem(per, full), emailItem(per), condItem(c, cs), medItem(m, ms))
	case 4:
		text = fmt.Sprintf("%s. %s. Not sure if it's the %s or something else. I don't have %s as far as I know.", cap1(p1), cap1(p2), ms, c.name)
		items = append(items, sympItem(s2, p2), medItem(m, ms), negated(condItem(c, c.name)))
	case 6:
		ss := ssnAs(g.r, per.ssn)
		text = fmt.Sprintf("hi i'm trying to get my %s covered. my name is %s, member id %s, social %s. %s", ms, full, per.member, ss, cap1(p1))
		items = append(items, medItem(m, ms), nameItem(per, full), memberItem(per), ssnItem(per, ss))
	case 7:
		ca := cardAs(g.r, per.card)
		text = fmt.Sprintf("Can I pay for the %s visit over chat? Card is %s exp 09/28. I live at %s, %s. %s", ss2(g), ca, per.streetAs, per.zip, cap1(p1))
		items = append(items, cardItem(per, ca), addrItem(per), zipItem(per.zip))
	default:
		text = fmt.Sprintf("This is %s, MRN %s. %s ever since my dose of %s went up. Should I stop it?", full, per.mrn, cap1(p1), ms)
		items = append(items, nameItem(per, full), mrnItem(per), medItem(m, ms))
	}
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/",
		url:   p("url", "https://"+host+g.pick([]string{"/contact-us", "/patients/messages/new", "/care-team/chat", "/"})),
		title: p("title", g.pick([]string{"Contact Us", "Message Your Care Team", "Chat with a Nurse"})+" | "+name),
		event: p("event", g.pick([]string{"Chat Message Sent", "chat_message", "Conversation Started"})),
		note:  "chat message in the visitor's own words"}
	s.text = p("message", text, items...)
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

// scCopay: paying a bill; card and address typed into the page.
func (g *gen) scCopay() *scene {
	host, name := g.site()
	per, pr := g.person(), g.proc()
	ps := g.procSurface(pr)
	full := per.first + " " + per.last
	ca := cardAs(g.r, per.card)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/billing/",
		url:   p("url", "https://"+host+"/billing/pay?statement="+g.upper(12)),
		title: p("title", "Pay Your Bill | "+name),
		event: p("event", "payment_submitted"),
		note:  "bill payment captured by session recording"}
	s.props = []part{
		p("cardholder_name", full, nameItem(per, full)),
		p("card_number", ca, cardItem(per, ca)),
		p("card_expiry", fmt.Sprintf("%02d/%02d", 1+g.r.IntN(12), 27+g.r.IntN(5))),
		p("billing_address", per.streetAs, addrItem(per)),
		p("billing_zip", per.zip, zipItem(per.zip)),
		p("statement_description", title(ps)+" - patient responsibility", procItem(pr, ps)),
		p("amount", fmt.Sprintf("%d.%02d", 20+g.r.IntN(400), g.r.IntN(100))),
	}
	s.traits = []part{p("email", per.email, emailItem(per))}
	return s
}

type bundle struct {
	slug, event string
	meds        []string
	conds       []string
	procs       []string
	specs       []string
}

var bundles = []bundle{
	{"abortion-pill", "Paid: Medication Abortion Visit", []string{"mifepristone", "misoprostol"}, nil, []string{"abortion"}, nil},
	{"prep", "Start Visit", []string{"emtricitabine/tenofovir disoproxil fumarate"}, []string{"hiv"}, []string{"hiv test"}, nil},
	{"at-home-sti-test", "Order STI Kit", nil, []string{"chlamydia", "gonorrhea"}, []string{"sti testing"}, nil},
	{"ivf", "Consult Request", nil, []string{"female infertility"}, []string{"in vitro fertilization"}, []string{"reproductive endocrinology and infertility"}},
	{"suboxone-treatment", "Paid: Suboxone Induction", []string{"buprenorphine/naloxone"}, []string{"opioid use disorder"}, nil, []string{"addiction medicine"}},
	{"breast-oncology", "Request Second Opinion", []string{"pembrolizumab"}, []string{"breast cancer"}, []string{"chemotherapy"}, []string{"medical oncology"}},
	{"hereditary-cancer-testing", "Book Genetic Counseling", nil, []string{"brca mutation"}, []string{"genetic testing"}, []string{"medical genetics"}},
	{"gender-affirming-care", "Start Hormone Therapy", []string{"estradiol"}, []string{"gender dysphoria"}, []string{"hormone replacement therapy"}, nil},
	{"online-therapy", "Paid: Weekly Therapy", nil, []string{"major depressive disorder"}, []string{"therapy"}, []string{"psychology"}},
	{"adhd-medication", "Paid: Med Management", []string{"lisdexamfetamine"}, []string{"attention-deficit hyperactivity disorder"}, []string{"medication management"}, []string{"psychiatry"}},
	{"weight-care", "Purchase: Starter Kit", []string{"tirzepatide", "semaglutide"}, []string{"obesity"}, nil, nil},
	{"ed-treatment", "Checkout", []string{"tadalafil"}, []string{"erectile dysfunction"}, nil, nil},
	{"birth-control", "Rx Birth Control Order", []string{"drospirenone/ethinyl estradiol"}, nil, nil, nil},
	{"emergency-contraception", "AddToCart", []string{"levonorgestrel"}, nil, nil, nil},
	{"alcohol-treatment", "Lead", []string{"naltrexone"}, []string{"alcohol use disorder"}, nil, []string{"addiction medicine"}},
	{"eating-disorder-program", "Lead", nil, []string{"anorexia nervosa"}, []string{"therapy"}, []string{"clinical nutrition"}},
	{"tms-therapy", "Schedule", nil, []string{"major depressive disorder"}, []string{"transcranial magnetic stimulation"}, []string{"psychiatry"}},
	{"hiv-care", "Appointment Request", []string{"bictegravir/emtricitabine/tenofovir alafenamide"}, []string{"hiv"}, nil, []string{"infectious disease"}},
}

// scSensitive: a service page in one of the especially sensitive
// categories, with the event name the site chose.
func (g *gen) scSensitive() *scene {
	host, name := g.site()
	b := bundles[g.next("bundle", len(bundles))]
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/services/",
		url:  p("url", "https://"+host+"/services/"+b.slug+"/"),
		note: "sensitive service page (" + b.slug + ")"}
	var its []item
	var words []string
	// named adds one labelled term to the title's words and to the props.
	named := func(key, sf string, it item) {
		its = append(its, it)
		words = append(words, sf)
		s.props = append(s.props, p(key, sf, it))
	}
	for _, n := range b.meds {
		m := medications[indexMed(n)]
		sf := g.medSurface(m)
		named("medication", sf, medItem(m, sf))
	}
	for _, n := range b.conds {
		c := conditions[indexCond(n)]
		sf := c.name
		if len(c.lay) > 0 && g.chance(2) {
			sf = c.lay[0]
		}
		named("condition", sf, condItem(c, sf))
	}
	for _, n := range b.procs {
		x := procedures[indexProc(n)]
		sf := g.procSurface(x)
		named("service", sf, procItem(x, sf))
	}
	for _, n := range b.specs {
		x := specialties[indexSpec(n)]
		sf := g.specSurface(x)
		s.props = append(s.props, p("care_team", sf, specItem(x, sf)))
	}
	t := title(strings.Join(words, " and ")) + " | " + name
	s.title = p("title", t, its...)
	s.event = p("event", b.event)
	for _, ev := range []string{"Weekly Therapy", "Med Management", "Suboxone", "Hormone Therapy", "Genetic Counseling", "Medication Abortion", "STI", "Birth Control"} {
		if strings.Contains(b.event, ev) {
			s.event.items = eventItems(ev)
		}
	}
	s.button = p("button", g.pick([]string{"Get started", "Book a visit", "See if you qualify"}))
	g.maybeWho(s, g.person(), 2, "em", "ph", "zp")
	if g.chance(2) {
		ipp := g.person().ip
		s.ip = p("ip", ipp, ipItem(ipp))
	}
	return s
}

// eventItems labels what an event name itself reveals.
func eventItems(ev string) []item {
	switch ev {
	case "Weekly Therapy", "Hormone Therapy":
		x := procedures[indexProc(map[string]string{"Weekly Therapy": "therapy", "Hormone Therapy": "hormone replacement therapy"}[ev])]
		return []item{procItem(x, strings.ToLower(ev))}
	case "Med Management":
		return []item{procItem(procedures[indexProc("medication management")], "med management")}
	case "Suboxone":
		return []item{medItem(medications[indexMed("buprenorphine/naloxone")], "suboxone")}
	case "Genetic Counseling":
		return []item{procItem(procedures[indexProc("genetic testing")], "genetic counseling")}
	case "Medication Abortion":
		return []item{procItem(procedures[indexProc("abortion")], "medication abortion")}
	case "STI":
		return []item{procItem(procedures[indexProc("sti testing")], "sti")}
	case "Birth Control":
		return []item{medItem(medications[indexMed("drospirenone/ethinyl estradiol")], "birth control")}
	}
	return nil
}

// scEligibility: an insurance check, identifiers only.
func (g *gen) scEligibility() *scene {
	host, name := g.site()
	per := g.person()
	dob := dobAs(g.r, per.dob)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/insurance/",
		url:   p("url", "https://"+host+"/insurance/verify"),
		title: p("title", "Check Your Coverage | "+name),
		event: p("event", "eligibility_check"),
		note:  "insurance eligibility form"}
	s.props = []part{
		p("subscriber_first_name", per.first, nameItem(per, per.first)),
		p("subscriber_last_name", per.last),
		p("member_id", per.member, memberItem(per)),
		p("group_number", "GRP"+digits(g.r, 6)),
		p("subscriber_dob", dob, dobItem(per, dob)),
		p("relationship", "self"),
		p("payer", g.pick([]string{"Blue Cross Blue Shield", "Aetna", "Cigna", "UnitedHealthcare", "Humana"})),
	}
	if g.r.IntN(4) > 0 {
		ss := ssnAs(g.r, per.ssn)
		s.props = append(s.props, p("subscriber_ssn", ss, ssnItem(per, ss)))
	}
	if g.chance(2) {
		s.props = append(s.props, p("subscriber_address", per.streetAs, addrItem(per)))
	}
	return s
}

// scReferral: a clinician's referral form, prescriber identifiers included.
func (g *gen) scReferral() *scene {
	host, name := g.site()
	per, prov, c, sp, pr := g.person(), g.provider(), g.cond(), g.spec(), g.proc()
	cs, ss, ps := g.condSurface(c), g.specSurface(sp), g.procSurface(pr)
	ph := portalHost(host)
	written := per.last + ", " + per.first
	s := &scene{host: ph, siteName: name, ref: "https://" + ph + "/referrals",
		url:   p("url", "https://"+ph+"/referrals/new?from=clinician"),
		title: p("title", "New Referral | "+name+" Provider Portal"),
		event: p("event", "referral_submitted"),
		note:  "provider portal referral"}
	nm := nameItem(per, written)
	nm.Alt = []string{strings.ToLower(written)}
	s.props = []part{
		p("referring_npi", prov.npi, npiItem(prov)),
		p("refer_to", ss, specItem(sp, ss)),
		p("diagnosis", cs, condItem(c, cs)),
		p("requested_service", ps, procItem(pr, ps)),
		p("patient", written, nm),
		p("patient_mrn", per.mrn, mrnItem(per)),
	}
	if g.r.IntN(3) > 0 {
		s.props = append(s.props, p("referring_dea", prov.dea, deaItem(prov)))
	}
	sy := g.symp()
	phr := g.sympPhrase(sy)
	s.props = append(s.props, p("clinical_notes", "Pt reports "+phr+".", sympItem(sy, phr)))
	return s
}

var retailSites = []struct{ host, name, page string }{
	{"www.fernwoodoutfitters.com", "Fernwood Outfitters", "/checkout/thank-you"},
	{"shop.copperkettlegoods.com", "Copper Kettle Goods", "/order/complete"},
	{"www.trailmarkbikes.com", "Trailmark Bikes", "/account/created"},
	{"www.lumenhomewares.com", "Lumen Homewares", "/checkout/confirmation"},
}

// scRetailHashed: a shop with advanced matching on; hashed identifiers only.
func (g *gen) scRetailHashed() *scene {
	rs := retailSites[g.next("retail", len(retailSites))]
	per := g.person()
	s := &scene{host: rs.host, siteName: rs.name, ref: "https://" + rs.host + "/cart",
		url:   p("url", "https://"+rs.host+rs.page+"?order="+digits(g.r, 9)),
		title: p("title", "Thank you for your order | "+rs.name),
		event: p("event", g.pick([]string{"Purchase", "CompleteRegistration"})),
		note:  "non-health shop with advanced matching: hashed identifiers only"}
	s.props = []part{p("value", fmt.Sprintf("%d.%02d", 10+g.r.IntN(300), g.r.IntN(100))), p("currency", "USD")}
	s.who = per
	s.hash = []string{"em", "ph", "fn", "ln", "zp", "db", "external_id"}[:3+g.r.IntN(5)]
	return s
}

// scSignup: creating an account on a telehealth site.
func (g *gen) scSignup() *scene {
	host, name := g.site()
	per, m := g.person(), g.med()
	ms := g.medSurface(m)
	ph := phoneAs(g.r, per.phone)
	dob := dobAs(g.r, per.dob)
	full := per.first + " " + per.last
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/get-started",
		url:   p("url", "https://"+host+"/get-started/account?program="+slugify(ms), medItem(m, slugify(ms))),
		title: p("title", "Create Your Account | "+name),
		event: p("event", g.pick([]string{"CompleteRegistration", "Sign Up", "account_created"})),
		note:  "telehealth sign-up for a named drug program"}
	s.props = []part{p("program", ms+" program", medItem(m, ms))}
	s.traits = []part{
		p("email", per.email, emailItem(per)),
		p("phone", ph, phoneItem(per, ph)),
		p("name", full, nameItem(per, full)),
		p("birthday", dob, dobItem(per, dob)),
		p("zip", per.zip, zipItem(per.zip)),
	}
	if g.chance(2) {
		s.traits = append(s.traits, p("street", per.streetAs, addrItem(per)))
	}
	if g.chance(3) {
		ca := cardAs(g.r, per.card)
		s.props = append(s.props, p("payment_card", ca, cardItem(per, ca)))
	}
	s.ip = p("ip", per.ip, ipItem(per.ip))
	s.who, s.hash = per, []string{"em", "ph"}
	return s
}

// ss2 names a visit type for chat about paying.
func ss2(g *gen) string {
	return g.pick([]string{"telehealth", "follow-up", "new patient", "same-day"})
}

// scRxTransfer: moving a prescription to a new pharmacy; the form asks for
// the patient's and the prescriber's identifiers.
func (g *gen) scRxTransfer() *scene {
	host, name := g.site()
	per, prov, m := g.person(), g.provider(), g.med()
	ms := g.medSurface(m)
	full := per.first + " " + per.last
	dob := dobAs(g.r, per.dob)
	ss := ssnAs(g.r, per.ssn)
	s := &scene{host: host, siteName: name, ref: "https://" + host + "/pharmacy/",
		url:   p("url", "https://"+host+"/pharmacy/transfer?step=review"),
		title: p("title", "Transfer a Prescription | "+name),
		event: p("event", "rx_transfer_submitted"),
		note:  "prescription transfer form"}
	s.props = []part{
		p("patient_name", full, nameItem(per, full)),
		p("patient_dob", dob, dobItem(per, dob)),
		p("patient_ssn", ss, ssnItem(per, ss)),
		p("drug", ms+" "+g.pick(doses), medItem(m, ms)),
		p("prescriber_npi", prov.npi, npiItem(prov)),
		p("prescriber_dea", prov.dea, deaItem(prov)),
		p("refills_left", fmt.Sprint(g.r.IntN(6))),
	}
	if g.chance(2) {
		s.ip = p("ip", per.ip, ipItem(per.ip))
	}
	return s
}

func article(w string) string {
	if strings.IndexByte("aeiou", w[0]) >= 0 {
		return "an"
	}
	return "a"
}
