package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The pools below give every kind enough distinct values for a per-kind
// score to mean something: at least 20 per identifier kind and 50 per
// health kind. Health terms are written from general medical knowledge
// (generic names with their US brands, common disease, test and specialty
// names); the canonical label follows the conventions of
// testdata/eval/README.md, with Alt naming another correct preferred
// name where one is as common. Identifiers come from the generators at
// the end of this file (valid checksums, real number ranges).

// rxPairs are generics with a brand or the generic itself as sent.
var rxPairs = [][2]string{
	{"Lipitor", "atorvastatin"}, {"Synthroid", "levothyroxine"}, {"Norvasc", "amlodipine"},
	{"Prilosec", "omeprazole"}, {"Cozaar", "losartan"}, {"Neurontin", "gabapentin"},
	{"Singulair", "montelukast"}, {"Crestor", "rosuvastatin"}, {"Protonix", "pantoprazole"},
	{"Lasix", "furosemide"}, {"Lantus", "insulin glargine"}, {"prednisone", "prednisone"},
	{"tramadol", "tramadol"}, {"trazodone", "trazodone"}, {"Cymbalta", "duloxetine"},
	{"Effexor", "venlafaxine"}, {"Celexa", "citalopram"}, {"Klonopin", "clonazepam"},
	{"Ativan", "lorazepam"}, {"Lamictal", "lamotrigine"}, {"Risperdal", "risperidone"},
	{"Zyprexa", "olanzapine"}, {"Ritalin", "methylphenidate"}, {"Strattera", "atomoxetine"},
	{"Chantix", "varenicline"}, {"Antabuse", "disulfiram"}, {"acamprosate", "acamprosate"},
	{"methadone", "methadone"}, {"OxyContin", "oxycodone"}, {"Valtrex", "valacyclovir"},
	{"acyclovir", "acyclovir"}, {"Tivicay", "dolutegravir"}, {"Nexplanon", "etonogestrel"},
	{"misoprostol", "misoprostol"}, {"Femara", "letrozole"}, {"Arimidex", "anastrozole"},
	{"finasteride", "finasteride"}, {"spironolactone", "spironolactone"}, {"Humira", "adalimumab"},
	{"Enbrel", "etanercept"}, {"methotrexate", "methotrexate"}, {"Plaquenil", "hydroxychloroquine"},
	{"warfarin", "warfarin"}, {"Eliquis", "apixaban"}, {"Xarelto", "rivaroxaban"},
	{"Plavix", "clopidogrel"}, {"Trulicity", "dulaglutide"}, {"Jardiance", "empagliflozin"},
	{"Januvia", "sitagliptin"}, {"BuSpar", "buspirone"}, {"mirtazapine", "mirtazapine"},
	{"Zofran", "ondansetron"}, {"Imitrex", "sumatriptan"}, {"naproxen", "naproxen"},
	{"cyclobenzaprine", "cyclobenzaprine"}, {"Aricept", "donepezil"}, {"Namenda", "memantine"},
	{"Keppra", "levetiracetam"}, {"Depakote", "divalproex sodium"}, {"Latuda", "lurasidone"},
	{"Vivitrol", "naltrexone"}, {"Paxlovid", "nirmatrelvir-ritonavir"}, {"Dupixent", "dupilumab"},
}

