package replay

import (
	"container/list"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/phiproxy/phiproxy"
)

// Limits bound what a Recorder keeps. A zero field means its default (see
// DefaultLimits).
type Limits struct {
	// MaxRecordings is how many recordings are kept at once; the least
	// recently seen is dropped first. Default 512.
	MaxRecordings int
	// MaxBytes bounds the estimated memory of all kept node maps; default
	// 64 MiB.
	MaxBytes int64
	// MaxNodes bounds the nodes kept per recording; default 50000. Past
	// it new nodes are not kept (their text is still inspected).
	MaxNodes int
	// MaxAge drops a recording not seen for this long; default 30 minutes.
	MaxAge time.Duration
	// MaxPending bounds the input events kept per recording for nodes not
	// seen yet; default 256.
	MaxPending int
	// MaxPayload bounds the decompressed bytes read from one flow;
	// default 32 MiB.
	MaxPayload int64
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{MaxRecordings: 512, MaxBytes: 64 << 20, MaxNodes: 50000, MaxAge: 30 * time.Minute, MaxPending: 256, MaxPayload: 32 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxRecordings <= 0 {
		l.MaxRecordings = d.MaxRecordings
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	if l.MaxAge <= 0 {
		l.MaxAge = d.MaxAge
	}
	if l.MaxPending <= 0 {
		l.MaxPending = d.MaxPending
	}
	if l.MaxPayload <= 0 {
		l.MaxPayload = d.MaxPayload
	}
	return l
}

// Recorder keeps the state of the recordings it has seen. It is safe for
// concurrent use: decoding runs outside its lock, only applying a flow's
// operations to its recording holds it.
type Recorder struct {
	lim Limits

	mu      sync.Mutex
	recs    map[recKey]*recording
	lru     *list.List // of *recording, least recently seen first
	bytes   int64
	evicted int64
}

// recKey names a recording: IDs are the vendor's own, so two vendors
// may use the same one.
type recKey struct{ vendor, id string }

// NewRecorder returns an empty Recorder bounded by lim.
func NewRecorder(lim Limits) *Recorder {
	return &Recorder{lim: lim.withDefaults(), recs: make(map[recKey]*recording), lru: list.New()}
}

// Stats describes what a Recorder holds.
type Stats struct {
	Recordings int
	Nodes      int
	Pending    int
	// Bytes is the estimated memory of the kept node maps.
	Bytes int64
	// Evicted counts recordings dropped for age, count or size.
	Evicted int64
}

// Stats returns the Recorder's current size.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Recordings: len(r.recs), Bytes: r.bytes, Evicted: r.evicted}
	for _, rec := range r.recs {
		s.Nodes += len(rec.nodes)
		s.Pending += len(rec.pending)
	}
	return s
}

// Observe reads f as a session recording. It returns nil when f carries
// none; otherwise what f adds to its recording, resolved against what
// earlier flows of the same recording said. now ages the kept state.
// Observe never panics on hostile input.
func (r *Recorder) Observe(f *phiproxy.Flow, now time.Time) (obs *Observation) {
	if f == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			if obs == nil {
				obs = &Observation{}
			}
			obs.Notes = append(obs.Notes, fmt.Sprintf("replay: internal error: %v", p))
		}
	}()
	p := readFlow(f, r.lim.MaxPayload)
	if p == nil {
		return nil
	}
	obs = &Observation{Vendor: p.vendor, ID: p.id, Page: p.page, Events: p.events, Notes: p.notes}
	if p.id == "" {
		// Without an ID the flow stands alone: its snapshot, if any,
		// still names its own inputs.
		rec := newRecording(p.vendor, "")
		rec.apply(p.ops, obs, r.lim)
		return obs
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	key := recKey{p.vendor, p.id}
	rec := r.recs[key]
	if rec == nil {
		rec = newRecording(p.vendor, p.id)
		r.recs[key] = rec
		rec.elem = r.lru.PushBack(rec)
	} else {
		r.lru.MoveToBack(rec.elem)
	}
	rec.seen = now
	before := rec.bytes
	rec.apply(p.ops, obs, r.lim)
	if obs.Page == "" {
		obs.Page = rec.page
	}
	r.bytes += rec.bytes - before
	for (len(r.recs) > r.lim.MaxRecordings || r.bytes > r.lim.MaxBytes) && r.lru.Len() > 1 {
		oldest := r.lru.Front().Value.(*recording)
		if oldest == rec {
			break
		}
		r.drop(oldest)
	}
	return obs
}

