// Package persona finds a test persona's values in traffic, plain or
// disguised. A QA engineer fills a persona (name, email, phone, date of
// birth, address, record numbers, free text) into the site under test;
// every form of every value that trackers are known to send — case
// variants, percent-encoding, base64, hex, and MD5/SHA-1/SHA-256/SHA-512
// digests of the values normalised the way Meta and Google normalise them,
// one and two hashes deep — is precomputed into an Index, so that finding
// them costs one pass over the text and a map lookup per candidate token,
// however many forms there are.
package persona

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Persona is a test identity. Every field is optional; empty fields are
// not searched.
type Persona struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	// DOB is the date of birth as YYYY-MM-DD.
	DOB     string `json:"dob"`
	Address string `json:"address"` // street line: "742 Evergreen Terrace"
	City    string `json:"city"`
	State   string `json:"state"` // two-letter code: "IL"
	ZIP     string `json:"zip"`
	MRN     string `json:"mrn"`
	// MemberID is a health-plan member or subscriber number.
	MemberID string `json:"member_id"`
	// FreeText holds other strings typed into the site (a symptom
	// description, a message) to be found verbatim.
	FreeText []string `json:"free_text"`

	// BAA lists vendor names or domains covered by a Business Associate
	// Agreement, so a team can keep its test identity and its policy in
	// one file; they add to --baa. Not searched for.
	BAA []string `json:"baa,omitempty"`
}

// maxFile bounds a persona file: a persona is a few hundred bytes.
const maxFile = 1 << 20

// Load reads a persona from a JSON file. Every key is optional; an unknown
// key, a malformed DOB, trailing data or a persona with no values at all
// is an error naming the file.
func Load(path string) (*Persona, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load persona: %w", err)
	}
	defer f.Close()
	p, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("load persona %s: %w", path, err)
	}
	return p, nil
}

// Read decodes a persona from JSON, with the checks of Load.
func Read(r io.Reader) (*Persona, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("larger than %d bytes", maxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Persona
	if err := dec.Decode(&p); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return nil, fmt.Errorf("%w (known keys: first_name, last_name, email, phone, dob, address, city, state, zip, mrn, member_id, free_text)", err)
		}
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON object")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks the fields that have a format: DOB must be a real
// YYYY-MM-DD date, and at least one field must be set.
func (p *Persona) Validate() error {
	if p.DOB != "" {
		if _, err := time.Parse("2006-01-02", strings.TrimSpace(p.DOB)); err != nil {
			return fmt.Errorf("dob %q: want YYYY-MM-DD", p.DOB)
		}
	}
	if p.Email != "" && !strings.Contains(p.Email, "@") {
		return fmt.Errorf("email %q has no @", p.Email)
	}
	empty := len(p.FreeText) == 0
	for _, v := range []string{p.FirstName, p.LastName, p.Email, p.Phone, p.DOB, p.Address, p.City, p.State, p.ZIP, p.MRN, p.MemberID} {
		if strings.TrimSpace(v) != "" {
			empty = false
		}
	}
	if empty {
		return errors.New("persona has no values")
	}
	return nil
}
