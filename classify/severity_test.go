package classify

import (
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestSeverityTable pins every row of the severity table documented on
// severityOf.
func TestSeverityTable(t *testing.T) {
	const (
		first   = phiproxy.FirstParty
		third   = phiproxy.ThirdParty
		unknown = phiproxy.UnknownParty
	)
	tests := []struct {
		name string
		in   severityFacts
		want phiproxy.Severity
	}{
		{"recorded identifier alone", severityFacts{Class: classPerson, Recorded: true, FlowHasPerson: true, Party: third}, phiproxy.Critical},
		{"recorded health alone", severityFacts{Class: classHealth, Recorded: true, FlowHasHealth: true, Party: third}, phiproxy.Critical},
		{"recorded, answered no", severityFacts{Class: classHealth, Recorded: true, FlowHasHealth: true, Party: third, Negated: true}, phiproxy.High},
		{"recorded, under a BAA", severityFacts{Class: classPerson, Recorded: true, FlowHasPerson: true, Party: third, BAA: true}, phiproxy.Low},
		{"weak name alone", severityFacts{Class: classPerson, WeakName: true, FlowHasPerson: true, Party: third}, phiproxy.Low},
		{"weak name with health", severityFacts{Class: classPerson, WeakName: true, FlowHasPerson: true, FlowHasHealth: true, Party: third}, phiproxy.Critical},
		{"first party health+person", severityFacts{Class: classHealth, FlowHasHealth: true, FlowHasPerson: true, Party: first}, phiproxy.Info},
		{"first party hashed persona to ads", severityFacts{Class: classPerson, Hashed: true, FlowHasPerson: true, Party: first, Category: "advertising"}, phiproxy.Info},
		{"BAA health+person", severityFacts{Class: classHealth, FlowHasHealth: true, FlowHasPerson: true, Party: third, BAA: true}, phiproxy.Low},
		{"BAA identifier alone", severityFacts{Class: classPerson, FlowHasPerson: true, Party: third, BAA: true}, phiproxy.Low},
		{"third health with identifier in flow", severityFacts{Class: classHealth, FlowHasHealth: true, FlowHasPerson: true, Party: third}, phiproxy.Critical},
		{"third identifier with health in flow", severityFacts{Class: classPerson, FlowHasHealth: true, FlowHasPerson: true, Party: third}, phiproxy.Critical},
		{"third hashed persona with health", severityFacts{Class: classPerson, Hashed: true, FlowHasHealth: true, FlowHasPerson: true, Party: third, Category: "advertising"}, phiproxy.Critical},
		{"authenticated health to ads", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third, Category: "advertising", Authenticated: true}, phiproxy.Critical},
		{"authenticated health to analytics", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third, Category: "analytics", Authenticated: true}, phiproxy.High},
		{"public page health to ads", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third, Category: "advertising"}, phiproxy.High},
		{"health alone", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third}, phiproxy.High},
		{"hashed persona to ads", severityFacts{Class: classPerson, Hashed: true, FlowHasPerson: true, Party: third, Category: "advertising"}, phiproxy.High},
		{"hashed persona to analytics", severityFacts{Class: classPerson, Hashed: true, FlowHasPerson: true, Party: third, Category: "analytics"}, phiproxy.Medium},
		{"identifier alone", severityFacts{Class: classPerson, FlowHasPerson: true, Party: third}, phiproxy.Medium},
		{"provider id alone", severityFacts{Class: classProvider, Party: third}, phiproxy.Low},
		{"provider id with health", severityFacts{Class: classProvider, FlowHasHealth: true, Party: third}, phiproxy.Low},
		{"health with provider id only", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third}, phiproxy.High},
		{"unknown health+person", severityFacts{Class: classHealth, FlowHasHealth: true, FlowHasPerson: true, Party: unknown}, phiproxy.High},
		{"unknown health", severityFacts{Class: classHealth, FlowHasHealth: true, Party: unknown}, phiproxy.Medium},
		{"unknown identifier alone", severityFacts{Class: classPerson, FlowHasPerson: true, Party: unknown}, phiproxy.Low},
		{"unknown provider id", severityFacts{Class: classProvider, Party: unknown}, phiproxy.Info},
		{"unknown with BAA", severityFacts{Class: classHealth, FlowHasHealth: true, Party: unknown, BAA: true}, phiproxy.Low},
		{"empty party is unknown", severityFacts{Class: classHealth, FlowHasHealth: true}, phiproxy.Medium},
		{"negated health with identifier in flow", severityFacts{Class: classHealth, FlowHasHealth: true, FlowHasPerson: true, Party: third, Negated: true}, phiproxy.High},
		{"negated health alone", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third, Negated: true}, phiproxy.Medium},
		{"negated health to unknown", severityFacts{Class: classHealth, FlowHasHealth: true, Party: unknown, Negated: true}, phiproxy.Low},
		{"negated health with BAA", severityFacts{Class: classHealth, FlowHasHealth: true, Party: third, BAA: true, Negated: true}, phiproxy.Info},
		{"negated health first party", severityFacts{Class: classHealth, FlowHasHealth: true, Party: first, Negated: true}, phiproxy.Info},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := severityOf(tt.in); got != tt.want {
				t.Fatalf("severity: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		kind phiproxy.Kind
		want findingClass
	}{
		{phiproxy.KindMedication, classHealth},
		{phiproxy.KindCondition, classHealth},
		{phiproxy.KindProcedure, classHealth},
		{phiproxy.KindSpecialty, classHealth},
		{phiproxy.KindSymptom, classHealth},
		{phiproxy.KindEmail, classPerson},
		{phiproxy.KindIP, classPerson},
		{phiproxy.KindFreeText, classPerson},
		{phiproxy.KindNPI, classProvider},
		{phiproxy.KindDEA, classProvider},
	}
	for _, tt := range tests {
		if got := classOf(tt.kind); got != tt.want {
			t.Errorf("classOf(%s): got %v, want %v", tt.kind, got, tt.want)
		}
	}
}
