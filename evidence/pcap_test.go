package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/store"
)

// followedStream is one TCP stream as tshark reassembled it.
type followedStream struct {
	client, server []byte
}

// followStreams asks tshark to reassemble streams 0..n-1 in raw (hex) form.
func followStreams(t *testing.T, tshark, pcap string, n int) []followedStream {
	args := []string{"-r", pcap, "-q"}
	for i := 0; i < n; i++ {
		args = append(args, "-z", fmt.Sprintf("follow,tcp,raw,%d", i))
	}
	out := runTool(t, 60*time.Second, tshark, args...)
	streams := make([]followedStream, n)
	cur := -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Filter: tcp.stream eq "):
			id, err := strconv.Atoi(strings.TrimPrefix(line, "Filter: tcp.stream eq "))
			if err != nil || id >= n {
				t.Fatalf("tshark follow: unexpected %q", line)
			}
			cur = id
		case cur < 0, line == "", strings.HasPrefix(line, "="), strings.HasPrefix(line, "Follow:"), strings.HasPrefix(line, "Node "):
		default:
			server := strings.HasPrefix(line, "\t")
			b, err := hex.DecodeString(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("tshark follow stream %d: %q: %v", cur, line, err)
			}
			if server {
				streams[cur].server = append(streams[cur].server, b...)
			} else {
				streams[cur].client = append(streams[cur].client, b...)
			}
		}
	}
	return streams
}

func storedFlows(t *testing.T, s *store.Store, f store.Filter) []*store.FlowDetail {
	var out []*store.FlowDetail
	if err := s.EachFlow(context.Background(), f, func(d *store.FlowDetail) error { out = append(out, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPCAPTshark has Wireshark's dissectors read flows.pcap: the requests
// and responses, the reassembled bytes, checksums and TCP analysis.
func TestPCAPTshark(t *testing.T) {
	t.Parallel()
	tshark := testenv.Program(t, "tshark")
	dir, _, s, _ := exportFixture(t, Options{})
	pcap := filepath.Join(dir, PCAPFile)
	flows := storedFlows(t, s, store.Filter{})

	var want []string
	responses := 0
	for _, d := range flows {
		target, host := requestTarget(d.Flow.Request.URL)
		want = append(want, nonEmpty(d.Flow.Request.Host, host)+"\t"+target)
		if d.Flow.Response != nil {
			responses++
		}
	}
	out := runTool(t, 30*time.Second, tshark, "-r", pcap, "-Y", "http.request", "-T", "fields", "-e", "http.host", "-e", "http.request.uri")
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tshark http.request:\n got %q\nwant %q", got, want)
	}
	out = runTool(t, 30*time.Second, tshark, "-r", pcap, "-Y", "http.response", "-T", "fields", "-e", "http.response.code")
	if got := len(strings.Fields(string(out))); got != responses {
		t.Errorf("tshark http.response: got %d, want %d", got, responses)
	}
	out = runTool(t, 30*time.Second, tshark, "-r", pcap, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-e", "tcp.checksum.status", "-e", "ip.checksum.status")
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "1\t1" { // 1 is "Good"
			t.Errorf("packet %d checksum status (tcp, ip): got %q, want good", i+1, line)
		}
	}
	out = runTool(t, 30*time.Second, tshark, "-r", pcap, "-Y", `tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= "warning"`)
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("tshark found problems:\n%s", s)
	}
	out = runTool(t, 30*time.Second, tshark, "-r", pcap, "-Y", "websocket", "-T", "fields", "-e", "websocket.opcode")
	if got := strings.Fields(string(out)); strings.Join(got, ",") != "1,1,2" {
		t.Errorf("tshark websocket opcodes: got %v, want 1,1,2", got)
	}

	streams := followStreams(t, tshark, pcap, len(flows))
	for i, d := range flows {
		f := &d.Flow
		st := streams[i]
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(st.client)))
		if err != nil {
			t.Fatalf("flow %d: reassembled request does not parse: %v\n%q", f.ID, err, st.client)
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatalf("flow %d: request body: %v", f.ID, err)
		}
		if !bytes.Equal(body, f.Request.Body) {
			t.Errorf("flow %d request body: got %q, want %q", f.ID, body, f.Request.Body)
		}
		if req.Method != f.Request.Method {
			t.Errorf("flow %d method: got %s, want %s", f.ID, req.Method, f.Request.Method)
		}
		for name, vals := range f.Request.Header {
			if got := req.Header.Values(name); strings.Join(got, "\n") != strings.Join(vals, "\n") {
				t.Errorf("flow %d header %s: got %q, want %q", f.ID, name, got, vals)
			}
		}
		if f.Response == nil {
			if len(st.server) != 0 {
				t.Errorf("flow %d: server bytes for a flow without response: %q", f.ID, st.server)
			}
			continue
		}
		br := bufio.NewReader(bytes.NewReader(st.server))
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("flow %d: reassembled response does not parse: %v\n%q", f.ID, err, st.server)
		}
		if resp.StatusCode != f.Response.Status {
			t.Errorf("flow %d status: got %d, want %d", f.ID, resp.StatusCode, f.Response.Status)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			// The server's frames follow the 101; the client's follow the
			// request.
			rest, _ := io.ReadAll(br)
			clientRest := st.client[len(requestBytes(&f.Request)):]
			var wantServer, wantClient []byte
			for _, m := range f.WebSocket {
				if m.FromClient {
					wantClient = append(wantClient, wsFrame(m)...)
				} else {
					wantServer = append(wantServer, wsFrame(m)...)
				}
			}
			if !bytes.Equal(rest, wantServer) || !bytes.Equal(clientRest, wantClient) {
				t.Errorf("flow %d websocket frames differ:\nserver %x\n  want %x\nclient %x\n  want %x", f.ID, rest, wantServer, clientRest, wantClient)
			}
			continue
		}
		rbody, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("flow %d: response body: %v", f.ID, err)
		}
		if !bytes.Equal(rbody, f.Response.Body) && !(len(rbody) == 0 && len(f.Response.Body) == 0) {
			t.Errorf("flow %d response body: got %q, want %q", f.ID, rbody, f.Response.Body)
		}
	}
}

