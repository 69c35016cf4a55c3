package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/phiproxy/phiproxy"
)

// TestDetailMarksNegatedAndSymptom: a symptom finding shows its kind, and
// an intake answer that said no is marked "answered no"; the affirmed
// finding beside it is not.
func TestDetailMarksNegatedAndSymptom(t *testing.T) {
	st := openStore(t)
	no := finding(phiproxy.KindCondition, "diabetes", "has_diabetes", phiproxy.Medium)
	no.Negated = true
	yes := finding(phiproxy.KindSymptom, "trouble sleeping", "I have trouble sleeping", phiproxy.High)
	save(t, st, fixture{method: "POST", url: "https://api.segment.io/v1/t", vendor: "Segment",
		body: `{"has_diabetes":false,"note":"I have trouble sleeping"}`, findings: []phiproxy.Finding{no, yes}})
	hs := startApp(t, Options{Store: st}, 160, 48)
	hs.waitText("api.segment.io")
	hs.key(tcell.KeyEnter)
	scr := hs.waitText("Findings (2)")
	var diabetes, sleeping string
	for _, line := range strings.Split(scr, "\n") {
		switch {
		case strings.Contains(line, "condition diabetes"):
			diabetes = line
		case strings.Contains(line, "symptom trouble sleeping"):
			sleeping = line
		}
	}
	if !strings.Contains(diabetes, "answered no") {
		t.Errorf("negated finding line %q lacks \"answered no\":\n%s", diabetes, scr)
	}
	if sleeping == "" || strings.Contains(sleeping, "answered no") {
		t.Errorf("symptom finding line %q: want it shown, without \"answered no\":\n%s", sleeping, scr)
	}
	if q, err := ParseQuery("kind:symptom"); err != nil || q.Kind != phiproxy.KindSymptom {
		t.Errorf("ParseQuery(kind:symptom): got %+v, %v", q, err)
	}
}
