package main

// label is one expected finding: what was inserted, by kind and the
// canonical term a correct inspector reports for it.
type label struct {
	Kind string `json:"kind"`
	Term string `json:"term"`
}

// health is a health phrase the generator can insert, with the findings
// it carries. Slug is its URL form for condition or service pages.
type health struct {
	Text   string
	Slug   string
	Labels []label
}

func h(text, slug string, labels ...label) health { return health{text, slug, labels} }
func med(term string) label                       { return label{"medication", term} }
func cond(term string) label                      { return label{"condition", term} }
func proc(term string) label                      { return label{"procedure", term} }
func spec(term string) label                      { return label{"specialty", term} }
func sym(term string) label                       { return label{"symptom", term} }

// pages are condition, service and doctor-search pages of health sites.
var pages = []health{
	h("Depression", "/conditions/depression", cond("depression")),
	h("Major Depressive Disorder", "/conditions/major-depressive-disorder", cond("major depressive disorder")),
	h("Generalized Anxiety Disorder", "/conditions/generalized-anxiety-disorder", cond("generalized anxiety disorder")),
	h("Bipolar Disorder", "/conditions/bipolar-disorder", cond("bipolar disorder")),
	h("Schizophrenia", "/conditions/schizophrenia", cond("schizophrenia")),
	h("Type 2 Diabetes", "/conditions/type-2-diabetes", cond("type 2 diabetes")),
	h("Hypertension", "/conditions/hypertension", cond("hypertension")),
	h("Breast Cancer", "/conditions/breast-cancer", cond("breast cancer")),
	h("Prostate Cancer", "/conditions/prostate-cancer", cond("prostate cancer")),
	h("Endometriosis", "/conditions/endometriosis", cond("endometriosis")),
	h("Infertility", "/conditions/infertility", cond("infertility")),
	h("Opioid Use Disorder", "/conditions/opioid-use-disorder", cond("opioid use disorder")),
	h("Alcohol Use Disorder", "/conditions/alcohol-use-disorder", cond("alcohol use disorder")),
	h("HIV", "/conditions/hiv", cond("hiv")),
	h("Genital Herpes", "/conditions/genital-herpes", cond("genital herpes")),
	h("Chlamydia", "/conditions/chlamydia", cond("chlamydia")),
	h("Erectile Dysfunction", "/conditions/erectile-dysfunction", cond("erectile dysfunction")),
	h("Cystic Fibrosis", "/conditions/cystic-fibrosis", cond("cystic fibrosis")),
	h("Sickle Cell Disease", "/conditions/sickle-cell-disease", cond("sickle cell disease")),
	h("Anorexia Nervosa", "/conditions/anorexia-nervosa", cond("anorexia nervosa")),
	h("Migraine", "/conditions/migraine", cond("migraine")),
	h("Asthma", "/conditions/asthma", cond("asthma")),
	h("Psychiatry", "/find-a-doctor/psychiatry", spec("psychiatry")),
	h("Oncology", "/find-a-doctor/oncology", spec("oncology")),
	h("Colonoscopy", "/services/colonoscopy", proc("colonoscopy")),
	h("Mammogram", "/services/mammogram", proc("mammogram")),
	h("Vasectomy", "/services/vasectomy", proc("vasectomy")),
	h("Dialysis", "/services/dialysis", proc("dialysis")),
	h("Chemotherapy", "/services/chemotherapy", proc("chemotherapy")),
	h("Psychotherapy", "/services/psychotherapy", proc("psychotherapy")),
	h("Postpartum Depression", "/conditions/postpartum-depression", cond("postpartum depression")),
	h("Polycystic Ovary Syndrome", "/conditions/polycystic-ovary-syndrome", cond("polycystic ovary syndrome")),
	h("Gender Dysphoria", "/conditions/gender-dysphoria", cond("gender dysphoria")),
	h("Hepatitis C", "/conditions/hepatitis-c", cond("hepatitis c")),
	h("Crohn's Disease", "/conditions/crohns-disease", cond("crohn's disease")),
	h("Lupus", "/conditions/lupus", cond("systemic lupus erythematosus")),
	h("Bulimia Nervosa", "/conditions/bulimia-nervosa", cond("bulimia nervosa")),
	h("Obsessive-Compulsive Disorder", "/conditions/obsessive-compulsive-disorder", cond("obsessive-compulsive disorder")),
	h("Colposcopy", "/services/colposcopy", proc("colposcopy")),
	h("Egg Freezing", "/services/egg-freezing", proc("egg freezing")),
	h("Gender-Affirming Surgery", "/services/gender-affirming-surgery", proc("gender-affirming surgery")),
	h("Urology", "/find-a-doctor/urologist", spec("urology")),
	h("Couples Therapy", "/services/couples-therapy", proc("couples therapy")),
}

