package main

// symptomSentences are chat messages and intake answers describing how a
// patient feels, in their own words: wording after PHQ-9 and GAD-7 items,
// MedlinePlus symptom pages and the ICD-10-CM chapter of symptoms and
// signs, written for this corpus. Each is labelled with the symptom as
// written, lower-case: what a symptom finding names. Where the wording
// names a condition of the dictionaries (fatigue, rash), the label is that
// condition, as the symptom list's own rule says: a phrase that is a
// condition stays one. Where the words are the patient's own turn of a
// listed symptom ("my joints are swollen" for swollen joints), the
// listed name is the alternative a finding may carry.
var symptomSentences = []health{
	h("I've been feeling hopeless for most of the month", "", sym("feeling hopeless")),
	h("I have trouble sleeping and wake up at 3am", "", sym("trouble sleeping")),
	h("little interest or pleasure in doing things lately", "", sym("little interest or pleasure in doing things")),
	h("feeling down most days since the move", "", sym("feeling down")),
	h("I keep feeling nervous and on edge at work", "", sym("feeling nervous")),
	h("not being able to stop worrying about everything", "", alt(sym("not being able to stop worrying"), "can't stop worrying")),
	h("I get night sweats almost every night", "", sym("night sweats")),
	h("my vision has been blurry since Tuesday", "", sym("blurry vision")),
	h("there is a ringing in my ears that won't stop", "", sym("ringing in my ears")),
	h("I have had a sore throat and a runny nose", "", alt(cond("pharyngitis"), "sore throat"), sym("runny nose")),
	h("I noticed blood in my stool this morning", "", alt(sym("blood in stool"), "blood in my stool")),
	h("I missed my period and I'm worried", "", sym("missed my period")),
	h("sometimes I hear voices when nobody is there", "", alt(cond("hallucination"), "hearing voices")),
	h("I have been having thoughts of hurting myself", "", sym("thoughts of hurting myself")),
	h("my heart is racing even when I sit still", "", alt(sym("heart is racing"), "racing heart")),
	h("I feel short of breath climbing stairs", "", sym("short of breath")),
	h("there's a lump in my breast I just found", "", sym("lump in my breast")),
	h("I've lost weight without trying, about 15 pounds", "", alt(sym("lost weight without trying"), "losing weight without trying")),
	h("I get dizzy when I stand up", "", alt(sym("dizzy"), "feeling dizzy")),
	h("constant fatigue even after a full night's sleep", "", cond("fatigue")),
	h("burning when I urinate since the weekend", "", alt(sym("burning when i urinate"), "burning when urinating")),
	h("I have a rash on my arms that itches", "", cond("rash")),
	h("my joints are swollen in the morning", "", alt(sym("joints are swollen"), "swollen joints")),
	h("I've been coughing up blood", "", sym("coughing up blood")),
	h("frequent headaches behind my eyes", "", alt(sym("headaches"), "frequent headaches")),
	h("I feel numbness in my left hand", "", sym("numbness")),
	h("tingling in my feet at night", "", sym("tingling in my feet")),
	h("unusual vaginal discharge for a few days", "", alt(sym("vaginal discharge"), "unusual vaginal discharge")),
	h("pain during sex since the birth", "", sym("pain during sex")),
	h("my gums bleed when I brush", "", alt(sym("gums bleed"), "bleeding gums")),
	h("I feel like a failure and let my family down", "", alt(sym("feel like a failure"), "feeling like a failure")),
	h("trouble concentrating on reading or TV", "", sym("trouble concentrating")),
	h("I have no appetite at all", "", sym("no appetite")),
	h("I've been overeating at night", "", sym("overeating")),
	h("I have panic attacks on the bus", "", cond("panic attack")),
	h("I can't stop drinking once I start", "", sym("can't stop drinking")),
	h("having cravings for opioids again", "", alt(sym("cravings for opioids"), "opioid cravings")),
	h("I'm so restless it is hard to sit still", "", alt(sym("restless"), "hard to sit still")),
	h("I get irritable over small things", "", alt(sym("irritable"), "feeling irritable")),
	h("afraid something awful might happen", "", alt(sym("afraid something awful might happen"), "something awful might happen")),
	h("my ankles are swelling up", "", alt(sym("ankles are swelling"), "swollen ankles")),
	h("I've been vomiting since last night", "", cond("vomiting")),
	h("diarrhea for three days now", "", cond("diarrhea")),
	h("severe stomach cramps after eating", "", sym("stomach cramps")),
	h("I see flashing lights in one eye", "", alt(sym("flashing lights"), "seeing flashing lights")),
	h("my hair is falling out in clumps", "", alt(sym("hair is falling out"), "hair falling out")),
	h("spotting between periods again", "", sym("spotting between periods")),
	h("my skin and eyes look yellow", "", alt(sym("skin and eyes look yellow"), "yellow eyes")),
	h("I feel a tightness in my chest when I walk", "", sym("tightness in my chest")),
	h("waking up gasping for air", "", sym("gasping for air")),
	h("I've had a fever of 102 since yesterday", "", cond("fever")),
	h("sudden weakness on one side of my face", "", alt(sym("weakness on one side"), "sudden weakness")),
	h("I keep forgetting things, even names", "", sym("forgetting things")),
	h("my periods are very heavy with clots", "", alt(cond("menorrhagia"), "heavy periods")),
	h("painful swollen lymph nodes in my neck", "", sym("swollen lymph nodes")),
	h("I wet the bed again last week", "", alt(sym("wet the bed"), "wetting the bed")),
	h("feeling empty and numb inside", "", sym("feeling empty")),
	h("I don't want to live anymore", "", sym("don't want to live")),
	h("constant thirst and peeing a lot", "", sym("constant thirst"), sym("peeing a lot")),
	h("shaking hands when I hold a cup", "", sym("shaking hands")),
}

// symptomTurn hands the sentences out in turn across symptom chats, so
// that every one is in the corpus.
var symptomTurn int

// symptomsPerChat is how many messages one symptom chat holds.
const symptomsPerChat = 6

func init() {
	// A chat with the clinic's widget in which the visitor describes how
	// they feel, a message at a time.
	templates = append(templates, template{"symptom-chat", false, func(s *scenario) request {
		var q query
		q.add("app_id", "qx7c2abc")
		q.add("v", "3")
		q.add("s", s.uuid())
		q.add("platform", "web")
		q.add("page_title", s.title())
		var blocks []map[string]string
		for i := 0; i < symptomsPerChat; i++ {
			m := symptomSentences[symptomTurn%len(symptomSentences)]
			symptomTurn++
			blocks = append(blocks, map[string]string{"type": "paragraph", "text": m.Text})
			s.use(m.Labels...)
		}
		q.add("blocks", mustJSON(blocks))
		q.add("referer", s.pageURL())
		return intercomPost(s, "conversations", q)
	}})
}
