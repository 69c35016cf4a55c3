package decode

import (
	"strconv"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// render writes one line per field: path, key and quoted value, then the
// notes; the golden files use this format.
func render(res Result) string {
	var b strings.Builder
	for _, f := range res.Fields {
		renderField(&b, f)
	}
	for _, n := range res.Notes {
		b.WriteString("note: ")
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return b.String()
}

func renderField(b *strings.Builder, f phiproxy.Field) {
	b.WriteString(f.Path())
	b.WriteByte('\t')
	b.WriteString(f.Key)
	b.WriteByte('\t')
	v := f.Value
	if len(v) > 300 {
		v = v[:300] + "…"
	}
	b.WriteString(strconv.Quote(v))
	if f.Truncated {
		b.WriteString("\t[truncated]")
	}
	b.WriteByte('\n')
}