// conditionNames are diseases and diagnoses: the label's term, an
// alternative preferred name (or ""), and the text sent.
var conditionNames = [][3]string{
	{"celiac disease", "", "Celiac Disease"},
	{"ulcerative colitis", "", "Ulcerative Colitis"},
	{"irritable bowel syndrome", "", "Irritable Bowel Syndrome"},
	{"gastroesophageal reflux disease", "", "Gastroesophageal Reflux Disease"},
	{"rheumatoid arthritis", "", "Rheumatoid Arthritis"},
	{"osteoarthritis", "", "Osteoarthritis"},
	{"osteoporosis", "", "Osteoporosis"},
	{"psoriasis", "", "Psoriasis"},
	{"atopic dermatitis", "eczema", "Atopic Dermatitis"},
	{"multiple sclerosis", "", "Multiple Sclerosis"},
	{"parkinson's disease", "parkinson disease", "Parkinson's Disease"},
	{"alzheimer's disease", "alzheimer disease", "Alzheimer's Disease"},
	{"epilepsy", "", "Epilepsy"},
	{"attention-deficit/hyperactivity disorder", "adhd", "ADHD"},
	{"autism spectrum disorder", "autism", "Autism Spectrum Disorder"},
	{"post-traumatic stress disorder", "ptsd", "PTSD"},
	{"borderline personality disorder", "", "Borderline Personality Disorder"},
	{"obstructive sleep apnea", "sleep apnea", "Sleep Apnea"},
	{"chronic obstructive pulmonary disease", "copd", "COPD"},
	{"heart failure", "congestive heart failure", "Heart Failure"},
	{"atrial fibrillation", "", "Atrial Fibrillation"},
	{"coronary artery disease", "", "Coronary Artery Disease"},
	{"hypothyroidism", "", "Hypothyroidism"},
	{"hyperthyroidism", "", "Hyperthyroidism"},
	{"type 1 diabetes", "", "Type 1 Diabetes"},
	{"gestational diabetes", "", "Gestational Diabetes"},
	{"chronic kidney disease", "", "Chronic Kidney Disease"},
	{"hepatitis b", "", "Hepatitis B"},
	{"cirrhosis", "liver cirrhosis", "Cirrhosis"},
	{"pancreatic cancer", "", "Pancreatic Cancer"},
	{"lung cancer", "", "Lung Cancer"},
	{"colorectal cancer", "colon cancer", "Colorectal Cancer"},
	{"ovarian cancer", "", "Ovarian Cancer"},
	{"cervical cancer", "", "Cervical Cancer"},
	{"leukemia", "", "Leukemia"},
	{"lymphoma", "", "Lymphoma"},
	{"melanoma", "", "Melanoma"},
	{"syphilis", "", "Syphilis"},
	{"gonorrhea", "", "Gonorrhea"},
	{"human papillomavirus", "hpv", "HPV"},
	{"tuberculosis", "", "Tuberculosis"},
	{"obesity", "", "Obesity"},
	{"preeclampsia", "", "Preeclampsia"},
	{"miscarriage", "", "Miscarriage"},
	{"ectopic pregnancy", "", "Ectopic Pregnancy"},
	{"uterine fibroids", "", "Uterine Fibroids"},
	{"huntington's disease", "huntington disease", "Huntington's Disease"},
	{"muscular dystrophy", "", "Muscular Dystrophy"},
	{"down syndrome", "", "Down Syndrome"},
	{"fibromyalgia", "", "Fibromyalgia"},
	{"lyme disease", "", "Lyme Disease"},
	{"gout", "", "Gout"},
	{"glaucoma", "", "Glaucoma"},
	{"macular degeneration", "", "Macular Degeneration"},
	{"schizoaffective disorder", "", "Schizoaffective Disorder"},
	{"binge eating disorder", "", "Binge Eating Disorder"},
	{"iron deficiency anemia", "anemia", "Iron Deficiency Anemia"},
	{"kidney stones", "kidney stone", "Kidney Stones"},
}

