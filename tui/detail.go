package tui

import (
	"cmp"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rivo/tview"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// Limits of the detail pane: it shows evidence, not whole payloads, and
// must stay quick to draw for hostile multi-megabyte requests.
const (
	maxShownBody     = 4096 // bytes of raw request body
	maxShownHeader   = 512  // bytes of one header value
	maxShownFindings = 200
	maxShownFields   = 300
	maxShownValue    = 300 // bytes of one decoded field value
	maxShownWS       = 50  // WebSocket messages
	maxShownWSBytes  = 512 // bytes of one WebSocket message
	contextBytes     = 60  // bytes of field shown either side of a match
)

// Highlight tags around a matched value: reverse video and underline read
// on any background.
const (
	matchOn  = "[::ru]"
	matchOff = "[::-]"
)

// detailView is what the detail pane shows about one flow.
type detailView struct {
	d      *store.FlowDetail
	fields []phiproxy.Field // nil hides the decoded-fields section
	// showFields is false when Options.Fields is nil.
	showFields bool
	redact     bool
}

// esc makes untrusted text printable and keeps tview from reading tags in it.
func esc(s string) string { return tview.Escape(singleLine(s)) }

// render returns the pane's text with tview colour tags.
func (v detailView) render() string {
	d := v.d
	f, in := &d.Flow, &d.Inspection
	m := maskSet{}
	if v.redact {
		m = newMaskSet(in.Findings)
	}
	shownURL := f.Request.URL
	if v.redact {
		shownURL = redactURL(shownURL, m)
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("[::b]%s %s[::-] %s", esc(f.Request.Method), esc(shownURL), esc(f.Request.Proto))
	line("[teal]flow[-] %d  [teal]time[-] %s  [teal]source[-] %s  [teal]client[-] %s", f.ID,
		f.Start.Local().Format("2006-01-02 15:04:05.000"), esc(f.Source), esc(f.ClientAddr))
	if f.Page != "" {
		page := f.Page
		if v.redact {
			page = redactURL(page, m)
		}
		line("[teal]page[-] %s %s", esc(page), esc(f.Phase))
	}
	if f.Consent != "" {
		line("[teal]consent state[-] %s", esc(f.Consent))
	}
	if f.ClientProto != "" {
		line("[teal]protocol[-] browser %s, origin %s", esc(f.ClientProto), esc(cmp.Or(f.UpstreamProto, "none (no answer)")))
	}
	dst := in.Destination
	baa := "no"
	if dst.BAA {
		baa = "yes"
	}
	line("[teal]destination[-] %s (%s)  [teal]party[-] %s  [teal]vendor[-] %s  [teal]category[-] %s  [teal]BAA[-] %s",
		esc(dst.Host), esc(dst.Domain), esc(string(dst.Party)), esc(orDash(dst.Vendor)), esc(orDash(dst.Category)), baa)
	errText := f.Error
	if v.redact {
		errText = m.apply(errText)
	}
	switch {
	case f.Response != nil:
		line("[teal]response[-] %d %s, %s", f.Response.Status, esc(http.StatusText(f.Response.Status)), sizeText(f.Response.BodySize, len(f.Response.Body)))
	case f.Error != "":
		line("[teal]response[-] none: [red]%s[-]", esc(errText))
	default:
		line("[teal]response[-] none")
	}
	if f.Error != "" && f.Response != nil {
		line("[teal]error[-] [red]%s[-]", esc(errText))
	}

	line("")
	line("[::b]Findings (%d)[::-]  severity %s%s[-:-:-]", len(in.Findings), severityTag(in.Severity), in.Severity)
	for i, fd := range in.Findings {
		if i == maxShownFindings {
			line("  … %d more", len(in.Findings)-i)
			break
		}
		term := fd.Term
		if v.redact {
			term = redactedLabel(fd.Kind)
		}
		cat := ""
		if fd.Category != "" {
			cat = "  " + esc(fd.Category)
		}
		if fd.Negated {
			// An intake answer that said no: the question, not the condition.
			cat += "  [yellow]answered no[-]"
		}
		violation := ""
		if fd.ConsentViolation {
			violation = "  [red::b]CONSENT VIOLATION[-:-:-]"
		}
		line("  %s%-8s[-:-:-] [::b]%s[::-] %s%s  [teal]%s %.2f[-]%s", severityTag(fd.Severity), fd.Severity,
			esc(string(fd.Kind)), esc(term), cat, esc(string(fd.Source)), fd.Score, violation)
		line("    [teal]path[-]  %s", esc(fd.Path))
		line("    [teal]field[-] %s", matchInField(fd, v.redact, m))
	}

	if v.showFields {
		line("")
		line("[::b]Decoded fields (%d)[::-]", len(v.fields))
		found := map[string]phiproxy.Severity{}
		for _, fd := range in.Findings {
			if s, ok := found[fd.Path]; !ok || fd.Severity > s {
				found[fd.Path] = fd.Severity
			}
		}
		for i, fl := range v.fields {
			if i == maxShownFields {
				line("  … %d more", len(v.fields)-i)
				break
			}
			mark := "  "
			if s, ok := found[fl.Path()]; ok {
				mark = severityTag(s) + "▶[-:-:-] "
			}
			val := fl.Value
			if v.redact {
				val = fmt.Sprintf("[redacted, %d bytes]", len(val))
			} else {
				val = cutShown(val, maxShownValue)
			}
			trunc := ""
			if fl.Truncated {
				trunc = " [olive](truncated)[-]"
			}
			line("%s%s = %s%s", mark, esc(fl.Path()), esc(val), trunc)
		}
	}

	line("")
	line("[::b]Request[::-] (%s)", sizeText(f.Request.BodySize, len(f.Request.Body)))
	for _, name := range sortedKeys(f.Request.Header) {
		for _, val := range f.Request.Header[name] {
			if v.redact {
				val = redactHeader(http.CanonicalHeaderKey(name), val, m)
			}
			line("  [teal]%s:[-] %s", esc(name), esc(cutShown(val, maxShownHeader)))
		}
	}
	if len(f.Request.Body) > 0 {
		line("")
		if v.redact {
			line("  %s", tview.Escape(fmt.Sprintf("[redacted body, %d bytes]", len(f.Request.Body))))
		} else {
			body := f.Request.Body
			more := ""
			if len(body) > maxShownBody {
				more = fmt.Sprintf("\n  … %d more bytes captured", len(body)-maxShownBody)
				body = body[:maxShownBody]
			}
			for _, l := range strings.Split(printable(string(body), true), "\n") {
				line("  %s", tview.Escape(l))
			}
			if more != "" {
				line("%s", more)
			}
		}
		if f.Request.Truncated {
			line("  [olive](capture stopped at %d of %d bytes)[-]", len(f.Request.Body), f.Request.BodySize)
		}
	}

	if len(f.WebSocket) > 0 {
		line("")
		line("[::b]WebSocket messages (%d)[::-]", len(f.WebSocket))
		for i, msg := range f.WebSocket {
			if i == maxShownWS {
				line("  … %d more", len(f.WebSocket)-i)
				break
			}
			dir := "◀ server"
			if msg.FromClient {
				dir = "▶ client"
			}
			var data string
			switch {
			case v.redact:
				data = fmt.Sprintf("[redacted, %d bytes]", len(msg.Data))
			case msg.Binary:
				data = fmt.Sprintf("(binary, %d bytes) %s", len(msg.Data), cutShown(string(msg.Data), maxShownWSBytes))
			default:
				data = cutShown(string(msg.Data), maxShownWSBytes)
			}
			line("  %s %s", dir, esc(data))
		}
	}

	summaries, recorded, notes := phiproxy.SplitRecordingNotes(in.Notes)
	if len(summaries) > 0 {
		line("")
		line("[::b]Session recording[::-]")
		for _, s := range summaries {
			if v.redact {
				s = m.apply(s)
			}
			line("  %s", esc(s))
		}
		for _, rf := range recorded {
			value := rf.Value
			if v.redact && !rf.Masked {
				value = "[redacted]"
			}
			line("  [teal]%s[-] → %s", esc(rf.Field), esc(value))
		}
	}
	if len(notes) > 0 {
		line("")
		line("[::b]Decode notes[::-]")
		for _, n := range notes {
			if v.redact {
				n = m.apply(n)
			}
			line("  - %s", esc(n))
		}
	}
	return b.String()
}

// matchInField shows the field a finding was made in, cut to the match and
// some context either side, with the match highlighted (or replaced by a
// label when redacting).
func matchInField(fd phiproxy.Finding, redact bool, m maskSet) string {
	field := fd.Field
	if field == "" {
		field = fd.Value
	}
	start, end, ok := matchSpan(fd, field)
	if !ok {
		if redact {
			return esc(m.apply(cutShown(field, 2*contextBytes)))
		}
		return esc(cutShown(field, 2*contextBytes))
	}
	before := field[:start]
	lead := ""
	if len(before) > contextBytes {
		before = tailUTF8(before, contextBytes)
		lead = "…"
	}
	after := field[end:]
	trail := ""
	if len(after) > contextBytes {
		after = cutUTF8(after, contextBytes)
		trail = "…"
	}
	match := field[start:end]
	if redact {
		before, after, match = m.apply(before), m.apply(after), redactedLabel(fd.Kind)
	}
	return lead + esc(before) + matchOn + esc(match) + matchOff + esc(after) + trail
}

// matchSpan locates the finding's value in field: the stored offsets when
// they are valid, else the first occurrence of the value, else the whole
// field when it is the value.
func matchSpan(fd phiproxy.Finding, field string) (start, end int, ok bool) {
	s, e := fd.Start, fd.End
	if 0 <= s && s < e && e <= len(field) && utf8.ValidString(field[s:e]) && (s == 0 || utf8.RuneStart(field[s])) && (e == len(field) || utf8.RuneStart(field[e])) {
		return s, e, true
	}
	if fd.Value != "" {
		if i := strings.Index(field, fd.Value); i >= 0 {
			return i, i + len(fd.Value), true
		}
	}
	if field != "" && field == fd.Value {
		return 0, len(field), true
	}
	return 0, 0, false
}

// tailUTF8 returns at most the last n bytes of s without splitting a rune.
func tailUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// cutShown cuts s to n bytes, marking the cut.
func cutShown(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutUTF8(s, n) + fmt.Sprintf("… (%d bytes)", len(s))
}

func sizeText(size int64, captured int) string {
	switch {
	case size < 0 && captured == 0:
		return "size unknown"
	case size < 0:
		return fmt.Sprintf("%d bytes captured", captured)
	}
	return fmt.Sprintf("%d bytes", size)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