// checkTCP reads a pcap back with gopacket and checks what makes it a
// valid capture of one connection per flow: segment sizes, sequence and
// acknowledgement numbers, and in-order payloads.
func checkTCP(t *testing.T, pcap []byte, wantClient, wantServer []byte) {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type: got %v, want Ethernet", r.LinkType())
	}
	type side struct {
		next    uint32
		started bool
		data    []byte
	}
	var client, server side
	var clientPort layers.TCPPort
	var last time.Time
	for i := 0; ; i++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.Timestamp.Before(last) {
			t.Errorf("packet %d goes back in time", i)
		}
		last = ci.Timestamp
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		tl, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tl == nil {
			t.Fatalf("packet %d: no TCP layer: %v", i, p.ErrorLayer())
		}
		if len(tl.Payload) > maxSegment {
			t.Errorf("packet %d: %d-byte segment, max %d", i, len(tl.Payload), maxSegment)
		}
		if i == 0 {
			clientPort = tl.SrcPort
		}
		from, to := &client, &server
		if tl.SrcPort != clientPort {
			from, to = to, from
		}
		if !from.started {
			from.started, from.next = true, tl.Seq
		}
		if tl.Seq != from.next {
			t.Fatalf("packet %d: seq %d, want %d", i, tl.Seq, from.next)
		}
		if tl.ACK && to.started && tl.Ack != to.next {
			t.Fatalf("packet %d: ack %d, want %d", i, tl.Ack, to.next)
		}
		from.data = append(from.data, tl.Payload...)
		from.next += uint32(len(tl.Payload))
		if tl.SYN || tl.FIN {
			from.next++
		}
	}
	if !bytes.Equal(client.data, wantClient) {
		t.Errorf("client bytes:\n got %q\nwant %q", client.data, wantClient)
	}
	if !bytes.Equal(server.data, wantServer) {
		t.Errorf("server bytes:\n got %q\nwant %q", server.data, wantServer)
	}
}

func TestPCAPSegments(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 400) // 6400 bytes: 5 segments
	f := &phiproxy.Flow{ID: 3, Start: fixtureStart, Request: phiproxy.Request{Method: "POST", URL: "http://h.example/p", Body: big, BodySize: int64(len(big))},
		Response: &phiproxy.Response{Status: 200, Body: big[:3000], BodySize: 3000}, Timings: phiproxy.Timings{Send: time.Millisecond, Wait: time.Millisecond}}
	var b bytes.Buffer
	pw, err := newPCAPWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.writeFlow(f); err != nil {
		t.Fatal(err)
	}
	checkTCP(t, b.Bytes(), requestBytes(&f.Request), responseBytes(f.Response))
}

func FuzzPCAPFlow(f *testing.F) {
	f.Add(uint8(0), "http://a.example/x?y=1", "k", "v", []byte("body"), uint16(200), []byte("resp"), "127.0.0.1:5000", "10.1.2.3:443")
	f.Add(uint8(1), "https://[2001:db8::1]:8443/", "X-A", "line\r\nbreak", bytes.Repeat([]byte{0xff}, 3000), uint16(101), []byte{}, "[::1]:1", "bad")
	f.Add(uint8(2), "", "", "", []byte{}, uint16(0), []byte(nil), "", "")
	f.Fuzz(func(t *testing.T, m uint8, rawURL, hk, hv string, body []byte, status uint16, rbody []byte, client, server string) {
		methods := []string{"GET", "POST", "PUT", "DELETE"}
		fl := &phiproxy.Flow{ID: int64(m) + 1, Start: fixtureStart, ClientAddr: client, ServerAddr: server,
			Request: phiproxy.Request{Method: methods[int(m)%len(methods)], URL: rawURL, Header: http.Header{hk: {hv}}, Body: body, BodySize: int64(len(body))},
			Timings: phiproxy.Timings{Send: time.Duration(m) * time.Millisecond}}
		if status >= 100 && status < 600 && status != 101 {
			fl.Response = &phiproxy.Response{Status: int(status), Header: http.Header{}, Body: rbody, BodySize: int64(len(rbody))}
		}
		var b bytes.Buffer
		pw, err := newPCAPWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		if err := pw.writeFlow(fl); err != nil {
			t.Fatal(err)
		}
		var wantServer []byte
		if fl.Response != nil {
			wantServer = responseBytes(fl.Response)
		}
		checkTCP(t, b.Bytes(), requestBytes(&fl.Request), wantServer)
		// The request line and headers stay one line each, and the body
		// is delimited by a Content-Length that matches it.
		req := requestBytes(&fl.Request)
		head, rest, ok := bytes.Cut(req, []byte("\r\n\r\n"))
		if !ok || !bytes.Equal(rest, body) {
			t.Fatalf("request does not end with the body after the blank line: %q", req)
		}
		for _, line := range bytes.Split(head, []byte("\r\n")) {
			if bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("header line holds a line break: %q", line)
			}
		}
		if len(body) > 0 && !bytes.Contains(head, []byte("\r\nContent-Length: "+strconv.Itoa(len(body)))) {
			t.Fatalf("Content-Length missing or wrong: %q", head)
		}
	})
}