// procedureNames are tests, treatments and services: term, alternative,
// text.
var procedureNames = [][3]string{
	{"magnetic resonance imaging", "mri", "MRI Scan"},
	{"computed tomography", "ct scan", "CT Scan"},
	{"ultrasound", "", "Ultrasound"},
	{"echocardiogram", "", "Echocardiogram"},
	{"electrocardiogram", "ekg", "Electrocardiogram"},
	{"biopsy", "", "Biopsy"},
	{"upper endoscopy", "endoscopy", "Upper Endoscopy"},
	{"cardiac catheterization", "", "Cardiac Catheterization"},
	{"angioplasty", "", "Angioplasty"},
	{"coronary artery bypass graft", "coronary artery bypass surgery", "Coronary Artery Bypass Surgery"},
	{"knee replacement", "", "Knee Replacement"},
	{"hip replacement", "", "Hip Replacement"},
	{"cataract surgery", "", "Cataract Surgery"},
	{"lasik", "", "LASIK"},
	{"tonsillectomy", "", "Tonsillectomy"},
	{"appendectomy", "", "Appendectomy"},
	{"cholecystectomy", "gallbladder removal", "Gallbladder Removal"},
	{"hysterectomy", "", "Hysterectomy"},
	{"tubal ligation", "", "Tubal Ligation"},
	{"iud insertion", "", "IUD Insertion"},
	{"cesarean section", "c-section", "C-Section"},
	{"abortion care", "abortion", "Abortion Care"},
	{"pap smear", "pap test", "Pap Smear"},
	{"amniocentesis", "", "Amniocentesis"},
	{"genetic testing", "", "Genetic Testing"},
	{"allergy testing", "", "Allergy Testing"},
	{"physical therapy", "", "Physical Therapy"},
	{"occupational therapy", "", "Occupational Therapy"},
	{"speech therapy", "", "Speech Therapy"},
	{"cognitive behavioral therapy", "", "Cognitive Behavioral Therapy"},
	{"electroconvulsive therapy", "", "Electroconvulsive Therapy"},
	{"transcranial magnetic stimulation", "", "Transcranial Magnetic Stimulation"},
	{"detoxification", "medical detox", "Medical Detox"},
	{"gastric bypass", "bariatric surgery", "Gastric Bypass"},
	{"rhinoplasty", "", "Rhinoplasty"},
	{"mastectomy", "", "Mastectomy"},
	{"lumpectomy", "", "Lumpectomy"},
	{"radiation therapy", "", "Radiation Therapy"},
	{"immunotherapy", "cancer immunotherapy", "Immunotherapy"},
	{"bone marrow transplant", "", "Bone Marrow Transplant"},
	{"kidney transplant", "", "Kidney Transplant"},
	{"spinal fusion", "", "Spinal Fusion"},
	{"carpal tunnel release", "carpal tunnel surgery", "Carpal Tunnel Surgery"},
	{"hemoglobin a1c test", "a1c test", "A1C Test"},
	{"lipid panel", "", "Lipid Panel"},
	{"sleep study", "", "Sleep Study"},
	{"prostate biopsy", "", "Prostate Biopsy"},
	{"psa test", "", "PSA Test"},
	{"bone density scan", "", "Bone Density Scan"},
	{"hearing test", "", "Hearing Test"},
	{"circumcision", "", "Circumcision"},
	{"flu shot", "influenza vaccine", "Flu Shot"},
	{"prenatal care", "", "Prenatal Care"},
	{"hernia repair", "", "Hernia Repair"},
	{"root canal", "", "Root Canal"},
	{"sigmoidoscopy", "", "Sigmoidoscopy"},
}

