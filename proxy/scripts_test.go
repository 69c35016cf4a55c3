package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestIsScript(t *testing.T) {
	tests := []struct {
		ct, path string
		want     bool
	}{
		{"application/javascript", "/a", true},
		{"text/javascript; charset=utf-8", "/a", true},
		{"Application/X-JavaScript", "/a", true},
		{"text/ecmascript", "/a", true},
		{"", "/static/app.js", true},
		{"", "/static/APP.MJS", true},
		{"", "/static/app.json", false},
		{"application/json", "/app.js", false}, // the type wins over the path
		{"text/html", "/", false},
		{"text/plain", "/x.js", false},
		{";;;", "/x", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.ct != "" {
			h.Set("Content-Type", tt.ct)
		}
		if got := isScript(h, tt.path); got != tt.want {
			t.Errorf("isScript(%q, %q): got %v, want %v", tt.ct, tt.path, got, tt.want)
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestScriptsAreHashedAsTheyStream(t *testing.T) {
	big := make([]byte, 300<<10) // larger than the kept prefix and --max-body below
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	small := []byte("document.cookie='a=1';")
	r, _, _ := twoOrigins(t, Config{MaxBody: 1024, MaxResponseBody: 1024}, func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/typed":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(big)
		case "/chunked.js": // no type, no length: chunked
			w.Header()["Content-Type"] = nil
			w.Write(small)
			w.(http.Flusher).Flush()
			w.Write(small)
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			w.Write(big)
		}
	})
	client := r.client(t, nil)
	for _, tt := range []struct {
		url, want string
	}{
		{"https://tracker.example.com/typed", sha(big)},
		{"http://tracker.example.com/typed", sha(big)},
		{"https://tracker.example.com/chunked.js", sha(append(append([]byte{}, small...), small...))},
		{"https://tracker.example.com/page", ""},
	} {
		resp, err := client.Get(tt.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.url, err)
		}
		readAll(t, resp)
		f := r.flows.waitURL(t, tt.url)
		if f.Response == nil {
			t.Fatalf("%s: no response recorded", tt.url)
		}
		if f.Response.SHA256 != tt.want {
			t.Errorf("%s: sha256 got %q, want %q", tt.url, f.Response.SHA256, tt.want)
		}
		if len(f.Response.Body) > 1024 {
			t.Errorf("%s: kept %d bytes of the body, want at most 1024", tt.url, len(f.Response.Body))
		}
	}
}

// patternReader yields n bytes of a repeating script without holding them.
type patternReader struct{ left int64 }

var scriptLine = []byte("window.__t=(window.__t||0)+1;// padding padding padding\n")

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && p.left > 0 {
		c := copy(b[n:min(len(b), n+int(min(p.left, int64(len(scriptLine)))))], scriptLine)
		n += c
		p.left -= int64(c)
	}
	return n, nil
}

func TestLargeScriptHashedInConstantMemory(t *testing.T) {
	const size = 50 << 20
	h := sha256.New()
	if _, err := io.Copy(h, &patternReader{left: size}); err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		io.Copy(w, &patternReader{left: size})
	})
	client := r.client(t, nil)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	const u = "https://tracker.example.com/vendor/huge.js"
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	close(stop)
	wg.Wait()
	if err != nil || n != size {
		t.Fatalf("read %d bytes, err %v; want %d", n, err, size)
	}
	if hex.EncodeToString(got.Sum(nil)) != want {
		t.Fatalf("the browser got different bytes than the origin sent")
	}
	f := r.flows.waitURL(t, u)
	if f.Response.SHA256 != want {
		t.Errorf("sha256: got %q, want %q", f.Response.SHA256, want)
	}
	if f.Response.BodySize != size {
		t.Errorf("body size: got %d, want %d", f.Response.BodySize, size)
	}
	// Buffering the script would grow the heap by its 50 MB; streaming
	// keeps it to a few copy buffers and TLS records.
	growth := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("heap in use: base %d KiB, peak growth %d KiB", base.HeapInuse>>10, growth>>10)
	if growth > 8<<20 {
		t.Errorf("heap grew by %d MiB while a %d MiB script streamed; want under 8 MiB", growth>>20, size>>20)
	}
}

func TestIsScriptDoesNotAllocate(t *testing.T) {
	h := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	js := http.Header{"Content-Type": {"Text/JavaScript ; charset=utf-8"}}
	if n := testing.AllocsPerRun(100, func() { isScript(h, "/index.html"); isScript(js, "/a") }); n != 0 {
		t.Errorf("isScript allocates %v times per call, want 0", n)
	}
	if !isScript(js, "/a") {
		t.Errorf("a parameterised, mixed-case JavaScript type is a script")
	}
}
