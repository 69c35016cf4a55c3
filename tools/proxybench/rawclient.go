package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/phiproxy/phiproxy/internal/benchmix"
)

// rawClient is the lean load generator: one TLS connection (through the
// proxy's CONNECT tunnel when there is a proxy), requests written from
// bytes built once, and responses parsed by http.ReadResponse on the
// calling goroutine. net/http's Transport hands every request to two
// goroutines per connection; on a 2-core machine that bookkeeping costs
// about as much CPU as a proxy, which would leave the proxy under test
// with less than the cores it shares. The wire traffic is the same.
type rawClient struct {
	t         target
	origin    string // host:port
	keepAlive bool
	timeout   time.Duration

	conn net.Conn
	br   *bufio.Reader
	buf  []byte // the request being sent
}

// requestBytes builds the requests of the mix (see mix) as Go's client
// sends them, each with its own unique values.
type requestBytes struct {
	origin string
}

func buildRequests(origin string) *requestBytes { return &requestBytes{origin: origin} }

// request appends request i to buf.
func (rb *requestBytes) request(buf []byte, i int, keepAlive bool) []byte {
	e := benchmix.Request(i, phiShare)
	b := append(buf, e.Method...)
	b = append(b, ' ')
	b = append(b, e.Path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, rb.origin...)
	b = append(b, "\r\nUser-Agent: Go-http-client/1.1\r\n"...)
	if e.Body != nil {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(e.Body)), 10)
		b = append(b, "\r\nContent-Type: "...)
		b = append(b, e.ContentType...)
		b = append(b, "\r\n"...)
	}
	if !keepAlive {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Accept-Encoding: gzip\r\n\r\n"...)
	return append(b, e.Body...)
}

func (c *rawClient) dial() error {
	d := net.Dialer{Timeout: c.timeout}
	addr := c.origin
	if c.t.proxy != nil {
		addr = c.t.proxy.Host
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	conn.SetDeadline(time.Now().Add(c.timeout))
	if c.t.proxy != nil {
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", c.origin, c.origin)
		// The proxy sends nothing after its reply until the TLS
		// handshake starts, so this reader buffers nothing of the tunnel.
		br := bufio.NewReaderSize(conn, 512)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			conn.Close()
			return fmt.Errorf("CONNECT: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			conn.Close()
			return fmt.Errorf("CONNECT: status %d", resp.StatusCode)
		}
		if br.Buffered() > 0 {
			conn.Close()
			return fmt.Errorf("CONNECT: %d unexpected bytes after the reply", br.Buffered())
		}
	}
	host, _, _ := net.SplitHostPort(c.origin)
	tc := tls.Client(conn, &tls.Config{RootCAs: c.t.roots, ServerName: host})
	if err := tc.Handshake(); err != nil {
		conn.Close()
		return fmt.Errorf("TLS: %w", err)
	}
	c.conn = tc
	c.br = bufio.NewReaderSize(tc, 16<<10)
	return nil
}

// do sends request i of the mix and reads its response to the end.
func (c *rawClient) do(rb *requestBytes, i int) error {
	if c.conn == nil {
		if err := c.dial(); err != nil {
			return err
		}
	}
	c.buf = rb.request(c.buf[:0], i, c.keepAlive)
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	err := c.exchange(c.buf, i)
	if err != nil || !c.keepAlive {
		c.close()
	}
	return err
}

func (c *rawClient) exchange(req []byte, i int) error {
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: benchmix.Method(i)})
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n != int64(len(benchmix.GIF)) {
		return fmt.Errorf("status %d, %d body bytes", resp.StatusCode, n)
	}
	if resp.Close {
		c.close()
	}
	return nil
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// originHostPort is the host:port of the origin's base URL.
func originHostPort(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}
