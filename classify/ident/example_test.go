package ident_test

import (
	"fmt"

	"github.com/phiproxy/phiproxy/classify/ident"
)

func ExampleFind() {
	for _, f := range [][2]string{
		{"message", "Call me at (617) 555-0123 or jane@example.org, DOB 04/05/1971"},
		{"order_id", "6175550123"}, // bare digits need a phone key
		{"ud[db]", "19710405"},
	} {
		for _, m := range ident.Find(f[0], f[1]) {
			fmt.Printf("%s %q → %s\n", m.Kind, m.Text, m.Normalized)
		}
	}
	// Output:
	// phone "(617) 555-0123" → 16175550123
	// email "jane@example.org" → jane@example.org
	// dob "04/05/1971" → 1971-04-05
	// dob "19710405" → 1971-04-05
}
