package ident

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// names renders the name matches of value as "normalized" or
// "dr:normalized" for a clinician, joined by "; ".
func names(parent, key, value string) string {
	var parts []string
	for _, m := range FindUnder(parent, key, value) {
		if m.Kind != phiproxy.KindName {
			continue
		}
		if m.Provider {
			parts = append(parts, "dr:"+m.Normalized)
		} else {
			parts = append(parts, m.Normalized)
		}
		if value[m.Start:m.End] != m.Text {
			panic("offsets do not locate the text")
		}
	}
	return strings.Join(parts, "; ")
}

func TestFindTextNames(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		// Introduced by context.
		{"my name is, rare surname", "Hi, my name is Rosalind Featherstone and I have been feeling hopeless for weeks", "rosalind featherstone"},
		{"my name is, lower case", "hi my name is rosalind and i need help", "rosalind"},
		{"my name is, lower case with listed surname", "my name is maria garcia, i need a refill", "maria garcia"},
		{"name is, third person", "My son's name is Ethan Brooks.", "ethan brooks"},
		{"name colon", "Name: Tobias Quenneville\nDOB: see chart", "tobias quenneville"},
		{"patient colon", "Patient: Jane Q. Public, follow-up", "jane q. public"},
		{"I'm listed name", "Hello, I'm Sarah and I want to book", "sarah"},
		{"I am with surname", "I am Deborah Lindqvist", "deborah lindqvist"},
		{"this is", "This is Kevin from accounts", "kevin"},
		{"word name with surname", "I'm Will Jackson, calling about my results", "will jackson"},
		{"honorific", "Please tell Mrs. Okonkwo her labs are ready", "okonkwo"},
		{"word name after my name is", "my name is Hope Castellanos", "hope castellanos"},

		// Clinicians.
		{"provider full", "I saw Dr. Sarah Chen last week", "dr:sarah chen"},
		{"provider surname", "Dr Patel prescribed it", "dr:patel"},
		{"provider doctor word", "Doctor Alvarez said to wait", "dr:alvarez"},
		{"provider title", "Dr. Alan Chu, MD | Cardiology", "dr:alan chu"},
		{"provider by credential", "Sarah Johnson, MD - Cardiology | Cedar Clinic", "dr:sarah johnson"},
		{"provider by credential no comma", "Your therapist is Maria Lopez PsyD", "dr:maria lopez"},
		{"patient before a word do", "I told Jennifer Walsh do not call", "jennifer walsh"},
		{"I'm Jordan", "I'm Jordan, I booked for Tuesday", "jordan"},

		// A listed pair standing alone.
		{"bare pair", "Call back Margaret Brown tomorrow", "margaret brown"},
		{"bare pair with initial", "Contact: Thomas J. Anderson", "thomas j. anderson"},
		{"bare pair after greeting", "Hi Jennifer Walsh, your visit is confirmed", "jennifer walsh"},

		// Hard negatives.
		{"I'm fine", "I'm fine, thanks", ""},
		{"I'm Sorry", "I'm Sorry to hear that", ""},
		{"I'm feeling", "I'm feeling anxious today", ""},
		{"this is great", "this is Great news", ""},
		{"I'm word name alone", "I'm Will", ""},
		{"word names as words", "Will May bring Hope and Grace to Mark's Rose garden", ""},
		{"colour surname", "The Brown Leather Bag is on sale", ""},
		{"word first name pair", "Mark Young was here", ""},
		{"place Lincoln Park", "Visit our clinic near Lincoln Park", ""},
		{"place Virginia Beach", "Now open: Virginia Beach", ""},
		{"place Grand Rapids", "Serving Grand Rapids and Great Falls", ""},
		{"headline run", "Local Nurse Mary Jones Wins State Award", ""},
		{"organisation", "Referred to Mary Washington Hospital", ""},
		{"name colon label", "Name: Required", ""},
		{"patient status", "Patient: Stable", ""},
		{"lower-case pair", "margaret brown called", ""},
		{"product", "Ambient Light Strip and Cold Brew", ""},
		{"url", "https://example.com/Margaret-Brown", ""},
		{"doctor lower", "the doctor visit went fine", ""},
		{"all caps", "MARGARET BROWN", ""},
		{"MS abbreviation", "MS Treatment Options | Cedar Clinic", ""},
		{"DR abbreviation", "DR Screening for diabetics", ""},
		{"doctor visit title", "Doctor Visit Summary", ""},
		{"doctor in a game title", "Patch 14.3: Healer Buffs, Plague Doctor Skin | RiftQuest", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names("", "message", tt.value); got != tt.want {
				t.Errorf("Find(%q): got %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// TestKeyedNamesBySDK pins the name fields of each major SDK and form
// builder: the key as the decoder reports it and the member holding it.
func TestKeyedNamesBySDK(t *testing.T) {
	tests := []struct {
		sdk, parent, key, value, want string
	}{
		{"Segment identify traits.name", "traits", "name", "Priya Natarajan", "priya natarajan"},
		{"Segment traits.firstName", "traits", "firstName", "Priya", "priya"},
		{"Segment traits.lastName", "traits", "lastName", "Natarajan", "natarajan"},
		{"Segment context.traits single word", "traits", "name", "priya", "priya"},
		{"Mixpanel $name", "$set", "$name", "Chidi Okafor", "chidi okafor"},
		{"Mixpanel $first_name", "$set", "$first_name", "Chidi", "chidi"},
		{"Mixpanel $last_name", "$set", "$last_name", "Okafor", "okafor"},
		{"Intercom user_data name", "user_data", "name", "jane roe", "jane roe"},
		{"HubSpot firstname", "", "firstname", "Marisol", "marisol"},
		{"HubSpot lastname", "", "lastname", "Quintero", "quintero"},
		{"PostHog $set name", "$set", "name", "Dmitri Volkov", "dmitri volkov"},
		{"PostHog $set_once name", "$set_once", "name", "Dmitri", "dmitri"},
		{"Klaviyo first_name", "properties", "first_name", "Aoife", "aoife"},
		{"Klaviyo $first_name", "", "$first_name", "Aoife", "aoife"},
		{"Braze first_name", "attributes", "first_name", "Kenji", "kenji"},
		{"Braze last_name", "attributes", "last_name", "Watanabe", "watanabe"},
		{"Amplitude user_properties name", "user_properties", "name", "Lena Okafor", "lena okafor"},
		{"FullStory displayName", "", "displayName", "Rosalind Featherstone", "rosalind featherstone"},
		{"Sentry user.username", "user", "username", "rfeatherstone", "rfeatherstone"},
		{"Sentry user.name", "user", "name", "Rosalind", "rosalind"},
		{"Datadog usr.name", "usr", "name", "Tomás Ruiz", "tomás ruiz"},
		{"Zendesk display_name", "visitor", "display_name", "Ama Mensah", "ama mensah"},
		{"form given_name", "", "given_name", "Ingrid", "ingrid"},
		{"form surname", "", "surname", "Lindqvist", "lindqvist"},
		{"form full_name", "", "full_name", "Ingrid Lindqvist", "ingrid lindqvist"},
		{"form customer_name", "", "customer_name", "Ingrid Lindqvist", "ingrid lindqvist"},
		{"form patient_name", "", "patient_name", "Ingrid Lindqvist", "ingrid lindqvist"},
		{"form fname", "", "fname", "Ingrid", "ingrid"},
		{"form name two words", "", "name", "Margaret Hamilton", "margaret hamilton"},
		{"provider_name", "", "provider_name", "Dr. Lena Park", "dr:lena park"},
		{"doctor.name", "doctor", "name", "Lena Park", "dr:lena park"},

		// Not people.
		{"Bugsnag notifier", "notifier", "name", "Bugsnag JavaScript", ""},
		{"Sentry sdk", "sdk", "name", "sentry.javascript.browser", ""},
		{"Segment library", "library", "name", "analytics.js", ""},
		{"event name", "", "name", "Add To Cart", ""},
		{"generic name unlisted words", "", "name", "Quantum Flux", ""},
		{"first name placeholder", "traits", "firstName", "First Name", ""},
		{"name placeholder", "user", "name", "Jane Doe", ""},
		{"Zendesk requester placeholder", "requester", "name", "Website visitor", ""},
		{"username with digits", "user", "username", "user12345", ""},
		{"Meta fn hash", "", "ud[fn]", "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sdk, func(t *testing.T) {
			parent := ""
			if NeedsParent(tt.key) {
				parent = tt.parent
			}
			if got := names(parent, tt.key, tt.value); got != tt.want {
				t.Errorf("FindUnder(%q, %q, %q): got %q, want %q", parent, tt.key, tt.value, got, tt.want)
			}
		})
	}
}

// TestNameLists checks the embedded frequency lists: their size, their
// stated sources, and that they are ranked most common first.
func TestNameLists(t *testing.T) {
	for _, l := range []struct {
		name, text string
		m          map[string]int
		top        string
		source     string
	}{
		{"first_names.txt", firstNamesText, firstNames, "james", "Social Security Administration"},
		{"surnames.txt", surnamesText, surnames, "smith", "Census Bureau"},
	} {
		if len(l.m) < 1000 {
			t.Errorf("%s: %d names, want at least 1000", l.name, len(l.m))
		}
		if l.m[l.top] != 1 {
			t.Errorf("%s: %q has rank %d, want 1", l.name, l.top, l.m[l.top])
		}
		if !strings.Contains(l.text, l.source) || !strings.Contains(l.text, "Counts are not included") {
			t.Errorf("%s: header does not state the source and that counts are left out", l.name)
		}
	}
	if firstNames["mary"] > 10 || surnames["johnson"] > 10 {
		t.Errorf("common names ranked low: mary %d, johnson %d", firstNames["mary"], surnames["johnson"])
	}
}

func BenchmarkFindText(b *testing.B) {
	v := "Hi, my name is Rosalind Featherstone and I have been feeling hopeless since my last visit with Dr. Sarah Chen. Please call me back."
	b.ReportAllocs()
	for b.Loop() {
		Find("message", v)
	}
}

func TestNeedsParent(t *testing.T) {
	for key, want := range map[string]bool{"name": true, "Name": true, "_name": true, "NAME": true, "$name": true,
		"names": false, "username": false, "first_name": false, "nam": false, "": false, "na_me": true} {
		if got := NeedsParent(key); got != want {
			t.Errorf("NeedsParent(%q) = %v, want %v", key, got, want)
		}
	}
}
