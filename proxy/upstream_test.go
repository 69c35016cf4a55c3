package proxy

import (
	"context"
	"errors"
	"net"
	"testing"
)

// TestTunnelUpstreamContext: the upstream requests of a tunnel share one
// context, which ends when the tunnel closes or Shutdown aborts, and is
// born ended for a tunnel already closed.
func TestTunnelUpstreamContext(t *testing.T) {
	newConn := func(t *testing.T) *trackedConn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		c := &trackedConn{Conn: a, reg: &connRegistry{}}
		if !c.reg.add(c, 1) {
			t.Fatal("registry refused the connection")
		}
		return c
	}
	aborted, abort := context.WithCancelCause(context.Background())
	defer abort(nil)

	c := newConn(t)
	first, _ := c.upstreamContext(aborted)
	if second, _ := c.upstreamContext(aborted); second != first {
		t.Error("second request of a tunnel: got a new context, want the tunnel's")
	}
	if first.Err() != nil {
		t.Fatalf("open tunnel: context ended: %v", first.Err())
	}
	c.Close()
	if !errors.Is(first.Err(), context.Canceled) {
		t.Errorf("closed tunnel: context error %v, want cancelled", first.Err())
	}
	late := newConn(t)
	late.Close()
	if ctx, _ := late.upstreamContext(aborted); ctx.Err() == nil {
		t.Error("context asked for after the tunnel closed: not ended")
	}

	open := newConn(t)
	ctx, _ := open.upstreamContext(aborted)
	abort(errShuttingDown)
	if ctx.Err() == nil {
		t.Error("Shutdown's abort: tunnel context not ended")
	}
}

// TestUpstreamAddressText: the remembered text of an upstream address is
// the address's own, whichever address came before.
func TestUpstreamAddressText(t *testing.T) {
	var c addrText
	addrs := []net.Addr{
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443},
		&net.TCPAddr{IP: net.ParseIP("::1"), Port: 443},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 443, Zone: "lo"},
		&net.UnixAddr{Name: "/tmp/origin.sock", Net: "unix"},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
	}
	for _, a := range addrs {
		if got, want := c.text(a), a.String(); got != want {
			t.Errorf("text of %#v: got %q, want %q", a, got, want)
		}
	}
}