// expire drops recordings not seen within MaxAge.
func (r *Recorder) expire(now time.Time) {
	for e := r.lru.Front(); e != nil; e = r.lru.Front() {
		rec := e.Value.(*recording)
		if now.Sub(rec.seen) <= r.lim.MaxAge {
			return
		}
		r.drop(rec)
	}
}

func (r *Recorder) drop(rec *recording) {
	r.lru.Remove(rec.elem)
	delete(r.recs, recKey{rec.vendor, rec.id})
	r.bytes -= rec.bytes
	r.evicted++
}

// node is one DOM node of a recording, with only what attribution needs.
type node struct {
	parent   int64
	tag      string            // lower-case tag, "#text" for text
	attrs    map[string]string // the kept attributes (see keptAttrs)
	text     string            // text nodes: the first maxKeptText bytes
	children []int64

	// Inputs: the last value recorded and how many events built it.
	value      string
	keystrokes int
	masked     bool
	label      string // a label the recorder gave directly (OpenReplay)
}

// pendingInput is an input event for a node not seen yet.
type pendingInput struct {
	value      string
	masked     bool
	keystrokes int
}

// recording is the state of one recording.
type recording struct {
	vendor, id string
	nodes      map[int64]*node
	byIDAttr   map[string]int64 // element id attribute → node
	labelFor   map[string]int64 // label[for] value → label node
	pending    map[int64]*pendingInput
	page       string
	bytes      int64
	seen       time.Time
	elem       *list.Element
	full       bool       // MaxNodes reached, noted once per flow
	fs         *flowState // the flow being applied, nil between flows
}

// freeze keeps the field description of an input touched in the current
// flow before its node goes away.
func (rec *recording) freeze(id int64) {
	if rec.fs == nil || !rec.fs.isTouch[id] || rec.nodes[id] == nil {
		return
	}
	rec.fs.frozen[id] = rec.inputOf(id, rec.fs.resolve[id])
}

func newRecording(vendor, id string) *recording {
	return &recording{vendor: vendor, id: id, nodes: make(map[int64]*node), byIDAttr: make(map[string]int64),
		labelFor: make(map[string]int64), pending: make(map[int64]*pendingInput)}
}

// keptAttrs are the attributes attribution and masking need.
var keptAttrs = map[string]bool{
	"name": true, "id": true, "type": true, "autocomplete": true, "placeholder": true,
	"aria-label": true, "aria-labelledby": true, "for": true, "class": true,
	"rr_width": true, "data-dd-privacy": true, "value": true, "data-openreplay-obscured": true,
	"data-openreplay-masked": true,
}

// contentAttrs are attributes whose values are page content.
var contentAttrs = map[string]bool{"alt": true, "title": true, "value": true, "content": true}

const (
	maxKeptText  = 256 // bytes of a text node kept for labels
	maxKeptAttr  = 256 // bytes of an attribute value kept
	maxLabelText = 120
	nodeOverhead = 96
)

func (n *node) cost() int64 {
	c := int64(nodeOverhead + len(n.tag) + len(n.text) + len(n.value) + len(n.label) + 8*len(n.children))
	for k, v := range n.attrs {
		c += int64(len(k) + len(v) + 32)
	}
	return c
}

