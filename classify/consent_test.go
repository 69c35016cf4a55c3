package classify

import (
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestConsentViolations(t *testing.T) {
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
		if got := consentViolated(&phiproxy.Flow{Consent: tt.consent, Phase: tt.phase}, tt.dest); got != tt.want {
			t.Errorf("%s: violation got %v, want %v", tt.name, got, tt.want)
		}
		// A violation ranks at least high and never lowers a finding.
		facts := severityFacts{Class: classPerson, FlowHasPerson: true, Party: tt.dest.Party, BAA: tt.dest.BAA, ConsentViolation: tt.want}
		wantSev := map[phiproxy.Party]phiproxy.Severity{phiproxy.ThirdParty: phiproxy.Medium, phiproxy.FirstParty: phiproxy.Info, phiproxy.UnknownParty: phiproxy.Low}[tt.dest.Party]
		if tt.dest.BAA {
			wantSev = phiproxy.Low
		}
		if tt.want {
			wantSev = phiproxy.High
		}
		if got := severityOf(facts); got != wantSev {
			t.Errorf("%s: identifier alone rated %v, want %v", tt.name, got, wantSev)
		}
		facts.Class, facts.FlowHasHealth = classHealth, true
		if got := severityOf(facts); tt.dest.Party == phiproxy.ThirdParty && !tt.dest.BAA && got != phiproxy.Critical {
			t.Errorf("%s: health with an identifier rated %v, want critical (never lowered)", tt.name, got)
		}
	}
}
