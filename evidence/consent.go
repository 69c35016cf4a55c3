package evidence

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/phiproxy/phiproxy"
)

// consentOrder is the order consent states appear in a matrix.
var consentOrder = []string{"none", "reject", "accept", "gpc"}

// ConsentTally collects, from flows of consent crawls, what each receiver
// got in each consent state. The zero value is not usable; use
// NewConsentTally. It is not safe for concurrent use.
type ConsentTally struct {
	cells  map[string]map[string]*consentCell // receiver → state → cell
	states map[string]bool
}

type consentCell struct {
	flows     int
	kinds     map[phiproxy.Kind]bool
	violation bool
}

// NewConsentTally returns an empty tally.
func NewConsentTally() *ConsentTally {
	return &ConsentTally{cells: map[string]map[string]*consentCell{}, states: map[string]bool{}}
}

// Add counts one flow; flows outside consent crawls and flows without
// findings are ignored.
func (t *ConsentTally) Add(f *phiproxy.Flow, in *phiproxy.Inspection) {
	if f.Consent == "" || len(in.Findings) == 0 {
		return
	}
	t.states[f.Consent] = true
	receiver := nonEmpty(in.Destination.Vendor, nonEmpty(in.Destination.Host, f.Request.URLHost()))
	row := t.cells[receiver]
	if row == nil {
		row = map[string]*consentCell{}
		t.cells[receiver] = row
	}
	c := row[f.Consent]
	if c == nil {
		c = &consentCell{kinds: map[phiproxy.Kind]bool{}}
		row[f.Consent] = c
	}
	c.flows++
	for _, fd := range in.Findings {
		c.kinds[fd.Kind] = true
		c.violation = c.violation || fd.ConsentViolation
	}
}

// ConsentMatrix is what each receiver got in each consent state: a row
// per receiver, a cell per state in States.
type ConsentMatrix struct {
	States []string
	Rows   []ConsentRow
}

// ConsentRow is one receiver's cells, in the order of ConsentMatrix.States.
type ConsentRow struct {
	Receiver string
	Cells    []ConsentCell
}

// ConsentCell is what one receiver got in one state: how many requests
// carried findings, of which kinds, and whether any was a consent
// violation.
type ConsentCell struct {
	Flows     int
	Kinds     []string
	Violation bool
}

// Matrix returns the tally as a matrix: states in their usual order,
// receivers with violations first, then by name.
func (t *ConsentTally) Matrix() ConsentMatrix {
	var m ConsentMatrix
	for _, s := range consentOrder {
		if t.states[s] {
			m.States = append(m.States, s)
		}
	}
	for receiver, row := range t.cells {
		r := ConsentRow{Receiver: receiver}
		for _, s := range m.States {
			var cell ConsentCell
			if c := row[s]; c != nil {
				cell.Flows, cell.Violation = c.flows, c.violation
				for k := range c.kinds {
					cell.Kinds = append(cell.Kinds, string(k))
				}
				sort.Strings(cell.Kinds)
			}
			r.Cells = append(r.Cells, cell)
		}
		m.Rows = append(m.Rows, r)
	}
	sort.Slice(m.Rows, func(i, j int) bool {
		vi, vj := m.Rows[i].violations(), m.Rows[j].violations()
		if vi != vj {
			return vi > vj
		}
		return m.Rows[i].Receiver < m.Rows[j].Receiver
	})
	return m
}

func (r ConsentRow) violations() int {
	n := 0
	for _, c := range r.Cells {
		if c.Violation {
			n++
		}
	}
	return n
}

// String renders a cell for a table: "2: email, condition !" where the
// count is requests and ! marks a consent violation; "-" when empty.
func (c ConsentCell) String() string {
	if c.Flows == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d: %s", c.Flows, strings.Join(c.Kinds, ", "))
	if c.Violation {
		s += " !"
	}
	return s
}

// WriteText prints the matrix as an aligned table.
func (m ConsentMatrix) WriteText(w io.Writer) error {
	if len(m.Rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "receiver\t%s\n", strings.Join(m.States, "\t"))
	for _, r := range m.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = c.String()
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.Receiver, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
