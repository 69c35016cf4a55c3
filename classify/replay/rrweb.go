package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// rrweb event types (and Datadog record types, which share the numbers
// that matter here).
const (
	eventFullSnapshot        = 2
	eventIncrementalSnapshot = 3
	eventMeta                = 4
)

// rrweb incremental sources.
const (
	sourceMutation = 0
	sourceInput    = 5
)

// rrweb (and Datadog) serialized node types.
const (
	nodeDocument     = 0
	nodeDocumentType = 1
	nodeElement      = 2
	nodeText         = 3
	nodeCDATA        = 4
	nodeComment      = 5
	nodeFragment     = 11
)

// rrEvent is one rrweb event or Datadog record.
type rrEvent struct {
	Type *int            `json:"type"`
	Data json.RawMessage `json:"data"`
	// CV marks PostHog's compressed events (cv "2024-10"): a full
	// snapshot's data, and a mutation's adds, removes, texts and
	// attributes, are gzip bytes written as a Latin-1 string.
	CV string `json:"cv"`
}

// rrData is the union of the data of the events read here.
type rrData struct {
	Source *int    `json:"source"`
	Node   *rrNode `json:"node"` // full snapshot
	Href   string  `json:"href"` // meta

	// Mutations.
	Adds []struct {
		ParentID int64  `json:"parentId"`
		Node     rrNode `json:"node"`
	} `json:"adds"`
	Removes []struct {
		ParentID int64 `json:"parentId"`
		ID       int64 `json:"id"`
	} `json:"removes"`
	Texts []struct {
		ID    int64   `json:"id"`
		Value *string `json:"value"`
	} `json:"texts"`
	Attributes []struct {
		ID         int64                      `json:"id"`
		Attributes map[string]json.RawMessage `json:"attributes"`
	} `json:"attributes"`

	// Input.
	ID        int64   `json:"id"`
	Text      *string `json:"text"`
	IsChecked *bool   `json:"isChecked"`
}

