package replay

import (
	"strings"

	"github.com/phiproxy/phiproxy"
)

// OpenReplay message types read here, as its tracker's message
// definitions number them.
const (
	orSetPageLocation        = 4
	orCreateDocument         = 7
	orCreateElementNode      = 8
	orCreateTextNode         = 9
	orRemoveNode             = 11
	orSetNodeAttribute       = 12
	orSetNodeData            = 14
	orSetInputTarget         = 17
	orSetInputValue          = 18
	orSetInputChecked        = 19
	orStringDictGlobal       = 34
	orSetNodeAttrDictGlobal  = 35
	orStringDict             = 50
	orSetNodeAttributeDict   = 51
	orSetNodeAttributeURL    = 60
	orCreateIFrameDocument   = 70
	orBatchMetadata          = 81
	orBatchMetadataVersion   = 1
	orSizeBytes              = 3 // little-endian size after each message type
	maxOpenReplayDictEntries = 100000
)

// looksOpenReplay reports whether a body starts with OpenReplay's batch
// metadata message (type 81, version 1).
func looksOpenReplay(b []byte) bool {
	return len(b) > 6 && b[0] == orBatchMetadata && b[1] == orBatchMetadataVersion
}

// readOpenReplay reads an OpenReplay batch: a BatchMetadata message
// (type, then version, page number, first index, timestamp and page
// location, without a size), then messages framed as a varint type, a
// three-byte little-endian size and the fields: unsigned varints, zigzag
// signed varints, length-prefixed strings and one-byte booleans. Unknown
// types are skipped by their size. The recording is keyed by the bearer
// token the tracker authenticates with.
func readOpenReplay(f *phiproxy.Flow, b []byte) *payload {
	d := &orReader{b: b}
	if d.uint() != orBatchMetadata {
		return nil
	}
	if d.uint() != orBatchMetadataVersion {
		return nil
	}
	d.uint() // page number
	d.uint() // first index
	d.sint() // timestamp
	loc := d.str()
	if d.bad {
		return nil
	}
	p := &payload{vendor: VendorOpenReplay, page: loc}
	if tok := bearer(headerValue(&f.Request, "Authorization")); tok != "" {
		p.id = tokenID(tok)
	}
	if loc != "" {
		p.ops = append(p.ops, op{kind: opPage, value: loc})
	}
	dict := make(map[uint64]string)
	for d.off < len(d.b) && len(p.ops) < maxOps {
		typ := d.uint()
		if d.off+orSizeBytes > len(d.b) || d.bad {
			break
		}
		size := int(d.b[d.off]) | int(d.b[d.off+1])<<8 | int(d.b[d.off+2])<<16
		d.off += orSizeBytes
		if size > len(d.b)-d.off {
			p.notes = appendNote(p.notes, "replay: OpenReplay message larger than the batch, rest skipped")
			break
		}
		m := &orReader{b: d.b[d.off : d.off+size]}
		d.off += size
		p.events++
		switch typ {
		case orSetPageLocation:
			if u := m.str(); u != "" && !m.bad {
				p.page = u
				p.ops = append(p.ops, op{kind: opPage, value: u})
			}
		case orCreateDocument:
			p.ops = append(p.ops, op{kind: opReset})
		case orCreateIFrameDocument:
			m.uint()
			id := m.uint()
			if !m.bad {
				p.ops = append(p.ops, op{kind: opNode, id: int64(id), tag: "#document"})
			}
		case orCreateElementNode:
			id, parent := m.uint(), m.uint()
			m.uint() // index
			tag := m.str()
			if !m.bad {
				p.ops = append(p.ops, op{kind: opNode, id: int64(id), parent: int64(parent), tag: strings.ToLower(tag)})
			}
		case orCreateTextNode:
			id, parent := m.uint(), m.uint()
			if !m.bad {
				p.ops = append(p.ops, op{kind: opNode, id: int64(id), parent: int64(parent), tag: "#text"})
			}
		case orRemoveNode:
			if id := m.uint(); !m.bad {
				p.ops = append(p.ops, op{kind: opRemove, id: int64(id)})
			}
		case orSetNodeAttribute, orSetNodeAttributeURL:
			id, name, value := m.uint(), m.str(), m.str()
			if !m.bad {
				p.ops = append(p.ops, op{kind: opAttr, id: int64(id), name: strings.ToLower(name), value: value})
			}
		case orStringDict, orStringDictGlobal:
			k, v := m.uint(), m.str()
			if !m.bad && len(dict) < maxOpenReplayDictEntries {
				dict[k] = v
			}
		case orSetNodeAttributeDict, orSetNodeAttrDictGlobal:
			id, nk, vk := m.uint(), m.uint(), m.uint()
			name, ok1 := dict[nk]
			value, ok2 := dict[vk]
			if !m.bad && ok1 && ok2 {
				p.ops = append(p.ops, op{kind: opAttr, id: int64(id), name: strings.ToLower(name), value: value})
			}
		case orSetNodeData:
			id, data := m.uint(), m.str()
			if !m.bad {
				p.ops = append(p.ops, op{kind: opText, id: int64(id), value: data})
			}
		case orSetInputTarget:
			id, label := m.uint(), m.str()
			if !m.bad && label != "" {
				p.ops = append(p.ops, op{kind: opLabel, id: int64(id), value: label})
			}
		case orSetInputValue:
			id, value := m.uint(), m.str()
			if m.bad {
				continue
			}
			// The mask is the last field (older trackers have no
			// hesitation time before it).
			var mask int64
			for m.off < len(m.b) && !m.bad {
				mask = m.sint()
			}
			p.ops = append(p.ops, op{kind: opInput, id: int64(id), value: value, masked: mask > 0})
		case orSetInputChecked:
			id := m.uint()
			if m.off < len(m.b) && !m.bad {
				checked := m.b[m.off] != 0
				value := "false"
				if checked {
					value = "true"
				}
				p.ops = append(p.ops, op{kind: opInput, id: int64(id), value: value})
			}
		}
	}
	return p
}

func bearer(h string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// orReader reads OpenReplay primitives; a read past the end sets bad and
// returns zero values.
type orReader struct {
	b   []byte
	off int
	bad bool
}

func (r *orReader) uint() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if r.off >= len(r.b) {
			r.bad = true
			return 0
		}
		c := r.b[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.bad = true
	return 0
}

func (r *orReader) sint() int64 {
	u := r.uint()
	return int64(u>>1) ^ -int64(u&1)
}

// maxORString bounds one string of a message.
const maxORString = 16 << 20

func (r *orReader) str() string {
	n := r.uint()
	if r.bad || n > maxORString || n > uint64(len(r.b)-r.off) {
		r.bad = true
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}