// specialtyNames are medical fields: term, alternative, text (a "find a
// doctor" heading).
var specialtyNames = [][3]string{
	{"cardiology", "", "Cardiology"},
	{"dermatology", "", "Dermatology"},
	{"endocrinology", "", "Endocrinology"},
	{"gastroenterology", "", "Gastroenterology"},
	{"neurology", "", "Neurology"},
	{"nephrology", "", "Nephrology"},
	{"pulmonology", "pulmonary medicine", "Pulmonology"},
	{"rheumatology", "", "Rheumatology"},
	{"hematology", "", "Hematology"},
	{"infectious disease", "", "Infectious Disease"},
	{"obstetrics and gynecology", "obstetrics", "Obstetrics and Gynecology"},
	{"pediatrics", "", "Pediatrics"},
	{"geriatrics", "geriatric medicine", "Geriatrics"},
	{"orthopedics", "orthopedic surgery", "Orthopedics"},
	{"ophthalmology", "", "Ophthalmology"},
	{"otolaryngology", "ent", "Otolaryngology"},
	{"allergy and immunology", "allergy", "Allergy and Immunology"},
	{"physical medicine and rehabilitation", "", "Physical Medicine and Rehabilitation"},
	{"plastic surgery", "", "Plastic Surgery"},
	{"radiology", "", "Radiology"},
	{"anesthesiology", "", "Anesthesiology"},
	{"emergency medicine", "", "Emergency Medicine"},
	{"family medicine", "", "Family Medicine"},
	{"internal medicine", "", "Internal Medicine"},
	{"neurosurgery", "", "Neurosurgery"},
	{"podiatry", "", "Podiatry"},
	{"optometry", "", "Optometry"},
	{"audiology", "", "Audiology"},
	{"chiropractic", "", "Chiropractic"},
	{"psychology", "", "Psychology"},
	{"addiction medicine", "", "Addiction Medicine"},
	{"pain medicine", "", "Pain Medicine"},
	{"sleep medicine", "", "Sleep Medicine"},
	{"sports medicine", "", "Sports Medicine"},
	{"palliative medicine", "", "Palliative Medicine"},
	{"reproductive endocrinology", "reproductive endocrinology and infertility", "Reproductive Endocrinology"},
	{"maternal-fetal medicine", "", "Maternal-Fetal Medicine"},
	{"neonatology", "", "Neonatology"},
	{"vascular surgery", "", "Vascular Surgery"},
	{"cardiothoracic surgery", "", "Cardiothoracic Surgery"},
	{"colorectal surgery", "", "Colorectal Surgery"},
	{"interventional radiology", "radiology", "Interventional Radiology"},
	{"medical genetics", "genetics", "Medical Genetics"},
	{"nuclear medicine", "", "Nuclear Medicine"},
	{"radiation oncology", "", "Radiation Oncology"},
	{"hepatology", "", "Hepatology"},
	{"midwifery", "", "Midwifery"},
	{"oral surgery", "oral and maxillofacial surgery", "Oral Surgery"},
	{"pediatric cardiology", "cardiology", "Pediatric Cardiology"},
	{"child psychiatry", "psychiatry", "Child Psychiatry"},
	{"gynecologic oncology", "", "Gynecologic Oncology"},
	{"urogynecology", "", "Urogynecology"},
	{"general surgery", "", "General Surgery"},
	{"hospice and palliative medicine", "palliative medicine", "Hospice and Palliative Medicine"},
	{"vascular medicine", "", "Vascular Medicine"},
	{"critical care medicine", "", "Critical Care Medicine"},
}

// enclosed are the terms a page title names inside its own: "Cataract
// Surgery" is a procedure and names the condition it treats.
var enclosed = map[string][]label{
	"Cataract Surgery":                {cond("cataract")},
	"Carpal Tunnel Surgery":           {cond("carpal tunnel syndrome")},
	"Hernia Repair":                   {cond("hernia")},
	"Flu Shot":                        {cond("influenza")},
	"Allergy Testing":                 {cond("allergy")},
	"Abortion Care":                   {cond("abortion")},
	"Addiction Medicine":              {alt(cond("substance use disorder"), "addiction")},
	"Allergy and Immunology":          {cond("allergy")},
	"Hospice and Palliative Medicine": {proc("hospice care")},
}

// alts holds, per label, another term as correct as the label's own; a
// record writes it as the label's "alt".
var alts = map[label]string{}

// alt registers other as an alternative term of l and returns l.
func alt(l label, other string) label {
	if other != "" {
		alts[l] = other
	}
	return l
}

