package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/phiproxy/phiproxy/internal/benchmix"
)

// rawOrigin is the lean origin: a TLS listener answering every request
// with the same pixel from bytes built once, on the connection's own
// goroutine. net/http's server starts a background read per request and
// builds a ResponseWriter for it; on a shared 2-core machine that is CPU
// the proxy under test would not have if the origin were elsewhere, as a
// tracker's is. What goes over the wire is what net/http would send.
type rawOrigin struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

var pixelResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: " + strconv.Itoa(len(benchmix.GIF)) + "\r\n\r\n" + string(benchmix.GIF))

// startRawOrigin serves on 127.0.0.1 with cert until close.
func startRawOrigin(cert tls.Certificate) (*rawOrigin, error) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
	if err != nil {
		return nil, err
	}
	o := &rawOrigin{ln: ln, conns: map[net.Conn]struct{}{}}
	o.wg.Add(1)
	go o.accept()
	return o, nil
}

func (o *rawOrigin) addr() string { return o.ln.Addr().String() }

func (o *rawOrigin) accept() {
	defer o.wg.Done()
	for {
		c, err := o.ln.Accept()
		if err != nil {
			return
		}
		o.mu.Lock()
		o.conns[c] = struct{}{}
		o.mu.Unlock()
		o.wg.Add(1)
		go o.serve(c)
	}
}

func (o *rawOrigin) serve(c net.Conn) {
	defer o.wg.Done()
	defer func() {
		c.Close()
		o.mu.Lock()
		delete(o.conns, c)
		o.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c, 16<<10)
	for {
		// An idle keep-alive connection is closed after a minute, so a
		// stuck peer cannot hold the origin forever.
		c.SetReadDeadline(time.Now().Add(time.Minute))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		if _, err := c.Write(pixelResponse); err != nil || req.Close {
			return
		}
	}
}

func (o *rawOrigin) close() error {
	err := o.ln.Close()
	o.mu.Lock()
	for c := range o.conns {
		c.Close()
	}
	o.mu.Unlock()
	o.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