// flowState collects what one flow adds, in order.
type flowState struct {
	obs     *Observation
	touched []int64 // input nodes changed in this flow, first-touch order
	isTouch map[int64]bool
	texts   int
	resolve map[int64]bool // inputs resolved from pending in this flow
	// frozen keeps touched inputs whose node was removed (or the page
	// re-snapshotted) later in the same flow.
	frozen map[int64]Input
}

// maxTexts bounds the page-text items reported per flow.
const maxTexts = 5000

func (rec *recording) apply(ops []op, obs *Observation, lim Limits) {
	fs := &flowState{obs: obs, isTouch: make(map[int64]bool), resolve: make(map[int64]bool), frozen: make(map[int64]Input)}
	rec.fs = fs
	defer func() { rec.fs = nil }()
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opReset:
			for _, id := range fs.touched {
				rec.freeze(id)
			}
			clear(rec.nodes)
			clear(rec.byIDAttr)
			clear(rec.labelFor)
			rec.bytes = 0
			rec.full = false
			for id := range rec.pending {
				rec.bytes += int64(nodeOverhead + len(rec.pending[id].value))
			}
		case opPage:
			if o.value != "" {
				rec.page = o.value
				obs.Page = o.value
			}
		case opNode:
			rec.addNode(o, fs, lim)
		case opRemove:
			rec.removeNode(o.id, 0)
		case opAttr:
			rec.setAttr(o, fs)
		case opText:
			if n := rec.nodes[o.id]; n != nil {
				rec.bytes -= n.cost()
				n.text = clip(o.value, maxKeptText)
				rec.bytes += n.cost()
				if !rec.underCode(n.parent) {
					rec.reportText(fs, o.id, n, o.value, "")
				}
			} else {
				fs.addText(Text{Path: "#" + itoa(o.id), Value: o.value}, rec.vendor)
			}
		case opInput:
			rec.input(o, fs, lim)
		case opLabel:
			if n := rec.nodes[o.id]; n != nil {
				n.label = clip(o.value, maxLabelText)
			}
		}
	}
	for _, id := range fs.touched {
		if in, ok := fs.frozen[id]; ok && rec.nodes[id] == nil {
			obs.Inputs = append(obs.Inputs, in)
			continue
		}
		if rec.nodes[id] != nil {
			obs.Inputs = append(obs.Inputs, rec.inputOf(id, fs.resolve[id]))
		}
	}
	for _, in := range obs.Inputs {
		if in.Value == "" {
			continue
		}
		if in.Masked {
			obs.Masking.InputsMasked++
		} else {
			obs.Masking.InputsUnmasked++
		}
	}
	obs.Pending = len(rec.pending)
}

func (fs *flowState) addText(t Text, vendor string) {
	v := strings.TrimSpace(t.Value)
	if v == "" {
		return
	}
	t.Masked = IsMaskedValue(v) || vendor == VendorDatadog && isXMasked(v)
	if t.Masked {
		fs.obs.Masking.TextMasked++
	} else {
		fs.obs.Masking.TextUnmasked++
	}
	if fs.texts >= maxTexts {
		return
	}
	fs.texts++
	fs.obs.Text = append(fs.obs.Text, t)
}

func (fs *flowState) touch(id int64) {
	if !fs.isTouch[id] {
		fs.isTouch[id] = true
		fs.touched = append(fs.touched, id)
	}
}