func init() {
	// Medications: refill events and pharmacy pages, brand or generic as
	// a patient would type it.
	for i, p := range rxPairs {
		l := med(p[1])
		if i%2 == 0 {
			events = append(events, h("Refill Requested: "+p[0], "", l))
		} else {
			pages = append(pages, h(p[0]+" Prescription", "/pharmacy/medications/"+slugOf(p[0]), l))
		}
	}
	// The same medications and conditions in sentences a visitor types,
	// in the other spelling (generic where the event has the brand).
	rxSentences := []string{"I take %s every morning", "can I get a refill of %s before the weekend", "my %s prescription ran out",
		"how much is %s without insurance?", "I stopped taking %s two weeks ago"}
	for i, p := range rxPairs {
		name := p[1]
		if i%2 == 1 {
			name = p[0]
		}
		texts = append(texts, h(fmt.Sprintf(rxSentences[i%len(rxSentences)], name), "", med(p[1])))
	}
	condSentences := []string{"I was diagnosed with %s last year", "my mother has %s, what should I ask", "looking for a second opinion on %s"}
	for i, c := range conditionNames {
		pages = append(pages, h(c[2], "/conditions/"+slugOf(c[2]), alt(cond(c[0]), c[1])))
		if i%2 == 0 {
			f := condSentences[i/2%len(condSentences)]
			ls := []label{alt(cond(c[0]), c[1])}
			if strings.Contains(f, "second opinion") {
				ls = append(ls, proc("second opinion")) // a consultation service
			}
			texts = append(texts, h(fmt.Sprintf(f, c[2]), "", ls...))
		}
	}
	for _, c := range procedureNames {
		pages = append(pages, h(c[2], "/services/"+slugOf(c[2]), append([]label{alt(proc(c[0]), c[1])}, enclosed[c[2]]...)...))
	}
	for _, c := range specialtyNames {
		pages = append(pages, h(c[2], "/find-a-doctor/"+slugOf(c[2]), append([]label{alt(spec(c[0]), c[1])}, enclosed[c[2]]...)...))
	}
	emails = append(emails, moreEmails()...)
	phones = append(phones, morePhones()...)
	others = interleave(others, ssnPool(), npiPool(), deaPool(), cardPool(), mrnPool(), memberPool(), dobPool(), zipPool(), addressPool(), namePool())
}

