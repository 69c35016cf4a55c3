package main

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"net/url"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// buildSecondBatch adds flows written after the first scoring run (files
// 0123 onwards): encodings the first batch lacked (percent-encoding twice
// in dl, multipart, JWT, MD5/SHA-1 hashes), more lay terms and
// misspellings, and more hard negatives. Their labels were fixed before
// they were first scored.
func buildSecondBatch(c *corpus) {
	msPage := clinic + "/conditions/multiple-sclerosis/?utm_source=newsletter"
	c.add("meta", req{method: "POST", url: "https://www.facebook.com/tr/", header: formHeader(msPage),
		body: []byte(q(metaPairs(url.QueryEscape(msPage), url.QueryEscape(clinic+"/conditions/"), "PageView", nil)...))},
		"dl and rl percent-encoded twice (a tag manager that escapes before the pixel does)",
		cond("multiple sclerosis", "ms"))

	c.add("intercom", req{method: "POST", url: "https://api-iam.intercom.io/messenger/web/uploads",
		header: [][2]string{{"Content-Type", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"}, {"Origin", "https://portal.northbayhealth.example"}, {"Referer", "https://portal.northbayhealth.example/"}},
		body: multipart("----WebKitFormBoundary7MA4YWxkTrZu0gW",
			[3]string{"app_id", "", "q7rw2xkd"},
			[3]string{"conversation_id", "", "215938441820311"},
			[3]string{"file", "intake-notes.txt", "History of seizures since 2019. Currently on Keppra 500 mg twice daily."})},
		"multipart upload of a chat attachment: seizures, Keppra (levetiracetam)",
		cond("seizures", "seizure", "epilepsy"), med("levetiracetam", "keppra"))

	c.add("datadog", datadog(portal+"/dashboard", false,
		`{"type":"view","date":1764324012345,"view":{"url":"https://portal.northbayhealth.example/dashboard"},"context":{"id_token":"`+jwt(`{"sub":"pt-88210","email":"tomas.herrera@example.com","name":"Tomas Herrera","iat":1764320000,"exp":1764323600}`)+`"}}`),
		"JWT in a RUM context field; claims carry email and name",
		email(tomasEmail), it("name", "tomas herrera"))

	c.add("criteo", req{method: "GET", url: "https://sslwidget.criteo.com/event?" + q("a", "88123", "v", "5.23.0", "otl", "1", "p0", "e=exd&site_type=d", "p1", "e=vh&tms=gtm-criteo", "p2", "e=ce&m[0]="+md5hex(marcusEmail)+"&m[1]="+sha256hex(marcusEmail), "dc", "1", "tld", "northbayhealth.example", "u", clinic+"/conditions/psoriasis/biologics"),
		header: [][2]string{{"Referer", clinic + "/"}}},
		"legacy retargeting pixel: psoriasis page URL; email only as MD5 and SHA-256",
		cond("psoriasis")).hashed(email(marcusEmail))

	c.add("mailer", req{method: "GET", url: "https://click.mailer.northbayhealth.example/track?" + q("eh", sha1hex(janeEmail), "cid", "refill-2026-11", "url", pharmacy+"/refill-reminder/levothyroxine?utm_medium=email")},
		"e-mail click tracker: SHA-1 of the email and a refill link for levothyroxine",
		med("levothyroxine")).hashed(email(janeEmail))

	c.add("intercom", intercom("messages", clinic+"/contact",
		"referer", clinic+"/contact", "page_title", "Contact Us",
		"blocks", js(`[{"type":"paragraph","text":"My dad had a heart attack in March, can he see a cardiologist this week?"}]`)),
		"lay term 'heart attack' (myocardial infarction); cardiologist names cardiology",
		cond("myocardial infarction", "heart attack"), spec("cardiology", "cardiologist"))

	c.add("tiktok", tiktok(tele+"/urgent-care/pink-eye", tele+"/urgent-care/", "ViewContent", `{}`,
		`{"content_name":"Pink eye treatment online","content_type":"product"}`),
		"lay term 'pink eye' (conjunctivitis)",
		cond("conjunctivitis", "pink eye"))

	c.add("intercom", intercom("messages", pharmacy+"/chat",
		"referer", pharmacy+"/chat", "page_title", "Ask a Pharmacist",
		"blocks", js(`[{"type":"paragraph","text":"can i take ibuprofin with my metformn?"}]`)),
		"two one-letter misspellings a reasonable system should catch by fuzzy matching: ibuprofin (ibuprofen), metformn (metformin)",
		med("ibuprofen"), med("metformin"))

	c.add("segment", segment("t", portal+"/visits/42", segmentTrack(portal+"/visits/42", "Visit Details", "Visit Viewed",
		`{"icd10":"F41.1","visit_type":"follow-up"}`, "")),
		"ICD-10 F41.1 (generalized anxiety disorder) in a property",
		cond("anxiety", "f41.1", "generalized anxiety disorder"))

	c.add("hotjar", hotjar(portal+"/profile/address", `{"page_url":"https://portal.northbayhealth.example/profile/address","title":"Update address","events":[{"type":"input","name":"street","value":"742 Evergreen Terrace"},{"type":"input","name":"zip","value":"97403"}]}`),
		"unmasked address inputs recorded on a portal page",
		it("address", "742 evergreen terrace"), it("zip", "97403"))

	c.add("meta", metaGET(tele+"/checkout/success", tele+"/checkout/", "Paid: Med Management", "cd[value]", "85", "cd[currency]", "USD"),
		"Meta custom event named after a psychiatric service",
		proc("medication management", "med management"))

	c.add("intercom", intercom("open", portal+"/",
		"referer", portal+"/", "page_title", "Patient Portal",
		"user_data", js(`{"email":"oliver.bennett@example.co.uk","phone":"+44 20 7946 0958","name":"Oliver Bennett"}`)),
		"UK phone (Ofcom drama range) in user_data",
		email("oliver.bennett@example.co.uk"), phone("442079460958"), it("name", "oliver bennett"))

	// Hard negatives.
	c.add("ga4", ga4GET("region1.google-analytics.com", "https://www.pagesandspines-books.example/books/prozac-nation-wurtzel", "Prozac Nation by Elizabeth Wurtzel (Paperback)", "view_item",
		"ep.item_category", "Memoir"),
		"hard negative (arguable): a drug brand in a book title on a bookstore, no person's care implied")

	c.add("segment", segment("t", "https://www.voltcell-electronics.example/batteries/18650", segmentTrack("https://www.voltcell-electronics.example/batteries/18650", "18650 Lithium-ion Battery 3500mAh", "Product Viewed",
		`{"name":"18650 Lithium-ion Battery 3500mAh","price":7.99,"sku":"VC-18650-35"}`, "")),
		"hard negative: lithium battery (lithium is also a psychiatric drug)")

	c.add("mixpanel", mixpanelPOST("track", "https://listen.wavelength-music.example/album/depression-cherry", `[{"event":"Album Played","properties":{"album":"Depression Cherry","artist":"Beach House","token":"a9c1e2f3b4d5a6c7e8f9a0b1c2d3e4f5","distinct_id":"$device:11aa22"}}]`),
		"hard negative: album title")

	c.add("linkedin", linkedinCollect(news+"/business/why-every-startup-needs-a-plan-b", "Why every startup needs a Plan B"),
		"hard negative: 'Plan B' as a business idiom")

	c.add("ga4", ga4GET("region1.google-analytics.com", "https://www.fastlane-gym.example/classes/spin", "Spin Class Schedule", "select_content",
		"ep.class", "HIIT Cardio 45", "ep.instructor", "Coach Dee", "ep.start", "2026-12-01T06:30:00-08:00"),
		"hard negative: gym class schedule ('cardio')")

	c.add("fullstory", fullstory("https://www.routerhelp.example/setup", `[{"When":300,"Kind":3,"Args":[21,"#text","Open 192.168.1.1 in your browser and sign in with admin"]}]`),
		"hard negative: a private router address in help text, no person")
}
