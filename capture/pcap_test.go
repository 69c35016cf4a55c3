package capture

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/phiproxy/phiproxy"
)

// conversation builds the frames of one TCP connection, as a capture of it
// would hold them.
type conversation struct {
	t                  testing.TB
	client, server     net.IP
	cport, sport       uint16
	cseq, sseq         uint32
	clock              time.Time
	frames             []frame
	ipv6               bool
	skipEthernetHeader bool
}

type frame struct {
	ts   time.Time
	data []byte
}

func newConversation(t testing.TB, client, server string, cport, sport uint16, start time.Time) *conversation {
	c := &conversation{
		t: t, client: net.ParseIP(client), server: net.ParseIP(server),
		cport: cport, sport: sport, cseq: 1000, sseq: 50000, clock: start,
	}
	c.ipv6 = c.client.To4() == nil
	return c
}

// segment builds one frame; it does not advance sequence numbers.
func (c *conversation) segment(fromClient bool, seq, ack uint32, syn, fin bool, payload []byte) frame {
	c.t.Helper()
	src, dst, sport, dport := c.client, c.server, c.cport, c.sport
	if !fromClient {
		src, dst, sport, dport = c.server, c.client, c.sport, c.cport
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport),
		Seq: seq, Ack: ack, SYN: syn, FIN: fin, ACK: !syn || !fromClient, PSH: len(payload) > 0,
		Window: 65535,
	}
	var netLayer gopacket.SerializableLayer
	ethType := layers.EthernetTypeIPv4
	if c.ipv6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp.SetNetworkLayerForChecksum(ip)
		netLayer = ip
		ethType = layers.EthernetTypeIPv6
	} else {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.To4(), DstIP: dst.To4()}
		tcp.SetNetworkLayerForChecksum(ip)
		netLayer = ip
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: ethType}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	var err error
	if c.skipEthernetHeader {
		err = gopacket.SerializeLayers(buf, opts, netLayer, tcp, gopacket.Payload(payload))
	} else {
		err = gopacket.SerializeLayers(buf, opts, eth, netLayer, tcp, gopacket.Payload(payload))
	}
	if err != nil {
		c.t.Fatalf("serialize: %v", err)
	}
	c.clock = c.clock.Add(time.Millisecond)
	return frame{ts: c.clock, data: append([]byte(nil), buf.Bytes()...)}
}

func (c *conversation) handshake() {
	c.frames = append(c.frames, c.segment(true, c.cseq, 0, true, false, nil))
	c.frames = append(c.frames, c.segment(false, c.sseq, c.cseq+1, true, false, nil))
	c.cseq++
	c.sseq++
	c.frames = append(c.frames, c.segment(true, c.cseq, c.sseq, false, false, nil))
}

// send adds the payload split into segments of the given sizes (the rest
// in one final segment), in order.
func (c *conversation) send(fromClient bool, payload string, sizes ...int) []frame {
	var out []frame
	rest := []byte(payload)
	for i := 0; len(rest) > 0; i++ {
		n := len(rest)
		if i < len(sizes) && sizes[i] < n {
			n = sizes[i]
		}
		out = append(out, c.data(fromClient, rest[:n]))
		rest = rest[n:]
	}
	return out
}

func (c *conversation) data(fromClient bool, b []byte) frame {
	var f frame
	if fromClient {
		f = c.segment(true, c.cseq, c.sseq, false, false, b)
		c.cseq += uint32(len(b))
	} else {
		f = c.segment(false, c.sseq, c.cseq, false, false, b)
		c.sseq += uint32(len(b))
	}
	return f
}

func (c *conversation) close() {
	c.frames = append(c.frames, c.segment(true, c.cseq, c.sseq, false, true, nil))
	c.frames = append(c.frames, c.segment(false, c.sseq, c.cseq+1, false, true, nil))
	c.cseq++
	c.sseq++
	c.frames = append(c.frames, c.segment(true, c.cseq, c.sseq, false, false, nil))
}