// interleave returns base followed by the pools' values taken in turn,
// one of each pool per round, so a rotation over the result reaches every
// kind early.
func interleave(base []person, pools ...[]person) []person {
	out := append([]person{}, base...)
	for i := 0; ; i++ {
		added := false
		for _, p := range pools {
			if i < len(p) {
				out = append(out, p[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// poolRNG seeds the identifier generators apart from the flow generator,
// so that adding a template never changes an identifier.
func poolRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func moreEmails() []person {
	addrs := []string{
		"Tanisha.Brooks@gmail.com", "r.castellano@yahoo.com", "huang.wei+appointments@outlook.com",
		"omar_haddad77@hotmail.com", "ELLIE.FITZGERALD@ICLOUD.COM", "jpkowalski@protonmail.com",
		"amara.nwosu@fastmail.com", "deshawn.carter@comcast.net", "lucia.romero@aol.com",
		"b.lindqvist@me.com", "kwame.mensah@yahoo.co.uk", "sofia-marquez@gmx.com",
		"tomasz.nowak@mail.com", "grace.oyelaran@gmail.com", "henry.tran.92@outlook.com",
		"f.alvarez@students.uic.edu", "noor.siddiqui@live.com", "cole.whitaker@verizon.net",
	}
	var out []person
	keys := []string{"email", "email_address", "emailAddress", "user_email"}
	for i, a := range addrs {
		out = append(out, id(keys[i%len(keys)], a, "email", strings.ToLower(a)))
	}
	return out
}

// morePhones writes NANP numbers (area and exchange codes 2-9xx, no N11
// exchange, no 555) in the formats forms accept.
func morePhones() []person {
	rng := poolRNG(1)
	areas := []int{206, 212, 214, 303, 305, 312, 404, 415, 503, 512, 602, 614, 702, 713, 718, 805, 860, 919}
	keys := []string{"phone", "phone_number", "mobile", "tel", "cell_phone"}
	var out []person
	for i, a := range areas {
		ex := 200 + rng.IntN(800)
		for ex%100 == 11 || ex == 555 {
			ex = 200 + rng.IntN(800)
		}
		line := rng.IntN(10000)
		digits := fmt.Sprintf("%03d%03d%04d", a, ex, line)
		var v string
		switch i % 6 {
		case 0:
			v = fmt.Sprintf("(%03d) %03d-%04d", a, ex, line)
		case 1:
			v = fmt.Sprintf("%03d-%03d-%04d", a, ex, line)
		case 2:
			v = fmt.Sprintf("+1 %03d %03d %04d", a, ex, line)
		case 3:
			v = "+1" + digits
		case 4:
			v = fmt.Sprintf("%03d.%03d.%04d", a, ex, line)
		default:
			v = fmt.Sprintf("1-%03d-%03d-%04d", a, ex, line)
		}
		out = append(out, id(keys[i%len(keys)], v, "phone", "+1"+digits))
	}
	return out
}

// ssnPool writes SSNs in the ranges the SSA issues: area 001-899 but not
// 666, group 01-99, serial 0001-9999.
func ssnPool() []person {
	rng := poolRNG(2)
	keys := []string{"ssn", "social_security_number", "ssn", "patient_ssn"}
	var out []person
	for i := 0; i < 22; i++ {
		area := 1 + rng.IntN(899)
		for area == 666 {
			area = 1 + rng.IntN(899)
		}
		group, serial := 1+rng.IntN(99), 1+rng.IntN(9999)
		canon := fmt.Sprintf("%03d-%02d-%04d", area, group, serial)
		v := canon
		switch i % 3 {
		case 1:
			v = strings.ReplaceAll(canon, "-", "")
		case 2:
			v = strings.ReplaceAll(canon, "-", " ")
		}
		out = append(out, id(keys[i%len(keys)], v, "ssn", canon))
	}
	return out
}

// luhnCheck returns the digit that makes digits+check pass the Luhn test.
func luhnCheck(digits string) int {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// npiPool writes NPIs: 1 or 2, eight digits, and the Luhn check digit
// computed with the 80840 prefix the NPI standard adds.
func npiPool() []person {
	rng := poolRNG(3)
	keys := []string{"npi", "provider_npi", "referring_npi", "npi_number"}
	var out []person
	for i := 0; i < 22; i++ {
		base := fmt.Sprintf("%d%08d", 1+i%2, rng.IntN(100000000))
		npi := base + fmt.Sprint(luhnCheck("80840"+base))
		out = append(out, id(keys[i%len(keys)], npi, "npi", npi))
	}
	return out
}

// deaPool writes DEA registration numbers: a registrant-type letter, the
// registrant's last-name initial, six digits and the check digit.
func deaPool() []person {
	rng := poolRNG(4)
	types, initials := "ABFGMP", "BCDGHKLMNPRSTW"
	keys := []string{"dea", "dea_number", "prescriber_dea"}
	var out []person
	for i := 0; i < 22; i++ {
		var d [6]int
		for j := range d {
			d[j] = rng.IntN(10)
		}
		check := (d[0] + d[2] + d[4] + 2*(d[1]+d[3]+d[5])) % 10
		v := fmt.Sprintf("%c%c%d%d%d%d%d%d%d", types[i%len(types)], initials[rng.IntN(len(initials))], d[0], d[1], d[2], d[3], d[4], d[5], check)
		out = append(out, id(keys[i%len(keys)], v, "dea", v))
	}
	return out
}

// cardPool writes Luhn-valid numbers of the major networks' ranges (Visa
// 4, Mastercard 51-55 and 2221-2720, American Express 34/37, Discover
// 6011/65), plain, spaced or dashed as checkout forms send them.
func cardPool() []person {
	rng := poolRNG(5)
	prefixes := []string{"4", "51", "52", "53", "54", "55", "2221", "2720", "34", "37", "6011", "65"}
	keys := []string{"card_number", "cc_number", "credit_card", "cardNumber"}
	var out []person
	for i := 0; i < 22; i++ {
		p := prefixes[i%len(prefixes)]
		n := 16
		if p == "34" || p == "37" {
			n = 15
		}
		body := p
		for len(body) < n-1 {
			body += fmt.Sprint(rng.IntN(10))
		}
		num := body + fmt.Sprint(luhnCheck(body))
		v := num
		switch {
		case n == 15 && i%2 == 0:
			v = num[:4] + " " + num[4:10] + " " + num[10:]
		case n == 16 && i%3 == 1:
			v = num[:4] + " " + num[4:8] + " " + num[8:12] + " " + num[12:]
		case n == 16 && i%3 == 2:
			v = num[:4] + "-" + num[4:8] + "-" + num[8:12] + "-" + num[12:]
		}
		out = append(out, id(keys[i%len(keys)], v, "card", num))
	}
	return out
}

// mrnPool writes record numbers in the shapes EHRs use: prefixed,
// zero-padded, plain digits, facility-coded.
func mrnPool() []person {
	rng := poolRNG(6)
	keys := []string{"mrn", "patient_id", "medical_record_number", "chart_number", "patientMrn"}
	var out []person
	for i := 0; i < 22; i++ {
		var v string
		switch i % 5 {
		case 0:
			v = fmt.Sprintf("MRN%08d", rng.IntN(100000000))
		case 1:
			v = fmt.Sprintf("P-%07d", rng.IntN(10000000))
		case 2:
			v = fmt.Sprintf("%d", 10000000+rng.IntN(90000000))
		case 3:
			v = fmt.Sprintf("E%09d", rng.IntN(1000000000))
		default:
			v = fmt.Sprintf("LKV-%06d-%d", rng.IntN(1000000), rng.IntN(10))
		}
		out = append(out, id(keys[i%len(keys)], v, "mrn", v))
	}
	return out
}

// memberPool writes health-plan member numbers: a plan prefix of three
// letters and digits, or a letter and digits with a suffix.
func memberPool() []person {
	rng := poolRNG(7)
	prefixes := []string{"XKJ", "HPX", "ZGW", "BCB", "UHC", "AET", "CGN", "KPM", "WLP", "MDC", "YRT"}
	keys := []string{"member_id", "subscriber_id", "policy_number", "insurance_member_id", "memberId"}
	var out []person
	for i := 0; i < 22; i++ {
		var v string
		if i%2 == 0 {
			v = fmt.Sprintf("%s%09d", prefixes[i%len(prefixes)], rng.IntN(1000000000))
		} else {
			v = fmt.Sprintf("%c%08d-%02d", 'A'+rune(rng.IntN(26)), rng.IntN(100000000), rng.IntN(100))
		}
		out = append(out, id(keys[i%len(keys)], v, "member_id", v))
	}
	return out
}

// dobPool writes birth dates between 1935 and 2006 in the formats forms
// and SDKs use.
func dobPool() []person {
	rng := poolRNG(8)
	keys := []string{"dob", "date_of_birth", "birthdate", "birthday", "dateOfBirth"}
	var out []person
	for i := 0; i < 22; i++ {
		y, m, d := 1935+rng.IntN(72), 1+rng.IntN(12), 1+rng.IntN(28)
		canon := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
		var v string
		switch i % 4 {
		case 0:
			v = canon
		case 1:
			v = fmt.Sprintf("%02d/%02d/%04d", m, d, y)
		case 2:
			v = fmt.Sprintf("%d/%d/%04d", m, d, y)
		default:
			v = fmt.Sprintf("%04d%02d%02d", y, m, d)
		}
		out = append(out, id(keys[i%len(keys)], v, "dob", canon))
	}
	return out
}

func zipPool() []person {
	zips := []string{"10027", "11215", "19104", "20009", "30309", "33139", "37203", "43215", "48201", "53703",
		"55408", "63110", "70115", "75204", "80206", "85004", "90026", "94607", "97214", "98122", "02446", "06511"}
	keys := []string{"zip", "postal_code", "zipcode", "zip_code", "postalCode"}
	var out []person
	for i, z := range zips {
		out = append(out, id(keys[i%len(keys)], z, "zip", z))
	}
	return out
}

func addressPool() []person {
	streets := []string{
		"77 Massachusetts Ave", "1600 Pennsylvania Ave NW", "350 Fifth Avenue", "4 Privet Drive",
		"221B Baker St", "2418 N Clark St Apt 3", "908 Magnolia Blvd", "15 Cedar Lane",
		"4410 Sunset Blvd Suite 210", "62 W 4th St", "1187 Old Mill Road", "300 Harbor Way",
		"7021 Lakeshore Dr", "48 Orchard Ct", "5120 Greenwood Pkwy", "19 Juniper Pl",
		"2600 Riverside Ter", "870 Maple Circle", "1432 Prospect Highway", "66 Willow Trail",
		"3205 E Camelback Rd", "911 Kingsley Sq",
	}
	keys := []string{"address", "street_address", "address1", "home_address", "addressLine1"}
	var out []person
	for i, s := range streets {
		out = append(out, id(keys[i%len(keys)], s, "address", strings.ToLower(s)))
	}
	return out
}

func namePool() []person {
	first := []string{"Tanisha", "Mateo", "Siobhan", "Wei", "Oluwaseun", "Ingrid", "Rafael", "Anjali", "Dmitri", "Leilani", "Björn"}
	last := []string{"Nguyen", "O'Brien", "Castellano", "Haddad", "Kowalski", "Mensah", "Lindqvist", "García", "Fitzgerald", "Yamamoto", "Abernathy-Cole"}
	full := []string{"Harriet Ames", "Kofi Boateng", "Marisol Vega"}
	var out []person
	for i := range first {
		out = append(out, id("first_name", first[i], "name", strings.ToLower(first[i])))
		out = append(out, id("last_name", last[i], "name", strings.ToLower(last[i])))
	}
	for i, f := range full {
		key := []string{"full_name", "patient_name", "fullName"}[i]
		out = append(out, id(key, f, "name", strings.ToLower(f)))
	}
	return out
}

// chatPhrases say an identifier the way a visitor types it into a chat
// or a free-text box: a context word, then the value as the form had it.
// Names are left out: finding a name in running text is another matter
// than finding one under a name key.
var chatPhrases = map[string]string{
	"email":     "you can email me at %s",
	"phone":     "please call me back at %s",
	"ssn":       "my social security number is %s",
	"dob":       "date of birth %s",
	"zip":       "I'm in zip code %s",
	"address":   "I live at %s, ring twice",
	"mrn":       "my MRN is %s",
	"member_id": "insurance member ID %s",
	"npi":       "my doctor's NPI is %s",
	"dea":       "the prescriber's DEA number is %s",
	"card":      "charge my card %s",
}

func init() {
	templates = append(templates, phraseTemplates...)
}

// phraseTemplates send identifiers inside sentences and inside nested
// objects whose keys name them only together with their parents.
var phraseTemplates = []template{
	{"chat-ids", false, func(s *scenario) request {
		var lines []string
		for _, p := range s.plainIDs() {
			if f, ok := chatPhrases[p.Label.Kind]; ok {
				lines = append(lines, fmt.Sprintf(f, s.take(p)))
			}
		}
		if s.text != nil || len(lines) == 0 {
			lines = append(lines, s.freeText("Hi, I have a question about my bill"))
		}
		var q query
		q.add("app_id", "qx7c2abc")
		q.add("v", "3")
		q.add("s", s.uuid())
		q.add("page_title", s.title())
		q.add("blocks", mustJSON([]map[string]string{{"type": "paragraph", "text": strings.Join(lines, ". ")}}))
		q.add("referer", s.pageURL())
		return intercomPost(s, "messages", q)
	}},
	{"scheduling-api", true, func(s *scenario) request {
		patient := map[string]any{}
		for _, p := range s.plainIDs() {
			patient[camel(p.Key)] = s.take(p)
		}
		visitType := s.eventName("")
		if visitType == "" {
			// An appointment type is health information too.
			visitType = "New patient visit"
			s.use(proc("new patient visit"))
		}
		visit := map[string]any{"slot": "2025-02-03T15:30:00-06:00", "durationMinutes": 30, "visitType": visitType}
		if s.page != nil {
			visit["department"] = s.title()
		}
		if s.text != nil {
			visit["reasonForVisit"] = s.freeText("")
		}
		body := map[string]any{"locationId": s.digits(6), "patient": patient, "visit": visit, "source": "widget", "pageUrl": s.pageURL()}
		r := request{Method: "POST", URL: "https://api.bookwell-scheduling.com/v2/appointments", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json")
		r.header("Origin", s.origin())
		return r
	}},
}
