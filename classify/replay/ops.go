package replay

// opKind is one change a recording describes, whatever its format: every
// decoder (rrweb JSON, Datadog records, OpenReplay messages) turns its
// events into the same few operations, which the recording state applies.
type opKind uint8

const (
	// opReset starts a full snapshot: node IDs restart, so the old map
	// is dropped (pending inputs are kept).
	opReset opKind = iota
	// opNode adds (or replaces) a node under parent.
	opNode
	// opRemove removes a node and its subtree.
	opRemove
	// opAttr sets (or, with remove, removes) one attribute.
	opAttr
	// opText sets a text node's content.
	opText
	// opInput records a value typed or chosen into a field.
	opInput
	// opPage says which page the recording is on.
	opPage
	// opLabel names an input directly (OpenReplay's input target label).
	opLabel
)

// op is one operation. Fields are used according to kind.
type op struct {
	kind   opKind
	id     int64
	parent int64
	// tag is the element's lower-case tag name, or "#text" for a text
	// node (opNode).
	tag string
	// attrs are the element's attributes (opNode).
	attrs map[string]string
	// name and value: the attribute (opAttr), the text (opText, opNode
	// for text nodes), the input value (opInput), the URL (opPage), the
	// label (opLabel).
	name, value string
	// remove marks an attribute removal (opAttr).
	remove bool
	// masked is an explicit mask flag from the recorder (opInput).
	masked bool
	// style marks text that is CSS, not content (opNode).
	style bool
	// checked is a checkbox or radio state sent with an input (opInput):
	// 1 checked, -1 not checked, 0 not sent.
	checked int8
}

// maxOps bounds the operations read from one flow: past it the rest of
// the payload is skipped with a note.
const maxOps = 200000
