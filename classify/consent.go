package classify

import "github.com/phiproxy/phiproxy"

// markConsentViolations flags the findings of a flow that went to a third
// party against the visitor's consent choice, and raises each to at least
// high: the crawl refused consent (reject) or sent Global Privacy Control
// (gpc), or it had not answered the banner (none) and not yet interacted
// with the page. Data sent to a vendor under a BAA is the covered
// entity's to send and is not a consent matter.
func markConsentViolations(fs []phiproxy.Finding, f *phiproxy.Flow, dest phiproxy.Destination) {
	if dest.Party != phiproxy.ThirdParty || dest.BAA {
		return
	}
	switch f.Consent {
	case "reject", "gpc":
	case "none":
		if f.Phase == "interaction" {
			return
		}
	default:
		return
	}
	for i := range fs {
		fs[i].ConsentViolation = true
		if fs[i].Severity < phiproxy.High {
			fs[i].Severity = phiproxy.High
		}
	}
}
