package crawl

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"

	"github.com/phiproxy/phiproxy/classify/persona"
)

func TestKeyFor(t *testing.T) {
	tests := []struct {
		name string
		f    field
		want personaKey
	}{
		{"type email", field{Tag: "input", Type: "email", Name: "contact"}, keyEmail},
		{"type tel", field{Tag: "input", Type: "tel"}, keyPhone},
		{"autocomplete given-name", field{Tag: "input", Autocomplete: "section-a given-name"}, keyFirstName},
		{"autocomplete family-name", field{Tag: "input", Autocomplete: "family-name"}, keyLastName},
		{"autocomplete bday", field{Tag: "input", Autocomplete: "bday"}, keyDOB},
		{"autocomplete postal", field{Tag: "input", Autocomplete: "shipping postal-code"}, keyZIP},
		{"autocomplete city", field{Tag: "input", Autocomplete: "address-level2"}, keyCity},
		{"name first_name", field{Tag: "input", Name: "first_name"}, keyFirstName},
		{"id firstName", field{Tag: "input", ID: "patientFirstName"}, keyFirstName},
		{"label last", field{Tag: "input", Label: "Last name"}, keyLastName},
		{"name surname", field{Tag: "input", Name: "surname"}, keyLastName},
		{"label email address", field{Tag: "input", Label: "Email address"}, keyEmail},
		{"placeholder e-mail", field{Tag: "input", Placeholder: "Your e-mail"}, keyEmail},
		{"name dob", field{Tag: "input", Name: "dob"}, keyDOB},
		{"label date of birth", field{Tag: "input", Label: "Date of birth"}, keyDOB},
		{"date input dob", field{Tag: "input", Type: "date", Name: "birthdate"}, keyDOB},
		{"date input appointment", field{Tag: "input", Type: "date", Name: "appointment_date"}, keyNone},
		{"street", field{Tag: "input", Name: "street"}, keyAddress},
		{"address line 1", field{Tag: "input", Label: "Address line 1"}, keyAddress},
		{"address line 2", field{Tag: "input", Label: "Address line 2"}, keyNone},
		{"apt", field{Tag: "input", Name: "apt"}, keyNone},
		{"city", field{Tag: "input", Name: "city"}, keyCity},
		{"state", field{Tag: "select", Name: "state"}, keyState},
		{"zip", field{Tag: "input", Name: "zipCode"}, keyZIP},
		{"postal", field{Tag: "input", Aria: "Postal code"}, keyZIP},
		{"mrn", field{Tag: "input", Name: "mrn"}, keyMRN},
		{"medical record", field{Tag: "input", Label: "Medical record number"}, keyMRN},
		{"member id", field{Tag: "input", Name: "member_id"}, keyMemberID},
		{"insurance id", field{Tag: "input", Label: "Insurance ID"}, keyMemberID},
		{"phone label", field{Tag: "input", Label: "Mobile phone"}, keyPhone},
		{"full name", field{Tag: "input", Name: "name"}, keyFullName},
		{"company name", field{Tag: "input", Name: "company_name"}, keyNone},
		{"username", field{Tag: "input", Name: "username"}, keyNone},
		{"textarea", field{Tag: "textarea", Name: "message"}, keyFreeText},
		{"unknown input", field{Tag: "input", Name: "q"}, keyNone},
	}
	for _, tc := range tests {
		if got := keyFor(tc.f); got != tc.want {
			t.Errorf("%s: keyFor(%+v): got %v, want %v", tc.name, tc.f, got, tc.want)
		}
	}
}

func TestPlan(t *testing.T) {
	p := &persona.Persona{FirstName: "Jordan", LastName: "Whitfield", Email: "j@example.com", State: "IL", FreeText: []string{"chest pain"}}
	fields := []field{
		{Index: 0, Tag: "input", Name: "first_name", Usable: true},
		{Index: 1, Tag: "input", Name: "last_name", Usable: false}, // hidden
		{Index: 2, Tag: "input", Type: "password", Name: "password", Usable: true},
		{Index: 3, Tag: "input", Type: "checkbox", Name: "terms", Usable: true, Required: true},
		{Index: 4, Tag: "input", Type: "checkbox", Name: "newsletter", Usable: true},
		{Index: 5, Tag: "select", Name: "state", Usable: true, Options: []option{{"", "--"}, {"CA", "California"}, {"il", "Illinois"}}},
		{Index: 6, Tag: "select", Name: "region", Usable: true, Options: []option{{"north", "North"}}}, // no match
		{Index: 7, Tag: "textarea", Name: "symptoms", Usable: true},
		{Index: 8, Tag: "input", Name: "mrn", Usable: true}, // persona has no MRN
		{Index: 9, Tag: "input", Type: "number", Name: "zip", Usable: true},
		{Index: 10, Tag: "input", Name: "full_name", Usable: true},
		{Index: 11, Tag: "input", Type: "email", Usable: true},
	}
	got := plan(fields, p)
	want := []fill{
		{Index: 0, Value: "Jordan"},
		{Index: 3, Check: true},
		{Index: 5, Value: "il"},
		{Index: 7, Value: "chest pain"},
		{Index: 10, Value: "Jordan Whitfield"},
		{Index: 11, Value: "j@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan:\n got %+v\nwant %+v", got, want)
	}
	if got := plan(fields, nil); got != nil {
		t.Errorf("plan without persona: got %+v, want nil", got)
	}
}