func (rec *recording) addNode(o *op, fs *flowState, lim Limits) {
	if old := rec.nodes[o.id]; old != nil {
		rec.removeNode(o.id, 0)
	}
	blocked := isBlocked(o.attrs)
	if blocked {
		fs.obs.Masking.Blocked++
	}
	n := &node{parent: o.parent, tag: o.tag}
	if o.tag == "#text" {
		n.text = clip(o.value, maxKeptText)
	} else if len(o.attrs) > 0 {
		for k, v := range o.attrs {
			if keptAttrs[k] {
				if n.attrs == nil {
					n.attrs = make(map[string]string, 4)
				}
				n.attrs[k] = clip(v, maxKeptAttr)
			}
		}
	}
	kept := len(rec.nodes) < lim.MaxNodes
	if kept {
		rec.nodes[o.id] = n
		if p := rec.nodes[o.parent]; p != nil && o.parent != o.id && len(p.children) < 4096 {
			rec.bytes += 8
			p.children = append(p.children, o.id)
		}
		if id := n.attrs["id"]; id != "" {
			rec.byIDAttr[id] = o.id
		}
		if n.tag == "label" && n.attrs["for"] != "" {
			rec.labelFor[n.attrs["for"]] = o.id
		}
		rec.bytes += n.cost()
	} else if !rec.full {
		rec.full = true
		fs.obs.Notes = append(fs.obs.Notes, fmt.Sprintf("replay: node limit %d reached for recording %s; later nodes are read but not kept", lim.MaxNodes, rec.id))
	}

	// Content of the node.
	switch {
	case o.tag == "#text":
		if !o.style && !rec.underCode(o.parent) {
			rec.reportText(fs, o.id, n, o.value, "")
		}
	case isField(o.tag):
		v, hasValue := o.attrs["value"]
		if t := strings.ToLower(o.attrs["type"]); hasValue && v != "" && isValueInput(t) {
			// A value already in the field when the snapshot was taken:
			// typed before, or filled in by the page.
			if kept {
				rec.bytes -= n.cost()
				n.value, n.masked = clip(v, 64<<10), IsMaskedValue(v)
				rec.bytes += n.cost()
				fs.touch(o.id)
			} else {
				// Past the node limit the field is not kept, but its value
				// is still inspected, described by its own attributes.
				fs.obs.Inputs = append(fs.obs.Inputs, Input{Node: o.id, Tag: o.tag, Name: o.attrs["name"], ElementID: o.attrs["id"],
					Type: o.attrs["type"], Autocomplete: o.attrs["autocomplete"], Placeholder: o.attrs["placeholder"],
					Label: o.attrs["aria-label"], Value: v, Masked: IsMaskedValue(v)})
			}
		}
	default:
		for name, v := range o.attrs {
			if contentAttrs[name] && (name != "content" || o.tag == "meta") && (name != "value" || o.tag == "option") {
				if name == "value" {
					continue // option values are choices offered, not content shown
				}
				rec.reportText(fs, o.id, n, v, name)
			}
		}
	}
	if p := rec.pending[o.id]; p != nil && kept {
		delete(rec.pending, o.id)
		rec.bytes -= int64(nodeOverhead + len(p.value))
		n.value, n.masked, n.keystrokes = p.value, p.masked, p.keystrokes
		fs.touch(o.id)
		fs.resolve[o.id] = true
	}
}

// isField reports whether a tag holds a value the visitor enters.
func isField(tag string) bool { return tag == "input" || tag == "textarea" || tag == "select" }

// isValueInput reports whether an input type's value attribute is what
// the visitor entered (not a button caption or a hidden machine value).
func isValueInput(t string) bool {
	switch t {
	case "hidden", "submit", "button", "reset", "image", "checkbox", "radio", "file", "color", "range":
		return false
	}
	return true
}

// isBlocked reports whether a recorder replaced the element by a
// placeholder: rrweb's rr-block class or rr_width, Datadog's hidden level.
func isBlocked(attrs map[string]string) bool {
	if len(attrs) == 0 {
		return false
	}
	if _, ok := attrs["rr_width"]; ok {
		return true
	}
	if attrs["data-dd-privacy"] == "hidden" {
		return true
	}
	return strings.Contains(" "+attrs["class"]+" ", " rr-block ")
}

// underCode reports whether a parent is a script or style element, whose
// text is code.
func (rec *recording) underCode(parent int64) bool {
	p := rec.nodes[parent]
	return p != nil && (p.tag == "script" || p.tag == "style" || p.tag == "noscript")
}

