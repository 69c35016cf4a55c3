// Package capture turns recorded traffic into phiproxy Flows: HAR exports
// (Chrome DevTools, Firefox, mitmproxy), pcap and pcapng captures (TCP
// reassembly, plaintext HTTP/1.x parsing, TLS streams listed by SNI), and a
// live capture on a Linux interface. The flows it produces are the same
// values the live proxy hands to the inspector and the store.
//
// Every reader streams: memory depends on the size of one HAR entry or on
// the number of TCP connections open at once, never on the size of the file.
// Hostile input (truncated, malformed, huge, deeply nested) gives an error or
// a note, never a panic or a hang.
package capture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/phiproxy/phiproxy"
)

// Format is the kind of a recording file. The zero value is FormatUnknown.
type Format int

// Formats Sniff recognises.
const (
	FormatUnknown Format = iota
	FormatHAR
	FormatPcap
	FormatPcapNG
)

func (f Format) String() string {
	switch f {
	case FormatHAR:
		return "har"
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Limits applied to everything read from recordings. They bound memory per
// flow; what they cut is marked Truncated.
const (
	// MaxRequestBody is how many bytes of a request body a Flow keeps.
	MaxRequestBody = 8 << 20
	// MaxResponseBody is how many bytes of a response body a Flow keeps:
	// leaks travel outbound, so only a prefix is kept for context.
	MaxResponseBody = 64 << 10
	// maxHeaderBytes bounds the request or response head of one HTTP
	// message read from a TCP stream.
	maxHeaderBytes = 32 << 10
	// maxNotes bounds Summary.Notes; the rest are counted in a last note.
	maxNotes = 50
)

// SniffLen is how many leading bytes Sniff wants to see to decide reliably.
const SniffLen = 512

// ErrUnknownFormat is returned by Sniff and ReadFile for content that is
// neither HAR nor pcap nor pcapng.
var ErrUnknownFormat = errors.New("not a HAR, pcap or pcapng file")

// Sniff tells the format of a recording from its first bytes (SniffLen of
// them is plenty; fewer may still be enough). It looks at magic numbers for
// pcap (either byte order, micro- or nanosecond) and pcapng, and at a JSON
// object opening with "log" for HAR. Gzip-compressed files are reported as
// an error naming the compression rather than as unknown.
func Sniff(head []byte) (Format, error) {
	if len(head) >= 4 {
		switch string(head[:4]) {
		case "\x0a\x0d\x0d\x0a":
			return FormatPcapNG, nil
		case "\xd4\xc3\xb2\xa1", "\xa1\xb2\xc3\xd4", "\x4d\x3c\xb2\xa1", "\xa1\xb2\x3c\x4d":
			return FormatPcap, nil
		}
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return FormatUnknown, fmt.Errorf("%w: gzip-compressed, decompress it first", ErrUnknownFormat)
	}
	rest := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")) // UTF-8 BOM some Windows tools write
	rest = bytes.TrimLeft(rest, " \t\r\n")
	if len(rest) > 0 && rest[0] == '{' {
		// A HAR file is a JSON object whose only member is "log"; anything
		// else starting with '{' is reported by ReadHAR with a clear error.
		return FormatHAR, nil
	}
	return FormatUnknown, ErrUnknownFormat
}

// Encrypted is a TLS connection seen in a capture: its payload cannot be
// inspected, but the fact that the client talked to SNI is itself evidence.
type Encrypted struct {
	Client, Server string // ip:port of each side ("[::1]:443" for IPv6)
	// SNI is the server name the ClientHello asked for, empty when it had
	// none or the hello was cut off before it.
	SNI string
	// Start is the time of the connection's first packet.
	Start time.Time
}

// Summary reports what a reader did with a recording.
type Summary struct {
	// Flows is how many flows were handed to emit (including the one whose
	// emit returned an error, if any).
	Flows int
	// Encrypted lists TLS connections in the order their ClientHello was
	// seen.
	Encrypted []Encrypted
	// Skipped counts what was not turned into flows: TCP connections that
	// carried neither HTTP/1.x nor TLS, and HAR entries without a usable
	// request.
	Skipped int
	// Notes are one-line descriptions of problems worked around (a gap in a
	// TCP stream, a malformed HTTP message, an unsupported link type),
	// at most 50 plus a count of the rest.
	Notes []string

	omittedNotes int
}

func (s *Summary) note(format string, args ...any) {
	if len(s.Notes) >= maxNotes {
		s.omittedNotes++
		return
	}
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// finish appends the count of notes left out, once.
func (s *Summary) finish() {
	if s.omittedNotes > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d more notes omitted", s.omittedNotes))
		s.omittedNotes = 0
	}
}

// EmitFunc receives each flow as soon as it is complete, on the goroutine
// that called the reader. The flow belongs to the callee. Returning an error
// stops reading; the reader returns that very error, so callers can compare
// it with ==.
type EmitFunc = func(*phiproxy.Flow) error

// ReadFile reads the recording at path, whatever its format (see Sniff),
// and calls emit for every flow in it. Errors name the file and, for
// capture files, the byte offset where reading failed; the flows read
// before a truncated or broken part have already been emitted when the
// error is returned.
func ReadFile(ctx context.Context, path string, emit EmitFunc) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("open recording: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(SniffLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	format, err := Sniff(head)
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	var sum Summary
	switch format {
	case FormatHAR:
		sum, err = readHAR(ctx, br, emit)
	default:
		sum, err = readPcap(ctx, br, emit)
	}
	if err != nil && !isEmitError(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return sum, unwrapEmit(err)
}

// emitError marks an error that came from the caller's emit so that it can
// be handed back unchanged.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

func isEmitError(err error) bool {
	var ee *emitError
	return errors.As(err, &ee)
}

func unwrapEmit(err error) error {
	var ee *emitError
	if errors.As(err, &ee) {
		return ee.err
	}
	return err
}
