//go:build linux

package capture

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/phiproxy/phiproxy"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

func TestCaptureInterfaceLoopback(t *testing.T) {
	origin := echoOrigin(t, false)
	other := echoOrigin(t, false)
	port, _ := strconv.Atoi(portOf(t, origin))
	filter, err := PortFilter(uint16(port))
	if err != nil {
		t.Fatalf("PortFilter: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	flows := make(chan *phiproxy.Flow, 100)
	type result struct {
		sum Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := CaptureInterface(ctx, "lo", filter, func(f *phiproxy.Flow) error {
			flows <- f
			return nil
		})
		done <- result{sum, err}
	}()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(u string) {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// The socket opens asynchronously: probe until the capture sees traffic.
	var seen []*phiproxy.Flow
	probing := testenv.WaitFor(10*time.Second, func() bool {
		select {
		case r := <-done:
			if errors.Is(r.err, unix.EPERM) {
				testenv.Missing(t, "live capture needs root or CAP_NET_RAW: %v", r.err)
			}
			t.Fatalf("capture stopped early: %v", r.err)
		default:
		}
		get(origin.URL + "/probe")
		for {
			select {
			case f := <-flows:
				seen = append(seen, f)
			default:
				return len(seen) > 0
			}
		}
	})
	if !probing {
		t.Fatal("live capture saw no probe within 10s")
	}
	get(other.URL + "/filtered-out?email=jane.doe%40example.com")
	sent := sendPHIRequests(t, client, origin.URL)
	// Wait until all sent requests have come through, then stop.
	testenv.WaitFor(10*time.Second, func() bool {
		for {
			select {
			case f := <-flows:
				seen = append(seen, f)
			default:
				n := 0
				for _, f := range seen {
					if !strings.HasSuffix(f.Request.URL, "/probe") {
						n++
					}
				}
				return n >= len(sent)
			}
		}
	})
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("CaptureInterface did not return after cancel")
	}
	if r.err != nil {
		t.Fatalf("CaptureInterface: %v", r.err)
	}
	close(flows)
	for f := range flows {
		seen = append(seen, f)
	}
	findSent(t, seen, sent)
	for _, f := range seen {
		if strings.Contains(f.Request.URL, "filtered-out") {
			t.Errorf("flow to the filtered-out port captured: %s", f.Request.URL)
		}
		if f.Source != "pcap" || f.Start.IsZero() {
			t.Errorf("%s: source %q start %v", f.Request.URL, f.Source, f.Start)
		}
	}
	if r.sum.Flows != len(seen) {
		t.Errorf("summary flows: got %d, want %d", r.sum.Flows, len(seen))
	}
}

func TestCaptureInterfaceErrors(t *testing.T) {
	_, err := CaptureInterface(context.Background(), "no-such-if0", nil, func(*phiproxy.Flow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "capture on no-such-if0") {
		t.Errorf("unknown interface: got %v", err)
	}
}