// writePcap writes frames with pcapgo (the library's own writer, so the
// reader is checked against an independent implementation) and returns the
// file and the offset at which each record starts.
func writePcap(t testing.TB, link layers.LinkType, frames []frame) ([]byte, []int) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatalf("pcap header: %v", err)
	}
	offsets := make([]int, 0, len(frames))
	for _, f := range frames {
		offsets = append(offsets, buf.Len())
		ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}
		if err := w.WritePacket(ci, f.data); err != nil {
			t.Fatalf("pcap packet: %v", err)
		}
	}
	return buf.Bytes(), offsets
}

func writePcapNG(t testing.TB, link layers.LinkType, frames []frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, link)
	if err != nil {
		t.Fatalf("pcapng writer: %v", err)
	}
	for _, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: f.ts, CaptureLength: len(f.data), Length: len(f.data)}
		if err := w.WritePacket(ci, f.data); err != nil {
			t.Fatalf("pcapng packet: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("pcapng flush: %v", err)
	}
	return buf.Bytes()
}

func collect(t testing.TB, read func(context.Context, io.Reader, EmitFunc) (Summary, error), data []byte) ([]*phiproxy.Flow, Summary, error) {
	t.Helper()
	var flows []*phiproxy.Flow
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sum, err := read(ctx, bytes.NewReader(data), func(f *phiproxy.Flow) error {
		flows = append(flows, f)
		return nil
	})
	return flows, sum, err
}

// clientHello returns the first bytes a real crypto/tls client sends.
func clientHello(t testing.TB, serverName string) []byte {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		c := tls.Client(client, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Handshake() // fails once the server side closes
		client.Close()
	}()
	server.SetDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 5)
	if _, err := io.ReadFull(server, head); err != nil {
		t.Fatalf("read ClientHello header: %v", err)
	}
	n := int(head[3])<<8 | int(head[4])
	body := make([]byte, n)
	if _, err := io.ReadFull(server, body); err != nil {
		t.Fatalf("read ClientHello: %v", err)
	}
	return append(head, body...)
}

const (
	intakeJSON = `{"patient":{"email":"jane.doe@example.com","dob":"1984-03-02"},"medication":"sertraline"}`
	formBody   = "first_name=Jane&last_name=Doe&condition=depression"
)

