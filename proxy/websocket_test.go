package proxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/phiproxy/phiproxy"
)

// echoServer answers every WebSocket message with "echo:" + message, of
// the same type.
func echoServer(t *testing.T, tlsOn bool) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{EnableCompression: true}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, append([]byte("echo:"), data...)); err != nil {
				return
			}
		}
	})
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

type wsMsg struct {
	binary bool
	data   []byte
}

// collectWS concatenates the messages of every flow of url, in emission
// order, split by direction.
func collectWS(flows []*phiproxy.Flow, url string) (client, server []phiproxy.WSMessage) {
	for _, f := range flows {
		if f.Request.URL != url {
			continue
		}
		for _, m := range f.WebSocket {
			if m.FromClient {
				client = append(client, m)
			} else {
				server = append(server, m)
			}
		}
	}
	return client, server
}

func TestWebSocketMessagesAreRecorded(t *testing.T) {
	const maxBody = 64 << 10
	long := strings.Repeat("free text about my sertraline dose; ", 3000) // > maxBody, fragmented by gorilla
	sent := []wsMsg{
		{false, []byte("hello, my email is jane.doe@example.com")},
		{true, []byte{0, 1, 2, 0xfe, 0xff}},
		{false, []byte(long)},
		{false, []byte("last one: appointment for therapy on Tuesday")},
	}
	for _, tc := range []struct {
		name     string
		tls      bool
		compress bool
	}{
		{"wss plain frames", true, false},
		{"wss permessage-deflate", true, true},
		{"ws through plain proxy", false, false},
		{"ws through plain proxy with deflate", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin := echoServer(t, tc.tls)
			r := newRig(t, Config{
				MaxBody:       maxBody,
				Resolve:       map[string]string{"chat.example.com": origin.Listener.Addr().String()},
				UpstreamRoots: pool(origin),
			}, nil)
			scheme := "ws"
			if tc.tls {
				scheme = "wss"
			}
			url := scheme + "://chat.example.com/socket?room=42"
			// The flow records the upgrade request's own URL.
			flowURL := "http" + strings.TrimPrefix(url, "ws")
			d := websocket.Dialer{
				Proxy:             http.ProxyURL(r.proxyURL),
				TLSClientConfig:   &tls.Config{RootCAs: r.caPool},
				EnableCompression: tc.compress,
				HandshakeTimeout:  waitLimit,
			}
			c, resp, err := d.Dial(url, nil)
			if err != nil {
				t.Fatalf("dial through proxy: %v", err)
			}
			ext := resp.Header.Get("Sec-Websocket-Extensions")
			if got := strings.Contains(ext, "permessage-deflate"); got != tc.compress {
				t.Fatalf("negotiated deflate: got %q, want deflate=%t", ext, tc.compress)
			}
			_ = c.SetReadDeadline(time.Now().Add(waitLimit))
			for _, m := range sent {
				typ := websocket.TextMessage
				if m.binary {
					typ = websocket.BinaryMessage
				}
				if err := c.WriteMessage(typ, m.data); err != nil {
					t.Fatalf("write: %v", err)
				}
				gotTyp, echo, err := c.ReadMessage()
				if err != nil {
					t.Fatalf("read echo: %v", err)
				}
				if gotTyp != typ || !bytes.Equal(echo, append([]byte("echo:"), m.data...)) {
					t.Fatalf("echo through proxy: got type %d, %d bytes; want type %d, %d bytes", gotTyp, len(echo), typ, len(m.data)+5)
				}
			}
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"))
			c.Close()

			flows := r.flows.waitUntil(t, "websocket messages", func(flows []*phiproxy.Flow) bool {
				client, server := collectWS(flows, flowURL)
				return len(client) >= len(sent) && len(server) >= len(sent)
			})
			client, server := collectWS(flows, flowURL)
			if len(client) != len(sent) || len(server) != len(sent) {
				t.Fatalf("messages: got %d from client and %d from server, want %d each", len(client), len(server), len(sent))
			}
			for i, m := range sent {
				want, truncated := m.data, false
				if len(want) > maxBody {
					want, truncated = want[:maxBody], true
				}
				got := client[i]
				if !bytes.Equal(got.Data, want) || got.Binary != m.binary || got.Truncated != truncated || got.Time.IsZero() {
					t.Errorf("client message %d: got binary=%t truncated=%t %d bytes %.40q; want binary=%t truncated=%t %d bytes %.40q",
						i, got.Binary, got.Truncated, len(got.Data), got.Data, m.binary, truncated, len(want), want)
				}
				echo := append([]byte("echo:"), m.data...)
				wantEcho := echo[:min(len(echo), int(DefaultMaxResponseBody))]
				if s := server[i]; !bytes.Equal(s.Data, wantEcho) || s.Binary != m.binary {
					t.Errorf("server message %d: got %d bytes %.40q, want %d bytes %.40q", i, len(s.Data), s.Data, len(wantEcho), wantEcho)
				}
			}
			var upgrade *phiproxy.Flow
			for _, f := range flows {
				if f.Request.URL == flowURL {
					upgrade = f
				}
			}
			if upgrade.Request.Method != "GET" || upgrade.Response == nil || upgrade.Response.Status != http.StatusSwitchingProtocols {
				t.Errorf("upgrade flow: got %s with response %+v, want GET answered by 101", upgrade.Request.Method, upgrade.Response)
			}
			if tc.tls && upgrade.ConnectTarget != "chat.example.com:443" {
				t.Errorf("upgrade flow ConnectTarget: got %q, want chat.example.com:443", upgrade.ConnectTarget)
			}
		})
	}
}

