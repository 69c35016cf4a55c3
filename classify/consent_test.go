package classify

import (
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestMarkConsentViolations(t *testing.T) {
	third := phiproxy.Destination{Party: phiproxy.ThirdParty}
	for _, tt := range []struct {
		name           string
		consent, phase string
		dest           phiproxy.Destination
		want           bool
	}{
		{"reject, third party", "reject", "load", third, true},
		{"gpc, after interaction", "gpc", "interaction", third, true},
		{"none, on load", "none", "load", third, true},
		{"none, after interaction", "none", "interaction", third, false},
		{"accept", "accept", "load", third, false},
		{"outside consent crawls", "", "load", third, false},
		{"first party", "reject", "load", phiproxy.Destination{Party: phiproxy.FirstParty}, false},
		{"unknown party", "reject", "load", phiproxy.Destination{Party: phiproxy.UnknownParty}, false},
		{"vendor under a BAA", "reject", "load", phiproxy.Destination{Party: phiproxy.ThirdParty, BAA: true}, false},
	} {
		fs := []phiproxy.Finding{{Kind: phiproxy.KindEmail, Severity: phiproxy.Medium}, {Kind: phiproxy.KindCondition, Severity: phiproxy.Critical}}
		markConsentViolations(fs, &phiproxy.Flow{Consent: tt.consent, Phase: tt.phase}, tt.dest)
		for _, f := range fs {
			if f.ConsentViolation != tt.want {
				t.Errorf("%s: %s violation got %v, want %v", tt.name, f.Kind, f.ConsentViolation, tt.want)
			}
		}
		wantSev := phiproxy.Medium
		if tt.want {
			wantSev = phiproxy.High
		}
		if fs[0].Severity != wantSev || fs[1].Severity != phiproxy.Critical {
			t.Errorf("%s: severities got %v and %v, want %v and critical (never lowered)", tt.name, fs[0].Severity, fs[1].Severity, wantSev)
		}
	}
}