// syntheticCapture is a capture exercising reassembly: segments out of
// order and retransmitted, an IPv6 connection, pipelining, chunked bodies,
// a TLS connection, a non-HTTP connection and one caught mid-way.
func syntheticCapture(t testing.TB) []frame {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var frames []frame

	// 1. IPv4, request in three segments delivered 1, 3, 2, 2 (a duplicate).
	c := newConversation(t, "10.0.0.5", "10.0.0.80", 40001, 8080, start)
	c.handshake()
	post := "POST /intake?src=web HTTP/1.1\r\nHost: clinic.test:8080\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(intakeJSON)) + "\r\n\r\n" + intakeJSON
	segs := c.send(true, post, 20, 40)
	c.frames = append(c.frames, segs[0], segs[2], segs[1], segs[1])
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")...)
	// Two pipelined requests in one segment, the second one chunked.
	pipelined := "GET /search?email=jane.doe%40example.com HTTP/1.1\r\nHost: clinic.test:8080\r\n\r\n" +
		"POST /form HTTP/1.1\r\nHost: clinic.test:8080\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n" +
		fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 20, formBody[:20], len(formBody)-20, formBody[20:])
	c.frames = append(c.frames, c.send(true, pipelined)...)
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfound")...)
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nyes\r\n0\r\n\r\n", 10)...)
	c.close()
	frames = append(frames, c.frames...)

	// 2. IPv6 connection, response split, retransmitted request segment.
	v6 := newConversation(t, "fd00::5", "fd00::80", 40002, 80, start.Add(time.Second))
	v6.handshake()
	get := "GET /patients/123?name=Jane+Doe HTTP/1.1\r\nHost: ehr.test\r\nReferer: http://ehr.test/search\r\n\r\n"
	s := v6.send(true, get, 10)
	v6.frames = append(v6.frames, s[0], s[0], s[1])
	v6.frames = append(v6.frames, v6.send(false, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", 7)...)
	v6.close()
	frames = append(frames, v6.frames...)

	// 3. TLS: only the ClientHello matters.
	tc := newConversation(t, "10.0.0.5", "10.0.0.90", 40003, 443, start.Add(2*time.Second))
	tc.handshake()
	tc.frames = append(tc.frames, tc.send(true, string(clientHello(t, "portal.hospital.test")), 300)...)
	tc.close()
	frames = append(frames, tc.frames...)

	// 4. Not HTTP.
	ssh := newConversation(t, "10.0.0.5", "10.0.0.22", 40004, 22, start.Add(3*time.Second))
	ssh.handshake()
	ssh.frames = append(ssh.frames, ssh.send(false, "SSH-2.0-OpenSSH_9.2\r\n")...)
	ssh.close()
	frames = append(frames, ssh.frames...)

	// 5. Caught mid-connection: no handshake in the capture.
	mid := newConversation(t, "10.0.0.6", "10.0.0.80", 40005, 8080, start.Add(4*time.Second))
	mid.frames = append(mid.frames, mid.send(true, "DELETE /appointments/77 HTTP/1.1\r\nHost: clinic.test:8080\r\nContent-Length: 0\r\n\r\n")...)
	mid.frames = append(mid.frames, mid.send(false, "HTTP/1.1 204 No Content\r\n\r\n")...)
	mid.close()
	frames = append(frames, mid.frames...)
	return frames
}

type wantFlow struct {
	method, url, body string
	client, server    string
	status            int
	respBody          string
}

var syntheticWant = []wantFlow{
	{"POST", "http://clinic.test:8080/intake?src=web", intakeJSON, "10.0.0.5:40001", "10.0.0.80:8080", 201, "ok"},
	{"GET", "http://clinic.test:8080/search?email=jane.doe%40example.com", "", "10.0.0.5:40001", "10.0.0.80:8080", 200, "found"},
	{"POST", "http://clinic.test:8080/form", formBody, "10.0.0.5:40001", "10.0.0.80:8080", 200, "yes"},
	{"GET", "http://ehr.test/patients/123?name=Jane+Doe", "", "[fd00::5]:40002", "[fd00::80]:80", 404, "not found"},
	{"DELETE", "http://clinic.test:8080/appointments/77", "", "10.0.0.6:40005", "10.0.0.80:8080", 204, ""},
}

func checkFlows(t *testing.T, got []*phiproxy.Flow, want []wantFlow) {
	t.Helper()
	if len(got) != len(want) {
		for _, f := range got {
			t.Logf("got flow %s %s", f.Request.Method, f.Request.URL)
		}
		t.Fatalf("flows: got %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		f := got[i]
		if f.Request.Method != w.method || f.Request.URL != w.url {
			t.Errorf("flow %d: got %s %s, want %s %s", i, f.Request.Method, f.Request.URL, w.method, w.url)
		}
		if string(f.Request.Body) != w.body {
			t.Errorf("flow %d body: got %q, want %q", i, f.Request.Body, w.body)
		}
		if f.Request.BodySize != int64(len(w.body)) {
			t.Errorf("flow %d body size: got %d, want %d", i, f.Request.BodySize, len(w.body))
		}
		if f.ClientAddr != w.client || f.ServerAddr != w.server {
			t.Errorf("flow %d addrs: got %s -> %s, want %s -> %s", i, f.ClientAddr, f.ServerAddr, w.client, w.server)
		}
		if f.Source != "pcap" {
			t.Errorf("flow %d source: got %q, want pcap", i, f.Source)
		}
		if f.Start.IsZero() {
			t.Errorf("flow %d: zero start time", i)
		}
		if f.Response == nil {
			t.Errorf("flow %d: no response, want status %d", i, w.status)
			continue
		}
		if f.Response.Status != w.status || string(f.Response.Body) != w.respBody {
			t.Errorf("flow %d response: got %d %q, want %d %q", i, f.Response.Status, f.Response.Body, w.status, w.respBody)
		}
	}
}

func TestReadPcapSynthetic(t *testing.T) {
	frames := syntheticCapture(t)
	pcapFile, _ := writePcap(t, layers.LinkTypeEthernet, frames)
	ngFile := writePcapNG(t, layers.LinkTypeEthernet, frames)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"pcap", pcapFile}, {"pcapng", ngFile}} {
		t.Run(tc.name, func(t *testing.T) {
			flows, sum, err := collect(t, ReadPcap, tc.data)
			if err != nil {
				t.Fatalf("ReadPcap: %v", err)
			}
			checkFlows(t, flows, syntheticWant)
			if sum.Flows != len(syntheticWant) {
				t.Errorf("summary flows: got %d, want %d", sum.Flows, len(syntheticWant))
			}
			if sum.Skipped != 1 {
				t.Errorf("skipped: got %d, want 1 (the SSH connection); notes %q", sum.Skipped, sum.Notes)
			}
			wantEnc := []Encrypted{{Client: "10.0.0.5:40003", Server: "10.0.0.90:443", SNI: "portal.hospital.test", Start: time.Date(2026, 3, 1, 9, 0, 2, 1e6, time.UTC)}}
			if len(sum.Encrypted) != 1 || sum.Encrypted[0] != wantEnc[0] {
				t.Errorf("encrypted: got %+v, want %+v", sum.Encrypted, wantEnc)
			}
			// The first request's first segment was the 4th frame.
			if got, want := flows[0].Start, frames[3].ts; !got.Equal(want) {
				t.Errorf("start: got %v, want %v", got, want)
			}
			if got := flows[3].Page; got != "http://ehr.test/search" {
				t.Errorf("page from Referer: got %q", got)
			}
		})
	}
}

