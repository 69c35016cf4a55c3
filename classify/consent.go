package classify

import "github.com/phiproxy/phiproxy"

// consentViolated reports whether what f sends to dest goes against the
// visitor's consent choice: to a third party without a BAA, in a crawl
// that refused consent (reject) or sent Global Privacy Control (gpc), or
// that had not answered the banner (none) and not yet interacted with the
// page. Data sent to a vendor under a BAA is the covered entity's to send
// and is not a consent matter. Its findings rank at least high (see
// severityOf).
func consentViolated(f *phiproxy.Flow, dest phiproxy.Destination) bool {
	if dest.Party != phiproxy.ThirdParty || dest.BAA {
		return false
	}
	switch f.Consent {
	case "reject", "gpc":
		return true
	case "none":
		return f.Phase != "interaction"
	}
	return false
}
