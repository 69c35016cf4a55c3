package certs_test

import (
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/phiproxy/phiproxy/certs"
)

// A proxy loads (or on first run creates) the CA, tells the user which file
// to trust, and presents a leaf for whatever host a client asks for.
func Example() {
	dir, err := os.MkdirTemp("", "phiproxy-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ca, err := certs.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("trust", filepath.Base(ca.CertPath()))

	// For TLS servers that see SNI:
	_ = &tls.Config{GetCertificate: ca.GetCertificate}

	// For a CONNECT tunnel, whose target is known before the handshake:
	leaf, err := ca.CertFor("portal.clinic.example:443")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(leaf.Leaf.DNSNames)
	// Output:
	// trust ca.pem
	// [portal.clinic.example]
}
