package classify

import "github.com/phiproxy/phiproxy"

// findingClass groups finding kinds by what they reveal.
type findingClass int

const (
	// classHealth is health information: medications, conditions,
	// procedures, specialties, symptoms (terms, condition-page URLs,
	// event names, intake answers).
	classHealth findingClass = iota
	// classPerson identifies a person: email, phone, SSN, date of birth,
	// ZIP, address, name, MRN, member ID, card, IP address, and any test
	// persona value (free text included) in any disguise.
	classPerson
	// classProvider identifies a clinician or prescriber (NPI, DEA, a
	// clinician's name): public facts that say nothing about a patient on
	// their own.
	classProvider
)

// classOf places a finding kind in its class.
func classOf(k phiproxy.Kind) findingClass {
	switch {
	case k.IsHealth():
		return classHealth
	case k == phiproxy.KindNPI || k == phiproxy.KindDEA:
		return classProvider
	}
	return classPerson
}

// classOfFinding places one finding: by its kind, except that a name
// found as a clinician's (Category CategoryProvider: "Dr. Sarah Chen", a
// "provider_name" key) is a provider identifier, like an NPI.
func classOfFinding(f phiproxy.Finding) findingClass {
	if f.Kind == phiproxy.KindName && f.Category == CategoryProvider {
		return classProvider
	}
	return classOf(f.Kind)
}

// severityFacts is everything the severity of one finding depends on: the
// finding itself and the context of its flow.
type severityFacts struct {
	Class findingClass
	// Hashed is true for a persona value found hashed (any disguise other
	// than plain text), the form ad platforms ask for.
	Hashed bool
	// FlowHasHealth and FlowHasPerson say whether any finding of the flow
	// (this one included) is health information or identifies a person.
	FlowHasHealth, FlowHasPerson bool
	Party                        phiproxy.Party
	// BAA is true when the recipient is covered by a Business Associate
	// Agreement.
	BAA bool
	// Category is the recipient's vendor category ("advertising", ...).
	Category string
	// Authenticated is true when the request came from a page of a
	// first-party origin that carried cookies or Authorization headers.
	Authenticated bool
	// Recorded is true when the flow carries a session recording: a
	// person identifier or health information a recorder captured (typed
	// into a form, or on the page) is the patient's.
	Recorded bool
	// ConsentViolation is true when the flow went to a third party
	// against the visitor's consent choice (see consentViolated): at least
	// high.
	ConsentViolation bool
	// WeakName is true for a name found only by its shape in free text
	// (a listed given name and surname, with no "my name is", key or
	// persona behind it): alone it is as likely a developer in release
	// notes as a patient, so it ranks low unless health information goes
	// with it.
	WeakName bool
	// Negated is true for an intake answer that says no: it tells which
	// health question was answered, not that the person has the
	// condition, so it ranks one level below the same answer as a yes.
	Negated bool
}

// weakNameScore: ident scores a name standing alone in text, found by a
// listed given name and surname only, below it (0.6); an introduced name
// ("my name is …") or one under a name key scores above.
const weakNameScore = 0.7

// severityOf rates one finding by the table in the package documentation
// (section Severity); TestSeverityTable pins every row.
func severityOf(s severityFacts) phiproxy.Severity {
	if s.Party == phiproxy.FirstParty {
		return phiproxy.Info
	}
	if s.BAA {
		if s.Negated {
			return phiproxy.Info
		}
		return phiproxy.Low
	}
	sev := thirdPartySeverity(s)
	if s.Party != phiproxy.ThirdParty && sev > phiproxy.Info {
		sev--
	}
	if s.Negated && sev > phiproxy.Info {
		sev--
	}
	if s.ConsentViolation && sev < phiproxy.High {
		sev = phiproxy.High
	}
	return sev
}

func thirdPartySeverity(s severityFacts) phiproxy.Severity {
	advertising := s.Category == "advertising"
	switch s.Class {
	case classHealth:
		if s.FlowHasPerson || s.Recorded || (s.Authenticated && advertising) {
			return phiproxy.Critical
		}
		return phiproxy.High
	case classPerson:
		if s.FlowHasHealth || s.Recorded {
			return phiproxy.Critical
		}
		if s.Hashed && advertising {
			return phiproxy.High
		}
		if s.WeakName {
			return phiproxy.Low
		}
		return phiproxy.Medium
	default:
		return phiproxy.Low
	}
}
