package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/phiproxy/phiproxy"
)

// pcapNote is recorded in the manifest: flows.pcap is a reconstruction.
const pcapNote = "flows.pcap is synthesised from the decrypted flows: TLS was removed and every flow is one plain HTTP/1.1 exchange on its own TCP connection to port 80 " +
	"(so Wireshark's HTTP dissector applies), with a three-way handshake and FIN close. Addresses are the flow's when they are IPv4, otherwise documentation addresses " +
	"(client 192.0.2.x, server 198.51.100.x); the client port is derived from the flow ID. Headers are re-serialised (HTTP/2 pseudo-headers dropped, Content-Length set to the body written, " +
	"Transfer-Encoding removed); bodies are what phiproxy kept (a truncated body carries X-Phiproxy-Truncated). WebSocket messages follow a 101 response as unfragmented frames."

// maxSegment is the TCP payload per packet (an Ethernet MSS).
const maxSegment = 1460

// serverPort is where every synthetic server listens.
const serverPort = 80

// pcapWriter writes flows as synthetic TCP streams.
type pcapWriter struct {
	w   *pcapgo.Writer
	buf gopacket.SerializeBuffer
}

func newPCAPWriter(w io.Writer) (*pcapWriter, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	return &pcapWriter{w: pw, buf: gopacket.NewSerializeBuffer()}, nil
}

// tcpEnd is one side of a synthetic connection.
type tcpEnd struct {
	mac  net.HardwareAddr
	ip   net.IP
	port uint16
	seq  uint32 // next sequence number this side sends
}

// tcpStream writes the packets of one connection with consistent sequence
// and acknowledgement numbers.
type tcpStream struct {
	pw             *pcapWriter
	client, server tcpEnd
	clock          time.Time
}

// tick advances the stream's clock to at least t, and by at least a
// microsecond, so packets within a flow are strictly ordered in time.
func (s *tcpStream) tick(t time.Time) time.Time {
	next := s.clock.Add(time.Microsecond)
	if t.After(next) {
		next = t
	}
	s.clock = next
	return next
}

type tcpFlags struct{ syn, ack, psh, fin bool }

func (s *tcpStream) packet(at time.Time, fromClient bool, fl tcpFlags, payload []byte) error {
	src, dst := &s.client, &s.server
	if !fromClient {
		src, dst = dst, src
	}
	eth := &layers.Ethernet{SrcMAC: src.mac, DstMAC: dst.mac, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.ip, DstIP: dst.ip, Flags: layers.IPv4DontFragment}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.port), DstPort: layers.TCPPort(dst.port), Seq: src.seq,
		SYN: fl.syn, ACK: fl.ack, PSH: fl.psh, FIN: fl.fin, Window: 65535}
	if fl.ack {
		tcp.Ack = dst.seq
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	if err := gopacket.SerializeLayers(s.pw.buf, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		return fmt.Errorf("pcap: serialise packet: %w", err)
	}
	data := s.pw.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: s.tick(at), CaptureLength: len(data), Length: len(data)}
	if err := s.pw.w.WritePacket(ci, data); err != nil {
		return fmt.Errorf("pcap: write packet: %w", err)
	}
	src.seq += uint32(len(payload))
	if fl.syn || fl.fin {
		src.seq++
	}
	return nil
}

// send writes data from one side in segments, each acknowledged by the
// other side, spread evenly over [from, from+span].
func (s *tcpStream) send(fromClient bool, data []byte, from time.Time, span time.Duration) error {
	n := (len(data) + maxSegment - 1) / maxSegment
	for i := 0; i < n; i++ {
		seg := data[i*maxSegment : min((i+1)*maxSegment, len(data))]
		at := from
		if n > 1 {
			at = from.Add(span * time.Duration(i) / time.Duration(n-1))
		}
		if err := s.packet(at, fromClient, tcpFlags{ack: true, psh: true}, seg); err != nil {
			return err
		}
		if err := s.packet(at, !fromClient, tcpFlags{ack: true}, nil); err != nil {
			return err
		}
	}
	return nil
}

// writeFlow writes one flow (already redacted when asked) as one TCP
// connection.
func (pw *pcapWriter) writeFlow(f *phiproxy.Flow) error {
	s := &tcpStream{pw: pw, clock: f.Start.Add(-time.Microsecond)}
	s.client = tcpEnd{mac: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}, ip: clientIP(f), port: clientPort(f.ID), seq: isn(f.ID, 1)}
	s.server = tcpEnd{mac: net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}, ip: serverIPv4(f), port: serverPort, seq: isn(f.ID, 2)}

	start := f.Start
	if err := s.packet(start, true, tcpFlags{syn: true}, nil); err != nil {
		return err
	}
	if err := s.packet(start, false, tcpFlags{syn: true, ack: true}, nil); err != nil {
		return err
	}
	if err := s.packet(start, true, tcpFlags{ack: true}, nil); err != nil {
		return err
	}
	if err := s.send(true, requestBytes(&f.Request), start, f.Timings.Send); err != nil {
		return err
	}
	end := start.Add(f.Timings.Send)
	if f.Response != nil {
		respAt := start.Add(f.Timings.Send + f.Timings.Wait)
		if err := s.send(false, responseBytes(f.Response), respAt, f.Timings.Receive); err != nil {
			return err
		}
		end = respAt.Add(f.Timings.Receive)
		if f.Response.Status == http.StatusSwitchingProtocols {
			for _, m := range f.WebSocket {
				if err := s.send(m.FromClient, wsFrame(m), m.Time, 0); err != nil {
					return err
				}
				if m.Time.After(end) {
					end = m.Time
				}
			}
		}
	}
	// The client closes; the server answers with its own FIN.
	if err := s.packet(end, true, tcpFlags{fin: true, ack: true}, nil); err != nil {
		return err
	}
	if err := s.packet(end, false, tcpFlags{fin: true, ack: true}, nil); err != nil {
		return err
	}
	return s.packet(end, true, tcpFlags{ack: true}, nil)
}

