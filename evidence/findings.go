package evidence

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy/store"
)

// csvColumns are the findings.csv header: the json names of
// store.FindingRow, in the same order.
var csvColumns = []string{"flow_id", "time", "method", "url", "host", "party", "vendor", "vendor_category", "baa",
	"kind", "term", "value", "path", "category", "severity", "source", "score", "page", "phase", "authenticated", "consent", "consent_violation", "field", "match_start", "match_end", "negated"}

// findingsJSONWriter streams a JSON array of rows.
type findingsJSONWriter struct {
	w   io.Writer
	enc *json.Encoder
	n   int
}

func newFindingsJSONWriter(w io.Writer) (*findingsJSONWriter, error) {
	if _, err := io.WriteString(w, "["); err != nil {
		return nil, fmt.Errorf("write findings.json: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &findingsJSONWriter{w: w, enc: enc}, nil
}

func (fw *findingsJSONWriter) add(r store.FindingRow) error {
	sep := "\n"
	if fw.n > 0 {
		sep = ","
	}
	fw.n++
	if _, err := io.WriteString(fw.w, sep); err != nil {
		return fmt.Errorf("write findings.json: %w", err)
	}
	if err := fw.enc.Encode(r); err != nil {
		return fmt.Errorf("write findings.json: %w", err)
	}
	return nil
}

func (fw *findingsJSONWriter) close() error {
	if _, err := io.WriteString(fw.w, "]\n"); err != nil {
		return fmt.Errorf("write findings.json: %w", err)
	}
	return nil
}

// csvRecord renders a row in csvColumns order. Text cells that a
// spreadsheet would run as a formula (starting with = + - @, tab or CR) are
// prefixed with a single quote: values come from web traffic and the file
// is meant to be opened in spreadsheet software.
func csvRecord(r store.FindingRow) []string {
	return []string{
		strconv.FormatInt(r.FlowID, 10), r.Time.UTC().Format(time.RFC3339Nano), cell(r.Method), cell(r.URL), cell(r.Host),
		cell(string(r.Party)), cell(r.Vendor), cell(r.VendorCategory), strconv.FormatBool(r.BAA),
		cell(string(r.Kind)), cell(r.Term), cell(r.Value), cell(r.Path), cell(r.Category), r.Severity.String(),
		cell(string(r.Source)), strconv.FormatFloat(r.Score, 'f', -1, 64), cell(r.Page), cell(r.Phase), strconv.FormatBool(r.Authenticated), cell(r.Consent), strconv.FormatBool(r.ConsentViolation), cell(r.Field),
		strconv.Itoa(r.MatchStart), strconv.Itoa(r.MatchEnd), strconv.FormatBool(r.Negated),
	}
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func newFindingsCSVWriter(w io.Writer) (*csv.Writer, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return nil, fmt.Errorf("write findings.csv: %w", err)
	}
	return cw, nil
}
