package store

import (
	"math"
	"strconv"
	"time"
)

// AppendJSON appends r as encoding/json encodes it (field order, omitted
// empty page and phase, HTML-safe escapes, severity as its name), byte for
// byte, and reports false, leaving b as it was, for a row encoding/json
// would refuse (a time outside years 0-9999, a score that is NaN or
// infinite) or whose time's zone is not whole minutes. Live output (run
// --no-tui) writes a line per finding on the writer goroutine, where
// reflection cost more than the rest of the line's work.
// TestFindingRowAppendJSON holds it to json.Marshal.
func (r FindingRow) AppendJSON(b []byte) ([]byte, bool) {
	if y := r.Time.Year(); y < 0 || y > 9999 || math.IsNaN(r.Score) || math.IsInf(r.Score, 0) {
		return b, false
	}
	if _, off := r.Time.Zone(); off%60 != 0 {
		return b, false
	}
	b = strconv.AppendInt(append(b, `{"flow_id":`...), r.FlowID, 10)
	b = append(r.Time.AppendFormat(append(b, `,"time":"`...), time.RFC3339Nano), '"')
	b = appendJSONString(append(b, `,"method":`...), r.Method)
	b = appendJSONString(append(b, `,"url":`...), r.URL)
	b = appendJSONString(append(b, `,"host":`...), r.Host)
	b = appendJSONString(append(b, `,"party":`...), string(r.Party))
	b = appendJSONString(append(b, `,"vendor":`...), r.Vendor)
	b = appendJSONString(append(b, `,"vendor_category":`...), r.VendorCategory)
	b = strconv.AppendBool(append(b, `,"baa":`...), r.BAA)
	b = appendJSONString(append(b, `,"kind":`...), string(r.Kind))
	b = appendJSONString(append(b, `,"term":`...), r.Term)
	b = appendJSONString(append(b, `,"value":`...), r.Value)
	b = appendJSONString(append(b, `,"path":`...), r.Path)
	b = appendJSONString(append(b, `,"category":`...), r.Category)
	b = appendJSONString(append(b, `,"severity":`...), r.Severity.String())
	b = appendJSONString(append(b, `,"source":`...), string(r.Source))
	b = appendJSONFloat(append(b, `,"score":`...), r.Score)
	if r.Page != "" {
		b = appendJSONString(append(b, `,"page":`...), r.Page)
	}
	if r.Phase != "" {
		b = appendJSONString(append(b, `,"phase":`...), r.Phase)
	}
	b = strconv.AppendBool(append(b, `,"authenticated":`...), r.Authenticated)
	b = appendJSONString(append(b, `,"consent":`...), r.Consent)
	b = strconv.AppendBool(append(b, `,"consent_violation":`...), r.ConsentViolation)
	b = appendJSONString(append(b, `,"field":`...), r.Field)
	b = strconv.AppendInt(append(b, `,"match_start":`...), int64(r.MatchStart), 10)
	b = strconv.AppendInt(append(b, `,"match_end":`...), int64(r.MatchEnd), 10)
	b = strconv.AppendBool(append(b, `,"negated":`...), r.Negated)
	return append(b, '}'), true
}

// appendJSONFloat appends a finite f as encoding/json does: shortest
// decimal, exponent form only below 1e-6 or from 1e21, exponent without a
// leading zero.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		// e-07 becomes e-7.
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}
