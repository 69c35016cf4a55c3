package decode

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the decoder's output")

// payloadDir holds one folder per vendor of raw HTTP/1.1 requests.
const payloadDir = "../../testdata/payloads"

// wsMessage is one line of a "<name>.ws.jsonl" sidecar: the WebSocket
// messages of the upgraded request in "<name>.http". Data is text, or
// base64 when Binary is set.
type wsMessage struct {
	FromClient bool   `json:"from_client"`
	Binary     bool   `json:"binary"`
	Data       string `json:"data"`
}

// loadFixture reads a raw HTTP/1.1 request: a request line with an
// absolute or origin-form URL, headers, a blank line and the body as the
// rest of the file (Content-Length is not trusted, so binary bodies and
// hand edits stay valid). A "<name>.ws.jsonl" sidecar adds WebSocket
// messages.
func loadFixture(path string) (*phiproxy.Flow, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		head, body, ok = bytes.Cut(raw, []byte("\n\n"))
	}
	if !ok {
		return nil, fmt.Errorf("%s: no blank line after the headers", path)
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...))))
	line, err := tp.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("%s: request line: %w", path, err)
	}
	parts := strings.Fields(line)
	if len(parts) != 3 {
		return nil, fmt.Errorf("%s: request line %q: want METHOD URL PROTO", path, line)
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("%s: headers: %w", path, err)
	}
	u := parts[1]
	if strings.HasPrefix(u, "/") {
		u = "https://" + hdr.Get("Host") + u
	}
	f := &phiproxy.Flow{
		Source: "fixture",
		Request: phiproxy.Request{
			Method: parts[0], URL: u, Host: hdr.Get("Host"), Proto: parts[2],
			Header: http.Header(hdr), BodySize: int64(len(body)),
		},
	}
	if len(body) > 0 {
		f.Request.Body = body
	}
	side := strings.TrimSuffix(path, ".http") + ".ws.jsonl"
	if data, err := os.ReadFile(side); err == nil {
		for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var m wsMessage
			if err := json.Unmarshal(line, &m); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", side, i+1, err)
			}
			msg := phiproxy.WSMessage{FromClient: m.FromClient, Binary: m.Binary, Data: []byte(m.Data)}
			if m.Binary {
				if msg.Data, err = base64.StdEncoding.DecodeString(m.Data); err != nil {
					return nil, fmt.Errorf("%s:%d: %w", side, i+1, err)
				}
			}
			f.WebSocket = append(f.WebSocket, msg)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	return f, nil
}

func fixturePaths(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(payloadDir, "*", "*.http"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no fixtures under %s", payloadDir)
	}
	return paths
}

func TestFixtures(t *testing.T) {
	for _, path := range fixturePaths(t) {
		name := strings.TrimSuffix(strings.TrimPrefix(path, payloadDir+string(filepath.Separator)), ".http")
		t.Run(name, func(t *testing.T) {
			f, err := loadFixture(path)
			if err != nil {
				t.Fatal(err)
			}
			got := render(Flow(f, Limits{}))
			golden := strings.TrimSuffix(path, ".http") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("decoded fields differ from %s (run with -update if intended)\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines only in want ("-") and only in got ("+").
func lineDiff(want, got string) string {
	count := map[string]int{}
	for l := range strings.SplitSeq(want, "\n") {
		count[l]++
	}
	for l := range strings.SplitSeq(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for l := range strings.SplitSeq(want, "\n") {
		if count[l] > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
			count[l]--
		}
	}
	for l := range strings.SplitSeq(got, "\n") {
		if count[l] < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
			count[l]++
		}
	}
	return b.String()
}