func TestReadPcapLinkTypes(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	build := func(rawIP bool) []frame {
		c := newConversation(t, "192.168.1.2", "192.168.1.3", 5555, 8000, start)
		c.skipEthernetHeader = rawIP
		c.handshake()
		c.frames = append(c.frames, c.send(true, "GET /?ssn=123-45-6789 HTTP/1.1\r\nHost: a.test\r\n\r\n")...)
		c.frames = append(c.frames, c.send(false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")...)
		c.close()
		return c.frames
	}
	withHeader := func(frames []frame, header func(ipPacket []byte) []byte) []frame {
		out := make([]frame, len(frames))
		for i, f := range frames {
			out[i] = frame{ts: f.ts, data: header(f.data)}
		}
		return out
	}
	sll2 := func(ip []byte) []byte {
		h := make([]byte, 20)
		h[0], h[1] = 0x08, 0x00 // IPv4
		return append(h, ip...)
	}
	sll := func(ip []byte) []byte {
		h := make([]byte, 16)
		h[14], h[15] = 0x08, 0x00
		return append(h, ip...)
	}
	null := func(ip []byte) []byte { return append([]byte{2, 0, 0, 0}, ip...) } // AF_INET, little endian
	raw := build(true)
	for _, tc := range []struct {
		name   string
		link   layers.LinkType
		frames []frame
		ng     bool
	}{
		{"ethernet", layers.LinkTypeEthernet, build(false), false},
		{"raw", layers.LinkTypeRaw, raw, false},
		{"ipv4", layers.LinkTypeIPv4, raw, true},
		{"linux-sll", layers.LinkTypeLinuxSLL, withHeader(raw, sll), false},
		{"null", layers.LinkTypeNull, withHeader(raw, null), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var data []byte
			if tc.ng {
				data = writePcapNG(t, tc.link, tc.frames)
			} else {
				data, _ = writePcap(t, tc.link, tc.frames)
			}
			flows, _, err := collect(t, ReadPcap, data)
			if err != nil {
				t.Fatalf("ReadPcap: %v", err)
			}
			if len(flows) != 1 || flows[0].Request.URL != "http://a.test/?ssn=123-45-6789" {
				t.Fatalf("flows: got %v, want one GET http://a.test/?ssn=123-45-6789", flowURLs(flows))
			}
		})
	}
	t.Run("linux-sll2", func(t *testing.T) {
		// pcapgo cannot write link type 276 (its LinkType is a byte), so
		// patch the header field of a file written for another type.
		data, _ := writePcap(t, layers.LinkTypeEthernet, withHeader(raw, sll2))
		data[20], data[21] = 276&0xff, 276>>8
		flows, _, err := collect(t, ReadPcap, data)
		if err != nil {
			t.Fatalf("ReadPcap: %v", err)
		}
		if len(flows) != 1 {
			t.Fatalf("flows: got %v, want one", flowURLs(flows))
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		data, _ := writePcap(t, layers.LinkTypeIEEE80211Radio, build(false))
		flows, sum, err := collect(t, ReadPcap, data)
		if err != nil || len(flows) != 0 {
			t.Fatalf("got %d flows, err %v; want none and no error", len(flows), err)
		}
		if len(sum.Notes) == 0 || !strings.Contains(sum.Notes[0], "unsupported link type 127") {
			t.Errorf("notes: got %q, want the unsupported link type named", sum.Notes)
		}
	})
}

func flowURLs(flows []*phiproxy.Flow) []string {
	var out []string
	for _, f := range flows {
		out = append(out, f.Request.Method+" "+f.Request.URL)
	}
	return out
}

func TestReadPcapTruncated(t *testing.T) {
	frames := syntheticCapture(t)
	data, offsets := writePcap(t, layers.LinkTypeEthernet, frames)
	// The IPv6 connection starts after the 1st connection's frames; cut the
	// file in the middle of the record of its GET's second segment, so the
	// first connection is complete and the second is not.
	cut := -1
	for i, f := range frames {
		if bytes.Contains(f.data, []byte("Host: ehr.test")) {
			cut = i
			break
		}
	}
	if cut < 0 {
		t.Fatal("test capture has no IPv6 GET segment")
	}
	recordStart := offsets[cut]
	truncated := data[:recordStart+16+10]

	flows, sum, err := collect(t, ReadPcap, truncated)
	want := fmt.Sprintf("truncated packet record at offset %d: unexpected EOF", recordStart)
	if err == nil || err.Error() != want {
		t.Fatalf("error: got %v, want %q", err, want)
	}
	checkFlows(t, flows, syntheticWant[:3])
	if sum.Flows != 3 {
		t.Errorf("summary flows: got %d, want 3", sum.Flows)
	}

	// Through ReadFile the error also names the file.
	path := filepath.Join(t.TempDir(), "capture.pcap")
	if err := os.WriteFile(path, truncated, 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err = ReadFile(context.Background(), path, func(*phiproxy.Flow) error { n++; return nil })
	if err == nil || err.Error() != path+": "+want {
		t.Errorf("ReadFile error: got %v, want %q", err, path+": "+want)
	}
	if n != 3 {
		t.Errorf("ReadFile flows: got %d, want 3", n)
	}

	// Cut inside the file header.
	_, _, err = collect(t, ReadPcap, data[:10])
	if err == nil || !strings.Contains(err.Error(), "truncated pcap file header at offset 0") {
		t.Errorf("short header: got %v", err)
	}
}

func TestReadPcapCorrupt(t *testing.T) {
	frames := syntheticCapture(t)
	data, offsets := writePcap(t, layers.LinkTypeEthernet, frames[:3])
	huge := append([]byte(nil), data...)
	// Claim a 3 GiB packet in the second record.
	off := offsets[1]
	copy(huge[off+8:off+12], []byte{0, 0, 0, 0xc0})
	_, _, err := collect(t, ReadPcap, huge)
	want := fmt.Sprintf("packet record claims 3221225472 bytes (limit 1048576) at offset %d", off)
	if err == nil || err.Error() != want {
		t.Errorf("huge record: got %v, want %q", err, want)
	}

	ng := writePcapNG(t, layers.LinkTypeEthernet, frames[:3])
	bad := append([]byte(nil), ng...)
	// The section header is 28 bytes here; corrupt the interface block's length.
	shbLen := int(bad[4]) | int(bad[5])<<8
	copy(bad[shbLen+4:shbLen+8], []byte{5, 0, 0, 0})
	_, _, err = collect(t, ReadPcap, bad)
	if err == nil || err.Error() != fmt.Sprintf("bad block length 5 at offset %d", shbLen) {
		t.Errorf("bad block length: got %v", err)
	}

	if _, _, err := collect(t, ReadPcap, []byte("hello world, not a capture")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("not a capture: got %v, want ErrUnknownFormat", err)
	}
}

func TestReadPcapBodyLimit(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := newConversation(t, "10.1.1.1", "10.1.1.2", 6000, 80, start)
	c.handshake()
	size := MaxRequestBody + 1000
	head := fmt.Sprintf("PUT /upload HTTP/1.1\r\nHost: files.test\r\nContent-Length: %d\r\n\r\n", size)
	c.frames = append(c.frames, c.data(true, []byte(head)))
	chunk := bytes.Repeat([]byte("a"), 60000)
	for sent := 0; sent < size; {
		n := min(len(chunk), size-sent)
		c.frames = append(c.frames, c.data(true, chunk[:n]))
		sent += n
	}
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")...)
	c.close()
	data, _ := writePcap(t, layers.LinkTypeEthernet, c.frames)
	flows, _, err := collect(t, ReadPcap, data)
	if err != nil {
		t.Fatalf("ReadPcap: %v", err)
	}
	if len(flows) != 1 {
		t.Fatalf("flows: got %d, want 1", len(flows))
	}
	rq := flows[0].Request
	if len(rq.Body) != MaxRequestBody || rq.BodySize != int64(size) || !rq.Truncated {
		t.Errorf("body: got %d kept of %d, truncated %v; want %d of %d, truncated", len(rq.Body), rq.BodySize, rq.Truncated, MaxRequestBody, size)
	}
}

func TestReadPcapEmitError(t *testing.T) {
	data, _ := writePcap(t, layers.LinkTypeEthernet, syntheticCapture(t))
	stop := errors.New("stop here")
	n := 0
	sum, err := ReadPcap(context.Background(), bytes.NewReader(data), func(*phiproxy.Flow) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("error: got %v, want the emit error itself", err)
	}
	if n != 2 || sum.Flows != 2 {
		t.Errorf("emitted: got %d (summary %d), want 2", n, sum.Flows)
	}
}

func TestClientHelloSNI(t *testing.T) {
	hello := clientHello(t, "Portal.Hospital.Test")
	for _, tc := range []struct {
		name         string
		in           []byte
		wantSNI      string
		wantComplete bool
	}{
		{"whole", hello, "portal.hospital.test", true},
		{"cut before extensions", hello[:60], "", false},
		{"header only", hello[:5], "", false},
		{"not a hello", []byte{0x16, 3, 1, 0, 4, 2, 0, 0, 0}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sni, complete := clientHelloSNI(tc.in)
			if sni != tc.wantSNI || complete != tc.wantComplete {
				t.Errorf("got %q complete=%v, want %q complete=%v", sni, complete, tc.wantSNI, tc.wantComplete)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		head []byte
		want Format
		err  bool
	}{
		{"pcap le", []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}, FormatPcap, false},
		{"pcap be nanos", []byte{0xa1, 0xb2, 0x3c, 0x4d}, FormatPcap, false},
		{"pcapng", []byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0}, FormatPcapNG, false},
		{"har", []byte("\xef\xbb\xbf\n  {\"log\":"), FormatHAR, false},
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, FormatUnknown, true},
		{"text", []byte("GET / HTTP/1.1"), FormatUnknown, true},
		{"empty", nil, FormatUnknown, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff(tc.head)
			if got != tc.want || (err != nil) != tc.err {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func FuzzReadPcap(f *testing.F) {
	frames := syntheticCapture(f)
	pcapFile, offsets := writePcap(f, layers.LinkTypeEthernet, frames)
	f.Add(pcapFile)
	f.Add(pcapFile[:offsets[len(offsets)/2]+20])
	f.Add(writePcapNG(f, layers.LinkTypeEthernet, frames[:20]))
	raw, _ := writePcap(f, layers.LinkTypeRaw, nil)
	f.Add(raw)
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := ReadPcap(ctx, bytes.NewReader(data), func(fl *phiproxy.Flow) error {
			if fl.Request.Method == "" || !strings.HasPrefix(fl.Request.URL, "http") || fl.Source != "pcap" {
				t.Fatalf("emitted a flow without a request: %+v", fl.Request)
			}
			return nil
		})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("reading %d bytes took longer than 10s", len(data))
		}
	})
}

func TestReadPcapHTTPEdgeCases(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c := newConversation(t, "10.2.0.1", "10.2.0.2", 7000, 80, start)
	c.handshake()
	// HEAD: the response announces a length but carries no body, so the
	// next response must still pair with the next request.
	c.frames = append(c.frames, c.send(true, "HEAD /records/9 HTTP/1.1\r\nHost: h.test\r\n\r\n")...)
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")...)
	// Expect: 100-continue: the interim response comes before the body.
	body := "dx=F41.1&note=panic+attacks"
	c.frames = append(c.frames, c.send(true, fmt.Sprintf("POST /notes HTTP/1.1\r\nHost: h.test\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(body)))...)
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 100 Continue\r\n\r\n")...)
	c.frames = append(c.frames, c.send(true, body)...)
	c.frames = append(c.frames, c.send(false, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")...)
	// The last request never gets an answer.
	c.frames = append(c.frames, c.send(true, "GET /unanswered?mrn=A55 HTTP/1.1\r\nHost: h.test\r\n\r\n")...)
	c.close()

	// CONNECT through a proxy, then TLS inside the tunnel.
	p := newConversation(t, "10.2.0.1", "10.2.0.3", 7001, 3128, start.Add(time.Second))
	p.handshake()
	p.frames = append(p.frames, p.send(true, "CONNECT portal.test:443 HTTP/1.1\r\nHost: portal.test:443\r\n\r\n")...)
	p.frames = append(p.frames, p.send(false, "HTTP/1.1 200 Connection established\r\n\r\n")...)
	p.frames = append(p.frames, p.send(true, string(clientHello(t, "portal.test")))...)
	p.frames = append(p.frames, p.send(false, "\x16\x03\x03\x00\x02\x02\x00")...)
	p.close()

	// A response whose request is not in the capture, and a malformed request.
	m := newConversation(t, "10.2.0.1", "10.2.0.2", 7002, 80, start.Add(2*time.Second))
	m.frames = append(m.frames, m.send(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")...)
	bad := newConversation(t, "10.2.0.1", "10.2.0.2", 7003, 80, start.Add(3*time.Second))
	bad.frames = append(bad.frames, bad.send(true, "GET /x HTTP/1.1\r\nBroken header line\r\n\r\n")...)

	huge := newConversation(t, "10.2.0.1", "10.2.0.2", 7004, 80, start.Add(4*time.Second))
	huge.frames = append(huge.frames, huge.send(true, "GET /big HTTP/1.1\r\nCookie: "+strings.Repeat("c", 40000)+"\r\n\r\n", 1400, 1400)...)

	var all []frame
	for _, conv := range []*conversation{c, p, m, bad, huge} {
		all = append(all, conv.frames...)
	}
	data, _ := writePcap(t, layers.LinkTypeEthernet, all)
	flows, sum, err := collect(t, ReadPcap, data)
	if err != nil {
		t.Fatalf("ReadPcap: %v", err)
	}
	type got struct {
		method, url, body string
		status            int
	}
	want := []got{
		{"HEAD", "http://h.test/records/9", "", 200},
		{"POST", "http://h.test/notes", body, 201},
		// Emitted when its connection closes, before the next connection.
		{"GET", "http://h.test/unanswered?mrn=A55", "", 0},
		{"CONNECT", "http://portal.test:443", "", 200},
	}
	var have []got
	for _, f := range flows {
		g := got{f.Request.Method, f.Request.URL, string(f.Request.Body), 0}
		if f.Response != nil {
			g.status = f.Response.Status
		}
		have = append(have, g)
	}
	if fmt.Sprint(have) != fmt.Sprint(want) {
		t.Errorf("flows:\n got %v\nwant %v", have, want)
	}
	notes := strings.Join(sum.Notes, "\n")
	for _, w := range []string{"has no captured request", "malformed HTTP request", "message head longer than 32768 bytes"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q: want one containing %q", sum.Notes, w)
		}
	}
}