// events are event names and button texts of the kind enforcement cases
// found in tracker payloads.
var events = []health{
	h("Paid: Weekly Therapy", "", proc("psychotherapy")),
	h("Refill Requested: Zoloft", "", med("sertraline")),
	h("Book Psychiatrist Visit", "", spec("psychiatry")),
	h("Schedule Mammogram", "", proc("mammogram")),
	h("Order Ozempic", "", med("semaglutide")),
	h("Start Wegovy Consult", "", med("semaglutide")),
	h("Book STI Testing", "", proc("sti testing"), cond("sexually transmitted infection")),
	h("Request Naltrexone", "", med("naltrexone")),
	h("Renew Truvada", "", med("emtricitabine-tenofovir disoproxil fumarate")),
	h("Get Sildenafil", "", med("sildenafil")),
	h("Subscribe: Adderall Monitoring", "", med("dextroamphetamine-amphetamine")),
	h("Start Intake: Anxiety", "", cond("anxiety")),
	h("Find an Oncologist", "", spec("oncology")),
	h("Book Colonoscopy", "", proc("colonoscopy")),
	h("Refill Lexapro", "", med("escitalopram")),
	h("Pregnancy Test Results", "", proc("pregnancy test"), cond("pregnancy")),
	h("Start IVF Consultation", "", proc("in vitro fertilization")),
	h("Buprenorphine Clinic Signup", "", med("buprenorphine")),
	h("Paid: Med Management", "", proc("medication management")),
	h("Telehealth Visit Booked", "", proc("telehealth visit")),
	h("Refill Request", "", proc("prescription refill")),
}

// texts are free-text answers and chat messages naming medications and
// conditions in ordinary sentences.
var texts = []health{
	h("I need a refill of my sertraline before Friday", "", med("sertraline")),
	h("my doctor switched me from Prozac to Wellbutrin", "", med("fluoxetine"), med("bupropion")),
	h("I have been taking metformin for two years", "", med("metformin")),
	h("Is it safe to take Xanax with alcohol?", "", med("alprazolam")),
	h("I was diagnosed with bipolar disorder last spring", "", cond("bipolar disorder")),
	h("previously in therapy for panic disorder", "", cond("panic disorder"), proc("psychotherapy")),
	h("can I get mifepristone by mail", "", med("mifepristone")),
	h("my lisinopril dose makes me dizzy", "", med("lisinopril"), sym("dizziness")),
	h("question about my tamoxifen side effects", "", med("tamoxifen")),
	h("I think I have chlamydia, can I be tested this week", "", cond("chlamydia")),
	// "today" is also the Today contraceptive sponge: with chlamydia as
	// health context an inspector that follows the context rule flags it.
	h("I think I have chlamydia, can I be tested today", "", cond("chlamydia")),
	h("results of my HIV test came back", "", proc("hiv test"), cond("hiv")),
	h("started Mounjaro last week", "", med("tirzepatide")),
	h("my son takes Abilify and Seroquel", "", med("aripiprazole"), med("quetiapine")),
	h("I am struggling with opioid use disorder", "", cond("opioid use disorder")),
	h("how long does chemotherapy take", "", proc("chemotherapy")),
	h("need Plan B after a condom broke", "", med("levonorgestrel"), sym("condom broke")),
	h("my atorvastatin prescription ran out", "", med("atorvastatin")),
	h("Does Vyvanse interact with Ambien?", "", med("lisdexamfetamine"), med("zolpidem")),
	h("I was prescribed Suboxone and keep Narcan at home", "", med("buprenorphine-naloxone"), med("naloxone")),
	h("switching from Descovy to Biktarvy next month", "", med("emtricitabine-tenofovir alafenamide"), med("bictegravir-emtricitabine-tenofovir alafenamide")),
	h("my first Keytruda infusion is Monday", "", med("pembrolizumab")),
	h("Depo-Provera shot due next week", "", med("medroxyprogesterone acetate injectable")),
	h("Spravato check-in at 3pm", "", med("esketamine")),
	h("Lupron and Clomid cycle started", "", med("leuprolide"), med("clomiphene")),
	h("Is Cialis covered by my plan", "", med("tadalafil")),
	h("my migraines are worse since I started Topamax", "", cond("migraine"), med("topiramate")),
	h("switching from Zoloft to Lexapro, any tips?", "", med("sertraline"), med("escitalopram")),
	h("I'm 8 weeks pregnant & need a new OB-GYN", "", cond("pregnancy"), spec("obstetrics and gynecology")),
}

// codes are ICD-10-CM codes sent under diagnosis keys.
var codes = []health{
	h("F32.9", "", cond("major depressive disorder")),
	h("F41.1", "", cond("generalized anxiety disorder")),
	h("E11.9", "", cond("type 2 diabetes")),
	h("B20", "", cond("hiv")),
	h("F10.20", "", cond("alcohol use disorder")),
}

// person is an identifier value with the key it is sent under and the
// canonical term a correct inspector reports.
type person struct {
	Key   string
	Value string
	Label label
}