// rrNode is a serialized DOM node.
type rrNode struct {
	Type        int                        `json:"type"`
	ID          int64                      `json:"id"`
	TagName     string                     `json:"tagName"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	ChildNodes  []rrNode                   `json:"childNodes"`
	TextContent *string                    `json:"textContent"`
	IsStyle     bool                       `json:"isStyle"`
}

// eventReader turns rrweb events into operations.
type eventReader struct {
	ops    []op
	events int
	notes  []string
	page   string
	full   bool // maxOps reached
}

func (r *eventReader) add(o op) {
	if len(r.ops) >= maxOps {
		if !r.full {
			r.full = true
			r.notes = append(r.notes, "replay: operation limit reached, rest of the recording skipped")
		}
		return
	}
	r.ops = append(r.ops, o)
}

// events reads a list of events, each a raw JSON value.
func (r *eventReader) eventList(raw []json.RawMessage) {
	for _, e := range raw {
		r.event(e)
	}
}

// event reads one event.
func (r *eventReader) event(raw json.RawMessage) {
	var e rrEvent
	if json.Unmarshal(raw, &e) != nil || e.Type == nil || len(e.Data) == 0 {
		return
	}
	if e.CV != "" {
		data, err := uncompressPostHog(e.Data)
		if err != nil {
			r.notes = appendNote(r.notes, "replay: compressed event ("+e.CV+"): "+err.Error())
			return
		}
		e.Data = data
	}
	switch *e.Type {
	case eventFullSnapshot, eventIncrementalSnapshot, eventMeta:
	default:
		return
	}
	var d rrData
	if err := json.Unmarshal(e.Data, &d); err != nil {
		r.notes = appendNote(r.notes, "replay: event data: "+err.Error())
		return
	}
	r.events++
	switch *e.Type {
	case eventMeta:
		if d.Href != "" {
			r.page = d.Href
			r.add(op{kind: opPage, value: d.Href})
		}
	case eventFullSnapshot:
		if d.Node != nil {
			r.add(op{kind: opReset})
			r.node(d.Node, 0, 0)
		}
	case eventIncrementalSnapshot:
		if d.Source == nil {
			return
		}
		switch *d.Source {
		case sourceMutation:
			for _, rm := range d.Removes {
				r.add(op{kind: opRemove, id: rm.ID})
			}
			for i := range d.Adds {
				r.node(&d.Adds[i].Node, d.Adds[i].ParentID, 0)
			}
			for _, t := range d.Texts {
				if t.Value != nil {
					r.add(op{kind: opText, id: t.ID, value: *t.Value})
				}
			}
			for _, a := range d.Attributes {
				for name, v := range a.Attributes {
					s, isString, isNull := attrValue(v)
					switch {
					case isNull:
						r.add(op{kind: opAttr, id: a.ID, name: strings.ToLower(name), remove: true})
					case isString:
						r.add(op{kind: opAttr, id: a.ID, name: strings.ToLower(name), value: s})
					}
				}
			}
		case sourceInput:
			if d.Text == nil && d.IsChecked == nil {
				return
			}
			o := op{kind: opInput, id: d.ID}
			if d.Text != nil {
				o.value = *d.Text
			}
			if d.IsChecked != nil {
				// rrweb sends isChecked with every input, false for text
				// fields: the node's type says whether it means anything.
				o.checked = -1
				if *d.IsChecked {
					o.checked = 1
				}
			}
			r.add(o)
		}
	}
}

// compressedMembers are the members of an event's data PostHog may
// compress one by one.
var compressedMembers = []string{"adds", "removes", "texts", "attributes"}

// uncompressPostHog undoes PostHog's event compression: the whole data
// as one compressed string, or some members of it.
func uncompressPostHog(data json.RawMessage) (json.RawMessage, error) {
	d := bytes.TrimSpace(data)
	if len(d) > 0 && d[0] == '"' {
		return gunzipLatin1(d)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(d, &m); err != nil {
		return nil, err
	}
	changed := false
	for _, k := range compressedMembers {
		v := bytes.TrimSpace(m[k])
		if len(v) == 0 || v[0] != '"' {
			continue
		}
		out, err := gunzipLatin1(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = out
		changed = true
	}
	if !changed {
		return data, nil
	}
	return json.Marshal(m)
}

// maxCompressedEvent bounds one decompressed event.
const maxCompressedEvent = 16 << 20

// gunzipLatin1 reads a JSON string whose characters are the bytes of a
// gzip stream and returns the JSON it holds.
func gunzipLatin1(quoted []byte) (json.RawMessage, error) {
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("not a Latin-1 byte string")
		}
		b = append(b, byte(r))
	}
	out, err := inflate(b, "gzip", maxCompressedEvent)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(out), nil
}

// maxNodeDepth bounds the nesting of a snapshot's node tree.
const maxNodeDepth = 512

// node flattens a serialized node and its children into operations.
func (r *eventReader) node(n *rrNode, parent int64, depth int) {
	if depth > maxNodeDepth || r.full {
		return
	}
	switch n.Type {
	case nodeElement:
		attrs := make(map[string]string, len(n.Attributes))
		for k, v := range n.Attributes {
			if s, ok, _ := attrValue(v); ok {
				attrs[strings.ToLower(k)] = s
			}
		}
		r.add(op{kind: opNode, id: n.ID, parent: parent, tag: strings.ToLower(n.TagName), attrs: attrs})
	case nodeText, nodeCDATA:
		text := ""
		if n.TextContent != nil {
			text = *n.TextContent
		}
		r.add(op{kind: opNode, id: n.ID, parent: parent, tag: "#text", value: text, style: n.IsStyle})
		return
	case nodeDocument, nodeFragment:
		r.add(op{kind: opNode, id: n.ID, parent: parent, tag: "#document"})
	default: // doctype, comment: nothing a visitor entered or read
		return
	}
	for i := range n.ChildNodes {
		r.node(&n.ChildNodes[i], n.ID, depth+1)
	}
}

// attrValue reads an attribute: strings and numbers as text, null as a
// removal; objects (rrweb's style diffs) and booleans are skipped.
func attrValue(v json.RawMessage) (s string, ok, null bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", false, false
	}
	switch c := v[0]; {
	case c == '"':
		if json.Unmarshal(v, &s) == nil {
			return s, true, false
		}
	case c == 'n':
		return "", false, true
	case c == '-' || c >= '0' && c <= '9':
		return string(v), true, false
	}
	return "", false, false
}

// maxNotesPerFlow bounds the notes one flow may add.
const maxNotesPerFlow = 20

func appendNote(notes []string, n string) []string {
	if len(notes) >= maxNotesPerFlow {
		return notes
	}
	return append(notes, n)
}