func TestClickable(t *testing.T) {
	var buttons []button
	texts := []string{
		"Book appointment", "Pay now", "Place order", "Checkout", "Buy", "Purchase plan",
		"Delete account", "Remove", "Cancel", "Unsubscribe", "Log out", "logoutButton", "btn_signout",
		"Submit", "", "Display options", "Reorder list", "Payment details", "Continue",
		"Removing items", "Deleted", "Ordering", "Buyer info", "Cancellation policy", "SIGN OUT",
	}
	for i, s := range texts {
		buttons = append(buttons, button{Index: i, Text: s, Usable: true})
	}
	buttons = append(buttons, button{Index: 99, Text: "Send", Usable: false})
	var got []string
	for _, b := range clickable(buttons) {
		got = append(got, b.Text)
	}
	// "Display" and "Reorder" contain blocked letters but not blocked words.
	want := []string{"Book appointment", "Submit", "Display options", "Reorder list", "Continue"}
	if !slices.Equal(got, want) {
		t.Fatalf("clickable:\n got %q\nwant %q", got, want)
	}

	many := make([]button, 50)
	for i := range many {
		many[i] = button{Index: i, Text: "Next", Usable: true}
	}
	if n := len(clickable(many)); n != maxClicks {
		t.Errorf("clickable cap: got %d, want %d", n, maxClicks)
	}
}

func TestParseCookies(t *testing.T) {
	got, err := parseCookies([]string{"consent=granted", "OptanonConsent=isGpcEnabled=0&groups=C0001:1", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := []cookie{{"consent", "granted"}, {"OptanonConsent", "isGpcEnabled=0&groups=C0001:1"}, {"empty", ""}}
	if !slices.Equal(got, want) {
		t.Fatalf("parseCookies: got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"novalue", "=v", "a b=c", "a=b;c", "a=b\nc"} {
		if _, err := parseCookies([]string{bad}); err == nil {
			t.Errorf("parseCookies(%q): got no error", bad)
		}
	}
}

func FuzzKeyFor(f *testing.F) {
	f.Add("input", "text", "first_name", "fn", "given-name", "First name")
	f.Add("textarea", "", "msg", "", "", "")
	f.Add("select", "", "state", "", "address-level1", "State")
	f.Add("input", "date", "", "", "", "birth\x00")
	f.Fuzz(func(t *testing.T, tag, typ, name, id, ac, label string) {
		k := keyFor(field{Tag: tag, Type: typ, Name: name, ID: id, Autocomplete: ac, Label: label, Usable: true})
		if k < keyNone || k > keyFreeText {
			t.Fatalf("keyFor returned out-of-range key %d", k)
		}
	})
}

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestNetWatch(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	w := newNetWatch(10 * time.Second)
	w.now = clk.now
	w.reset()

	steps := []struct {
		name    string
		do      func()
		advance time.Duration
		want    time.Duration
	}{
		{"idle since reset", nil, 300 * time.Millisecond, 300 * time.Millisecond},
		{"request starts", func() { w.event(&network.EventRequestWillBeSent{RequestID: "1"}) }, time.Second, 0},
		{"second request", func() { w.event(&network.EventRequestWillBeSent{RequestID: "2"}) }, 0, 0},
		{"redirect of the first keeps it open", func() { w.event(&network.EventRequestWillBeSent{RequestID: "1"}) }, 0, 0},
		{"first finishes, second still open", func() { w.event(&network.EventLoadingFinished{RequestID: "1"}) }, 100 * time.Millisecond, 0},
		{"second fails: quiet since then", func() { w.event(&network.EventLoadingFailed{RequestID: "2"}) }, 200 * time.Millisecond, 200 * time.Millisecond},
		{"response data counts as activity", func() { w.event(&network.EventDataReceived{RequestID: "9"}) }, 50 * time.Millisecond, 50 * time.Millisecond},
		{"unknown finish is harmless", func() { w.event(&network.EventLoadingFinished{RequestID: "404"}) }, 0, 0},
		{"long poll starts", func() { w.event(&network.EventRequestWillBeSent{RequestID: "poll"}) }, 9 * time.Second, 0},
		{"long poll goes stale", nil, 2 * time.Second, 11 * time.Second},
		{"reset forgets everything", func() { w.event(&network.EventRequestWillBeSent{RequestID: "x"}); w.reset() }, time.Second, time.Second},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		clk.add(s.advance)
		if got := w.quietFor(); got != s.want {
			t.Fatalf("%s: quietFor got %v, want %v", s.name, got, s.want)
		}
	}
}

func TestNetWatchWaitQuiet(t *testing.T) {
	w := newNetWatch(10 * time.Second)
	w.event(&network.EventRequestWillBeSent{RequestID: "1"})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if err := w.waitQuiet(ctx, 20*time.Millisecond); err == nil {
		t.Fatal("waitQuiet with a request in flight: got nil, want the context's error")
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		w.event(&network.EventLoadingFinished{RequestID: "1"})
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	start := time.Now()
	if err := w.waitQuiet(ctx2, 50*time.Millisecond); err != nil {
		t.Fatalf("waitQuiet after the request finished: %v", err)
	}
	if took := time.Since(start); took < 80*time.Millisecond {
		t.Errorf("waitQuiet returned after %v, before the request finished plus the quiet period", took)
	}
}

func TestCappedBuffer(t *testing.T) {
	b := &cappedBuffer{max: 10}
	for range 5 {
		if n, err := b.Write([]byte("line\n")); n != 5 || err != nil {
			t.Fatalf("Write: got %d, %v", n, err)
		}
	}
	if got, want := b.tail(), "; browser output: line | line"; got != want {
		t.Errorf("tail: got %q, want %q", got, want)
	}
	if got := (&cappedBuffer{max: 10}).tail(); got != "" {
		t.Errorf("empty tail: got %q", got)
	}
}
