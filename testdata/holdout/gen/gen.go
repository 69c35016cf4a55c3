package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

type gen struct {
	r         *rand.Rand
	people    []*person
	providers []*provider
	cur       map[string][]int
	pos       map[string]int
	clock     time.Time
}

func newGen(seed uint64) *gen {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := &gen{r: r, cur: map[string][]int{}, pos: map[string]int{}}
	g.people = makePeople(r, 40)
	g.providers = makeProviders(r)
	g.clock = time.Date(2026, 11, 3, 14, 2, 11, 0, time.UTC)
	return g
}

// next walks a shuffled order of a list so every entry is used before any
// repeats.
func (g *gen) next(name string, n int) int {
	if _, ok := g.cur[name]; !ok {
		g.cur[name] = g.r.Perm(n)
	}
	i := g.cur[name][g.pos[name]%n]
	g.pos[name]++
	return i
}

func (g *gen) med() med               { return medications[g.next("med", len(medications))] }
func (g *gen) cond() condition        { return conditions[g.next("cond", len(conditions))] }
func (g *gen) proc() procedure        { return procedures[g.next("proc", len(procedures))] }
func (g *gen) spec() specialty        { return specialties[g.next("spec", len(specialties))] }
func (g *gen) symp() symptom          { return symptoms[g.next("symp", len(symptoms))] }
func (g *gen) person() *person        { return g.people[g.next("person", len(g.people))] }
func (g *gen) provider() *provider    { return g.providers[g.next("provider", len(g.providers))] }
func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }
func (g *gen) chance(n int) bool      { return g.r.IntN(n) == 0 }

// tick advances the corpus clock a few minutes and returns it.
func (g *gen) tick() time.Time {
	g.clock = g.clock.Add(time.Duration(5+g.r.IntN(115)) * time.Second)
	return g.clock
}

func (g *gen) ms() string { return fmt.Sprint(g.tick().UnixMilli()) }

// randFrom draws n characters from an alphabet.
func (g *gen) randFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) hex(n int) string { return g.randFrom("0123456789abcdef", n) }
func (g *gen) alnum(n int) string {
	return g.randFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n)
}
func (g *gen) upper(n int) string { return g.randFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", n) }

func (g *gen) uuid() string {
	h := g.hex(32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + string("89ab"[g.r.IntN(4)]) + h[17:20] + "-" + h[20:]
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
}

// Health sites are fictitious names; their host names are not labelled.
var healthSites = []struct{ host, name string }{
	{"www.cedarbrookhealth.com", "Cedarbrook Health"},
	{"www.lakeshoremedicalgroup.org", "Lakeshore Medical Group"},
	{"www.brightpathcare.com", "BrightPath Care"},
	{"www.meridianclinic.com", "Meridian Clinic"},
	{"www.tallgrassfamilyclinic.com", "Tallgrass Family Clinic"},
	{"www.harborlighthealth.com", "Harborlight Health"},
	{"www.ninebarkhealthpartners.org", "Ninebark Health Partners"},
	{"www.quillrx.com", "Quill Rx"},
	{"www.evenkeeltelehealth.com", "Evenkeel Telehealth"},
	{"www.sunridgeclinic.com", "Sunridge Clinic"},
	{"www.stonebridgemedical.com", "Stonebridge Medical"},
	{"www.palisadehealth.org", "Palisade Health"},
	{"www.openlanehealth.com", "Openlane Health"},
	{"www.northfieldkidsclinic.com", "Northfield Kids Clinic"},
	{"www.kestrelclinic.com", "Kestrel Clinic"},
	{"www.wellspringclinic.org", "Wellspring Clinic"},
}

func (g *gen) site() (host, name string) {
	s := healthSites[g.next("site", len(healthSites))]
	return s.host, s.name
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if c != '\'' && !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func title(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		if len(x) > 0 && (i == 0 || len(x) > 3) {
			w[i] = strings.ToUpper(x[:1]) + x[1:]
		}
	}
	return strings.Join(w, " ")
}

func lowerAll(s []string) []string {
	var out []string
	for _, x := range s {
		out = append(out, strings.ToLower(x))
	}
	return out
}

// Label items. surface is the exact text that appears in the request.

func medItem(m med, surface string) item {
	return item{Kind: "medication", Term: m.generic, Alt: append(lowerAll(m.brands), m.alt...), surface: surface}
}

// medSurface picks how a person or a site writes the drug.
func (g *gen) medSurface(m med) string {
	if g.chance(2) {
		return m.brands[g.r.IntN(len(m.brands))]
	}
	return m.generic
}

func condItem(c condition, surface string) item {
	return item{Kind: "condition", Term: c.name, Alt: append([]string{strings.ToLower(c.icd)}, c.lay...), surface: surface}
}

func (c condition) urlSlug() string {
	if c.slug != "" {
		return c.slug
	}
	return slugify(c.name)
}

func (g *gen) condSurface(c condition) string {
	switch g.r.IntN(4) {
	case 0:
		return c.icd
	case 1:
		if len(c.lay) > 0 {
			return c.lay[0]
		}
	}
	return c.name
}

func procItem(p procedure, surface string) item {
	return item{Kind: "procedure", Term: p.name, Alt: p.alt, surface: surface}
}

func (g *gen) procSurface(p procedure) string {
	if len(p.alt) > 0 && g.chance(3) {
		return p.alt[0]
	}
	return p.name
}

func specItem(s specialty, surface string) item {
	return item{Kind: "specialty", Term: s.field, Alt: append([]string{s.practitioner}, s.alt...), surface: surface}
}

func (g *gen) specSurface(s specialty) string {
	if g.chance(2) {
		return s.practitioner
	}
	return s.field
}

func sympItem(s symptom, surface string) item {
	return item{Kind: "symptom", Term: s.canon, Alt: append(append([]string{}, s.phrases...), s.alt...), surface: surface}
}

func (g *gen) sympPhrase(s symptom) string { return s.phrases[g.r.IntN(len(s.phrases))] }

func emailItem(p *person) item { return item{Kind: "email", Term: p.email, surface: p.email} }
func phoneItem(p *person, as string) item {
	return item{Kind: "phone", Term: p.phone, surface: as}
}
func ssnItem(p *person, as string) item  { return item{Kind: "ssn", Term: p.ssn, surface: as} }
func dobItem(p *person, as string) item  { return item{Kind: "dob", Term: p.dob, surface: as} }
func zipItem(zip string) item            { return item{Kind: "zip", Term: zip, surface: zip} }
func nameItem(p *person, as string) item { return item{Kind: "name", Term: p.name(), surface: as} }
func addrItem(p *person) item {
	return item{Kind: "address", Term: p.street, surface: p.streetAs}
}
func mrnItem(p *person) item {
	return item{Kind: "mrn", Term: p.mrn, Alt: p.mrnAlt, surface: p.mrn}
}
func memberItem(p *person) item {
	return item{Kind: "member_id", Term: p.member, Alt: p.memberAlt, surface: p.member}
}
func npiItem(pr *provider) item { return item{Kind: "npi", Term: pr.npi, surface: pr.npi} }
func deaItem(pr *provider) item { return item{Kind: "dea", Term: pr.dea, surface: pr.dea} }
func cardItem(p *person, as string) item {
	return item{Kind: "card", Term: p.card, surface: as}
}
func ipItem(ip string) item { return item{Kind: "ip", Term: ip, surface: ip} }

// p builds a part.
func p(key string, val any, items ...item) part { return part{key: key, val: val, items: items} }