func id(key, value, kind, term string) person { return person{key, value, label{kind, term}} }

var emails = []person{
	id("email", "m.rivera84@gmail.com", "email", "m.rivera84@gmail.com"),
	id("email", "Sam.Okafor@Outlook.com", "email", "sam.okafor@outlook.com"),
	id("email", "priya.natarajan@yahoo.com", "email", "priya.natarajan@yahoo.com"),
	id("email", "dlee1990@hotmail.com", "email", "dlee1990@hotmail.com"),
	id("email", "k.johansson@icloud.com", "email", "k.johansson@icloud.com"),
}

var phones = []person{
	id("phone", "(312) 847-2291", "phone", "+13128472291"),
	id("phone", "617-384-9920", "phone", "+16173849920"),
	id("phone", "+1 213 476 8812", "phone", "+12134768812"),
	id("phone", "+14153920147", "phone", "+14153920147"),
	id("phone", "773.402.1187", "phone", "+17734021187"),
}

// others are identifiers that need their key as context.
var others = []person{
	id("ssn", "512-44-7812", "ssn", "512-44-7812"),
	id("dob", "1984-07-19", "dob", "1984-07-19"),
	id("date_of_birth", "03/22/1991", "dob", "1991-03-22"),
	id("zip", "60614", "zip", "60614"),
	id("postal_code", "02139", "zip", "02139"),
	id("first_name", "Mariana", "name", "mariana"),
	id("last_name", "Okafor", "name", "okafor"),
	id("mrn", "MRN00482913", "mrn", "MRN00482913"),
	id("member_id", "XKJ482913004", "member_id", "XKJ482913004"),
	id("patient_id", "P-0048291", "mrn", "P-0048291"),
	id("address", "1420 Elm Street", "address", "1420 elm street"),
	id("npi", "1234567893", "npi", "1234567893"),
	id("dea", "AB1234563", "dea", "AB1234563"),
	id("card_number", "4111 1111 1111 1111", "card", "4111111111111111"),
}

// ips are client addresses that SDKs put into payloads.
var ips = []person{
	id("ip_address", "73.162.44.201", "ip", "73.162.44.201"),
	id("ip", "2601:646:8d00:1a2::3f", "ip", "2601:646:8d00:1a2::3f"),
}

// personaFile is the test persona of the corpus; flows whose label names
// it are inspected with it loaded, and carry its values plain or hashed.
var personaFile = map[string]any{
	"first_name": "Jordan",
	"last_name":  "Whitfield",
	"email":      "jordan.whitfield@example.com",
	"phone":      "(773) 291-4408",
	"dob":        "1979-11-03",
	"address":    "2231 N Halsted St",
	"city":       "Chicago",
	"state":      "IL",
	"zip":        "60614",
	"mrn":        "MRN-7730012",
	"member_id":  "HPX448812093",
	"free_text":  []string{"referred by the Lakeview front desk"},
}

// Persona labels, with the forms Meta and Google hash.
var (
	pEmail  = person{"em", "jordan.whitfield@example.com", label{"email", "jordan.whitfield@example.com"}}
	pPhone  = person{"ph", "17732914408", label{"phone", "+17732914408"}}
	pFirst  = person{"fn", "jordan", label{"name", "jordan"}}
	pLast   = person{"ln", "whitfield", label{"name", "whitfield"}}
	pDOB    = person{"db", "19791103", label{"dob", "1979-11-03"}}
	pCity   = person{"ct", "chicago", label{"address", "chicago"}}
	pState  = person{"st", "il", label{"address", "il"}}
	pZIP    = person{"zp", "60614", label{"zip", "60614"}}
	pMRN    = person{"mrn", "MRN-7730012", label{"mrn", "MRN-7730012"}}
	pMember = person{"member_id", "HPX448812093", label{"member_id", "HPX448812093"}}
	pFree   = person{"note", "referred by the Lakeview front desk", label{"free_text", "referred by the lakeview front desk"}}
)

// Hard negatives: text that looks like PHI to a naive detector.
var retailProducts = []string{
	"Cold Brew Concentrate 32oz",
	"Focus Pro Wireless Headphones",
	"Ambient Light Strip 5m",
	"Lithium Ion Battery Pack 20000mAh",
	"Trail Runner Shoe - Stroke Blue",
	"Zen Garden Desk Kit",
	"Vitamin Water Variety Pack",
	"Crown Molding Adhesive",
	"Plan B Strategy Board Game",
	"Mercury Glass Candle Holder",
}

var newsTitles = []string{
	"Stocks rally as tech earnings beat forecasts",
	"City council approves new bike lanes downtown",
	"Ambient music festival returns this summer",
	"Local team wins in overtime thriller",
	"Weather: cold front brings snow to the region",
	"Review: the best budget laptops of the year",
	"How a stroke of luck saved a small bakery",
	"Mortgage rates fall for the third week",
}
