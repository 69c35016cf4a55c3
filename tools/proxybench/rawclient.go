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
}

// requestBytes are the twelve requests of the mix (see mix), serialised
// as Go's client sends them.
type requestBytes struct {
	keepAlive, close [12][]byte // index i%12
}

func buildRequests(origin string) *requestBytes {
	var rb requestBytes
	for i := 0; i < 12; i++ {
		e := mix(i)
		for _, keep := range []bool{true, false} {
			b := []byte(e.method + " " + e.path + " HTTP/1.1\r\nHost: " + origin + "\r\nUser-Agent: Go-http-client/1.1\r\n")
			if e.body != nil {
				b = append(b, "Content-Length: "+strconv.Itoa(len(e.body))+"\r\nContent-Type: "+e.contentType+"\r\n"...)
			}
			if !keep {
				b = append(b, "Connection: close\r\n"...)
			}
			b = append(b, "Accept-Encoding: gzip\r\n\r\n"...)
			b = append(b, e.body...)
			if keep {
				rb.keepAlive[i] = b
			} else {
				rb.close[i] = b
			}
		}
	}
	return &rb
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
	req := rb.keepAlive[i%12]
	if !c.keepAlive {
		req = rb.close[i%12]
	}
	c.conn.SetDeadline(time.Now().Add(c.timeout))
	err := c.exchange(req, i)
	if err != nil || !c.keepAlive {
		c.close()
	}
	return err
}

func (c *rawClient) exchange(req []byte, i int) error {
	if _, err := c.conn.Write(req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: mix(i).method})
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n != int64(len(gif)) {
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