// isn picks a deterministic initial sequence number per flow and side, so
// the same database gives the same pcap.
func isn(id int64, side uint32) uint32 {
	return uint32(id)*2654435761 + side*0x10000000
}

func clientPort(id int64) uint16 {
	return uint16(49152 + id%16384)
}

func clientIP(f *phiproxy.Flow) net.IP {
	if ip := ipv4Of(f.ClientAddr); ip != nil {
		return ip
	}
	return net.IPv4(192, 0, 2, byte(1+f.ID%254)).To4()
}

func serverIPv4(f *phiproxy.Flow) net.IP {
	if ip := ipv4Of(f.ServerAddr); ip != nil {
		return ip
	}
	h := fnv.New32a()
	h.Write([]byte(f.Request.URLHost()))
	return net.IPv4(198, 51, 100, byte(1+h.Sum32()%254)).To4()
}

func ipv4Of(addr string) net.IP {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.To4()
	}
	return nil
}

// hopHeaders are replaced or dropped when an exchange is re-serialised as
// HTTP/1.1 with a body of known length.
var hopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Host": true}

func writeHeaders(b *bytes.Buffer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		// HTTP/2 pseudo-headers and names that are not tokens cannot be
		// written as HTTP/1.1 header lines.
		if !hopHeaders[http.CanonicalHeaderKey(k)] && isToken(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(headerValue(v))
			b.WriteString("\r\n")
		}
	}
}

// isToken reports whether s is an RFC 9110 token, the syntax of a header
// name and a method.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// escapeTarget percent-encodes bytes that may not appear in a request
// target (controls, space, non-ASCII), leaving everything else as sent.
func escapeTarget(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// headerValue keeps a header on one line whatever the stored value holds.
func headerValue(v string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
}

// requestTarget is the origin-form of an absolute URL ("/path?query").
func requestTarget(rawURL string) (target, host string) {
	u := rawURL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	i := strings.IndexAny(u, "/?")
	if i < 0 {
		return "/", u
	}
	host, target = u[:i], u[i:]
	if strings.HasPrefix(target, "?") {
		target = "/" + target
	}
	return target, host
}

func requestBytes(r *phiproxy.Request) []byte {
	var b bytes.Buffer
	target, urlHost := requestTarget(r.URL)
	method := r.Method
	if !isToken(method) {
		method = "GET"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, escapeTarget(target))
	b.WriteString("Host: " + headerValue(nonEmpty(r.Host, urlHost)) + "\r\n")
	writeHeaders(&b, r.Header)
	if r.Truncated {
		b.WriteString("X-Phiproxy-Truncated: original body " + strconv.FormatInt(r.BodySize, 10) + " bytes\r\n")
	}
	if len(r.Body) > 0 || methodHasBody(method) {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

func methodHasBody(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
}

func responseBytes(r *phiproxy.Response) []byte {
	var b bytes.Buffer
	text := http.StatusText(r.Status)
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", r.Status, nonEmpty(text, "Status"))
	writeHeaders(&b, r.Header)
	// 1xx, 204 and 304 have no body by definition; a Content-Length there
	// would make dissectors wait for one.
	noBody := r.Status < 200 || r.Status == http.StatusNoContent || r.Status == http.StatusNotModified
	if r.BodySize > int64(len(r.Body)) && !noBody {
		b.WriteString("X-Phiproxy-Truncated: original body " + strconv.FormatInt(r.BodySize, 10) + " bytes\r\n")
	}
	if !noBody {
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
	}
	b.WriteString("\r\n")
	if !noBody {
		b.Write(r.Body)
	}
	return b.Bytes()
}

// wsFrame renders one message as a single unfragmented frame (RFC 6455
// §5.2); client frames are masked as the protocol requires.
func wsFrame(m phiproxy.WSMessage) []byte {
	opcode := byte(1)
	if m.Binary {
		opcode = 2
	}
	var b bytes.Buffer
	b.WriteByte(0x80 | opcode)
	maskBit := byte(0)
	if m.FromClient {
		maskBit = 0x80
	}
	n := len(m.Data)
	switch {
	case n < 126:
		b.WriteByte(maskBit | byte(n))
	case n <= 0xFFFF:
		b.WriteByte(maskBit | 126)
		b.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
	default:
		b.WriteByte(maskBit | 127)
		b.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	}
	if !m.FromClient {
		b.Write(m.Data)
		return b.Bytes()
	}
	// A key derived from the message keeps the pcap reproducible: the same
	// database exports to the same bytes.
	var key [4]byte
	binary.BigEndian.PutUint32(key[:], uint32(m.Time.UnixNano())|0x01010101)
	b.Write(key[:])
	for i, c := range m.Data {
		b.WriteByte(c ^ key[i%4])
	}
	return b.Bytes()
}