func (rec *recording) reportText(fs *flowState, id int64, n *node, value, attr string) {
	path := rec.domPath(n.parent)
	if n.tag != "#text" {
		path = rec.domPath(id)
	}
	title := false
	if attr != "" {
		path += "@" + attr
	} else if p := rec.nodes[n.parent]; p != nil && p.tag == "title" {
		title = true
	}
	fs.addText(Text{Path: path, Attribute: attr, Value: value, Title: title}, rec.vendor)
}

func (rec *recording) removeNode(id int64, depth int) {
	n := rec.nodes[id]
	if n == nil || depth > 256 {
		return
	}
	rec.freeze(id)
	delete(rec.nodes, id)
	rec.bytes -= n.cost()
	if v := n.attrs["id"]; v != "" && rec.byIDAttr[v] == id {
		delete(rec.byIDAttr, v)
	}
	if v := n.attrs["for"]; v != "" && rec.labelFor[v] == id {
		delete(rec.labelFor, v)
	}
	for _, c := range n.children {
		rec.removeNode(c, depth+1)
	}
}

func (rec *recording) setAttr(o *op, fs *flowState) {
	n := rec.nodes[o.id]
	if n == nil {
		return
	}
	if keptAttrs[o.name] {
		rec.bytes -= n.cost()
		if o.remove {
			delete(n.attrs, o.name)
		} else {
			if n.attrs == nil {
				n.attrs = make(map[string]string, 2)
			}
			n.attrs[o.name] = clip(o.value, maxKeptAttr)
		}
		rec.bytes += n.cost()
		if o.name == "for" && n.tag == "label" && !o.remove {
			rec.labelFor[o.value] = o.id
		}
		if o.name == "id" && !o.remove {
			rec.byIDAttr[o.value] = o.id
		}
	}
	if o.remove || o.value == "" {
		return
	}
	if o.name == "value" && isField(n.tag) && isValueInput(strings.ToLower(n.attrs["type"])) {
		rec.bytes -= n.cost()
		n.value, n.masked = clip(o.value, 64<<10), IsMaskedValue(o.value)
		rec.bytes += n.cost()
		fs.touch(o.id)
		return
	}
	if (o.name == "alt" || o.name == "title") && !isField(n.tag) {
		rec.reportText(fs, o.id, n, o.value, o.name)
	}
}

func (rec *recording) input(o *op, fs *flowState, lim Limits) {
	o.value = rec.inputValue(o)
	masked := o.masked || IsMaskedValue(o.value)
	n := rec.nodes[o.id]
	if n == nil {
		p := rec.pending[o.id]
		if p == nil {
			if len(rec.pending) >= lim.MaxPending {
				// Still inspected below, under its node number.
				fs.obs.Inputs = append(fs.obs.Inputs, Input{Node: o.id, Value: o.value, Masked: masked, Keystrokes: 1})
				return
			}
			p = &pendingInput{}
			rec.pending[o.id] = p
			rec.bytes += nodeOverhead
		}
		rec.bytes += int64(len(o.value) - len(p.value))
		p.value, p.masked = clip(o.value, 64<<10), masked
		p.keystrokes++
		// Inspect it now under its node number: the snapshot that names
		// the field may never come (recording started mid-page, state
		// evicted).
		found := false
		for i := range fs.obs.Inputs {
			if fs.obs.Inputs[i].Node == o.id && fs.obs.Inputs[i].Tag == "" {
				fs.obs.Inputs[i].Value, fs.obs.Inputs[i].Masked, fs.obs.Inputs[i].Keystrokes = p.value, masked, p.keystrokes
				found = true
			}
		}
		if !found {
			fs.obs.Inputs = append(fs.obs.Inputs, Input{Node: o.id, Value: p.value, Masked: masked, Keystrokes: p.keystrokes})
		}
		return
	}
	rec.bytes -= n.cost()
	n.value, n.masked = clip(o.value, 64<<10), masked
	n.keystrokes++
	rec.bytes += n.cost()
	fs.touch(o.id)
}