func pool(srv *httptest.Server) *x509.CertPool {
	p := x509.NewCertPool()
	if srv.Certificate() != nil {
		p.AddCert(srv.Certificate())
	}
	return p
}

func TestWebSocketFlushesLiveConnections(t *testing.T) {
	origin := echoServer(t, true)
	r := newRig(t, Config{
		Resolve:       map[string]string{"chat.example.com": origin.Listener.Addr().String()},
		UpstreamRoots: pool(origin),
	}, func(s *Server) { s.wsFlush = 30 * time.Millisecond })
	url := "https://chat.example.com/live"
	d := websocket.Dialer{Proxy: http.ProxyURL(r.proxyURL), TLSClientConfig: &tls.Config{RootCAs: r.caPool}, HandshakeTimeout: waitLimit}
	c, _, err := d.Dial("wss://chat.example.com/live", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(waitLimit))
	for i, text := range []string{"first: I feel depressed", "second: my DOB is 1980-02-03"} {
		if err := c.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		// The connection is still open: the message must show up anyway,
		// in a flow of its own.
		flows := r.flows.waitUntil(t, "live message "+text, func(flows []*phiproxy.Flow) bool {
			client, _ := collectWS(flows, url)
			return len(client) > i
		})
		client, _ := collectWS(flows, url)
		if len(client) != i+1 || string(client[i].Data) != text {
			t.Fatalf("live messages: got %d, last %q; want %d, last %q", len(client), client[len(client)-1].Data, i+1, text)
		}
		var batches int
		for _, f := range flows {
			if f.Request.URL == url {
				batches++
				if f.Response == nil || f.Response.Status != http.StatusSwitchingProtocols {
					t.Errorf("interim flow: got response %+v, want the 101", f.Response)
				}
			}
		}
		if batches != i+1 {
			t.Errorf("interim flows: got %d, want %d (one per interval with new messages)", batches, i+1)
		}
	}
}

// TestWebSocketMessagesInTheOrderTheyHappened: each message the server
// answers at once is recorded after the message it answers, never
// before, however fast the answer comes.
func TestWebSocketMessagesInTheOrderTheyHappened(t *testing.T) {
	origin := echoServer(t, true)
	r := newRig(t, Config{
		Resolve:       map[string]string{"chat.example.com": origin.Listener.Addr().String()},
		UpstreamRoots: pool(origin),
	}, nil)
	d := websocket.Dialer{Proxy: http.ProxyURL(r.proxyURL), TLSClientConfig: &tls.Config{RootCAs: r.caPool}, HandshakeTimeout: waitLimit}
	c, _, err := d.Dial("wss://chat.example.com/order", nil)
	if err != nil {
		t.Fatalf("dial through proxy: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(waitLimit))
	const n = 200
	for i := range n {
		if err := c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	url := "https://chat.example.com/order"
	var all []phiproxy.WSMessage
	r.flows.waitUntil(t, "every message", func(flows []*phiproxy.Flow) bool {
		all = all[:0]
		for _, f := range flows {
			if f.Request.URL == url {
				all = append(all, f.WebSocket...)
			}
		}
		return len(all) == 2*n
	})
	for i, m := range all {
		want := fmt.Sprint(i / 2)
		if i%2 == 1 {
			want = "echo:" + want
		}
		if m.FromClient != (i%2 == 0) || string(m.Data) != want {
			t.Fatalf("message %d: got %q from client %t, want %q from client %t", i, m.Data, m.FromClient, want, i%2 == 0)
		}
	}
}
