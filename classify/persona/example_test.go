package persona_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/phiproxy/phiproxy/classify/persona"
)

func ExampleIndex_Find() {
	ix := persona.NewIndex(&persona.Persona{Email: "Jane.Roe@Example.org", Phone: "617-555-0123"})
	sum := sha256.Sum256([]byte("jane.roe@example.org"))
	beacon := "ev=Lead&ud[em]=" + hex.EncodeToString(sum[:]) + "&ph=%2B16175550123"
	for _, h := range ix.Find(beacon) {
		fmt.Printf("%s %s via %s\n", h.Key, h.Value, h.Disguise)
	}
	// Output:
	// email Jane.Roe@Example.org via sha256-hex
	// phone 617-555-0123 via percent
}