// inputValue is what an input event says was entered: the text, or for
// a checkbox or radio button its state, as the value of the chosen option
// ("diabetes" for a ticked radio with that value) or "true"/"false".
func (rec *recording) inputValue(o *op) string {
	if o.checked == 0 {
		return o.value
	}
	n := rec.nodes[o.id]
	if n == nil {
		if o.value == "" || o.value == "on" {
			return strconv.FormatBool(o.checked > 0)
		}
		return o.value
	}
	switch strings.ToLower(n.attrs["type"]) {
	case "checkbox", "radio":
		if o.checked < 0 {
			return "false"
		}
		if v := n.attrs["value"]; v != "" && v != "on" {
			return v
		}
		return "true"
	}
	return o.value
}

// inputOf describes an input node as a form field.
func (rec *recording) inputOf(id int64, resolved bool) Input {
	n := rec.nodes[id]
	in := Input{Node: id, Tag: n.tag, Value: n.value, Masked: n.masked, Keystrokes: n.keystrokes, Resolved: resolved}
	in.Name = n.attrs["name"]
	in.ElementID = n.attrs["id"]
	in.Type = n.attrs["type"]
	in.Autocomplete = n.attrs["autocomplete"]
	in.Placeholder = n.attrs["placeholder"]
	in.Label = rec.labelOf(id, n)
	if n.attrs["data-openreplay-obscured"] != "" || n.attrs["data-openreplay-masked"] != "" {
		in.Masked = true
	}
	return in
}

// labelOf finds the text that labels an input: the recorder's own label,
// aria-label, aria-labelledby, label[for=id], or an enclosing label.
func (rec *recording) labelOf(id int64, n *node) string {
	if n.label != "" {
		return n.label
	}
	if v := strings.TrimSpace(n.attrs["aria-label"]); v != "" {
		return clip(v, maxLabelText)
	}
	if ref := n.attrs["aria-labelledby"]; ref != "" {
		var parts []string
		for _, r := range strings.Fields(ref) {
			if lid, ok := rec.byIDAttr[r]; ok {
				parts = append(parts, rec.textUnder(lid))
			}
		}
		if s := strings.TrimSpace(strings.Join(parts, " ")); s != "" {
			return clip(s, maxLabelText)
		}
	}
	if v := n.attrs["id"]; v != "" {
		if lid, ok := rec.labelFor[v]; ok {
			if s := rec.textUnder(lid); s != "" {
				return s
			}
		}
	}
	p := n.parent
	for i := 0; i < 6; i++ {
		pn := rec.nodes[p]
		if pn == nil {
			break
		}
		if pn.tag == "label" {
			return rec.textUnder(p)
		}
		p = pn.parent
	}
	return ""
}

// textUnder joins the text below a node, bounded.
func (rec *recording) textUnder(id int64) string {
	var b strings.Builder
	visited := 0
	var walk func(id int64, depth int)
	walk = func(id int64, depth int) {
		n := rec.nodes[id]
		if n == nil || depth > 8 || visited > 64 || b.Len() > maxLabelText {
			return
		}
		visited++
		if n.tag == "#text" {
			if t := strings.TrimSpace(n.text); t != "" {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(t)
			}
			return
		}
		if isField(n.tag) || n.tag == "script" || n.tag == "style" {
			return
		}
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(id, 0)
	return clip(strings.Join(strings.Fields(b.String()), " "), maxLabelText)
}

// domPath renders the element path to a node: "body>main>form#intake>h2".
func (rec *recording) domPath(id int64) string {
	var parts []string
	for i := 0; i < 12; i++ {
		n := rec.nodes[id]
		if n == nil || n.tag == "" || n.tag == "html" || n.tag == "#text" && i > 0 {
			break
		}
		if n.tag != "#text" {
			seg := n.tag
			if v := n.attrs["id"]; v != "" && len(v) <= 40 {
				seg += "#" + v
			}
			parts = append(parts, seg)
		}
		if n.parent == id {
			break
		}
		id = n.parent
	}
	if len(parts) == 0 {
		return "#" + itoa(id)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ">")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
