package classify_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/classify"
)

// rrwebBundle is rrweb's browser bundle, installed (pinned) by
// tools/install-test-deps with npm ci in tools/replay.
var rrwebBundle = filepath.Join("..", "tools", "replay", "node_modules", "rrweb", "dist", "rrweb.umd.min.cjs")

// bookingPage records itself with rrweb and, on flush(), sends what it
// recorded since the last flush as one segment in the shape of the
// recorder named by the query: a Sentry envelope (zlib) to another host,
// or a PostHog $snapshot batch (gzip) through the site's own /ingest.
const bookingPage = `<!doctype html>
<html><head><title>Patient portal</title><script src="/rrweb.js"></script></head>
<body>
<main>
 <h1>Your care plan: Type 2 diabetes</h1>
 <form id="book">
  <label for="mrn">Medical record number</label><input id="mrn" name="mrn" type="text">
  <label for="dob">Date of birth</label><input id="dob" name="birth" type="text">
  <label>ZIP code <input id="zip" name="postal" type="text"></label>
  <label for="member">Member ID</label><input id="member" name="member_no" type="text">
 </form>
</main>
<script>
const params = new URLSearchParams(location.search);
const shape = params.get("shape"), mask = params.get("mask") === "1";
const sessionID = "sess-" + shape + (mask ? "-masked" : "") + "-0f3a9c";
let events = [], segment = 0;
rrweb.record({ emit(e) { events.push(e); }, maskAllInputs: mask });
async function compress(text, format) {
  const s = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(s).arrayBuffer());
}
window.flush = async function () {
  const batch = events.splice(0);
  const n = segment++;
  if (shape === "sentry") {
    const data = await compress(JSON.stringify(batch), "deflate");
    const head = new TextEncoder().encode(JSON.stringify({event_id: sessionID}) + "\n" +
      JSON.stringify({type: "replay_event"}) + "\n" + JSON.stringify({replay_id: sessionID, segment_id: n}) + "\n");
    const itemHead = JSON.stringify({segment_id: n}) + "\n";
    const payload = new Uint8Array([...new TextEncoder().encode(itemHead), ...data]);
    const item = new TextEncoder().encode(JSON.stringify({type: "replay_recording", length: payload.length}) + "\n");
    const body = new Uint8Array([...head, ...item, ...payload]);
    const r = await fetch("https://o1.ingest.sentry.test/api/4/envelope/?sentry_key=k", {method: "POST", body, headers: {"Content-Type": "application/x-sentry-envelope"}});
    return r.status;
  }
  const body = await compress(JSON.stringify(batch.map(e => ({event: "$snapshot",
    properties: {$snapshot_data: e, $session_id: sessionID, $window_id: "w1"}}))), "gzip");
  const r = await fetch("/ingest/s/?compression=gzip-js", {method: "POST", body, headers: {"Content-Type": "text/plain"}});
  return r.status;
};
window.recReady = true;
</script>
</body></html>`

func TestRecordingFromRealRRWebInChromium(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	bundle, err := os.ReadFile(rrwebBundle)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("rrweb bundle: %v (tools/install-test-deps installs it)", err)
		}
		t.Skipf("rrweb not installed (%v): run tools/install-test-deps", err)
	}
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		switch {
		case r.Method == http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/rrweb.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(bundle)
		case r.URL.Path == "/book":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, bookingPage)
		default: // the recorders' endpoints
			w.WriteHeader(http.StatusOK)
		}
	}), "clinic.test", "o1.ingest.sentry.test")
	px := chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
		Resolve: map[string]string{"clinic.test": site.Addr(), "o1.ingest.sentry.test": site.Addr()},
		Roots:   site.Roots,
	})
	profile, err := chromium.NewProfile(px.CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { profile.Close() })

	typed := map[string]string{"mrn": "PT-55208817", "dob": "03/14/1962", "zip": "97403", "member": "XGH447120934"}
	for _, c := range []struct {
		shape string
		mask  bool
	}{{"sentry", false}, {"posthog", false}, {"sentry", true}} {
		name := c.shape
		if c.mask {
			name += "-masked"
		}
		t.Run(name, func(t *testing.T) {
			before := len(px.Flows())
			record(t, profile, px.Addr, fmt.Sprintf("https://clinic.test/book?shape=%s&mask=%v", c.shape, map[bool]int{true: 1}[c.mask]), typed)
			var flows []*phiproxy.Flow
			for _, f := range px.Flows()[before:] {
				if f.Request.Method == http.MethodPost && (strings.Contains(f.Request.URL, "/envelope/") || strings.Contains(f.Request.URL, "/ingest/s/")) {
					flows = append(flows, f)
				}
			}
			if len(flows) != 3 {
				var seen []string
				for _, f := range px.Flows()[before:] {
					seen = append(seen, f.Request.Method+" "+f.Request.URL)
				}
				t.Fatalf("segments captured: got %d, want 3; flows:\n%s", len(flows), strings.Join(seen, "\n"))
			}
			in, err := classify.New(classify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var all []phiproxy.Finding
			var notes []string
			for _, f := range flows {
				ins := in.Inspect(f)
				all = append(all, ins.Findings...)
				notes = append(notes, ins.Notes...)
			}
			joined := strings.Join(notes, "\n")
			if !strings.Contains(joined, phiproxy.NoteRecording) {
				t.Fatalf("no recording recognised; notes:\n%s", joined)
			}
			if c.mask {
				if !strings.Contains(joined, "inputs masked") {
					t.Errorf("masking not reported:\n%s", joined)
				}
				for _, f := range all {
					for _, v := range typed {
						if strings.Contains(f.Field, v) {
							t.Errorf("masked recording leaked a typed value: %+v", f)
						}
					}
				}
				if strings.Contains(joined, "PT-55") {
					t.Errorf("typed value in the notes of a masked recording:\n%s", joined)
				}
				return
			}
			want := []struct {
				kind phiproxy.Kind
				path string
			}{
				{phiproxy.KindMRN, "replay:input[name=mrn]"},
				{phiproxy.KindDOB, "replay:input[name=birth]"},
				{phiproxy.KindZIP, "replay:input[name=postal]"},
				{phiproxy.KindMemberID, "replay:input[name=member_no]"},
				{phiproxy.KindCondition, "replay:body>main>h1"},
			}
			for _, w := range want {
				var got *phiproxy.Finding
				for i := range all {
					if all[i].Kind == w.kind && all[i].Path == w.path {
						got = &all[i]
					}
				}
				if got == nil {
					t.Errorf("%s at %s: not found; findings:\n%s", w.kind, w.path, describe(all))
					continue
				}
				if got.Severity != phiproxy.Critical {
					t.Errorf("%s: severity %v, want critical", w.kind, got.Severity)
				}
			}
			for _, s := range []string{"typing captured keystroke by keystroke", "records unmasked input on /book", `"Medical record number" = PT-55208817`} {
				if !strings.Contains(joined, s) {
					t.Errorf("notes lack %q:\n%s", s, joined)
				}
			}

			// Workers may inspect the segments in any order: the same
			// flows, last first, still name every field once the
			// snapshot's segment is inspected.
			reversed, err := classify.New(classify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var last phiproxy.Inspection
			for i := len(flows) - 1; i >= 0; i-- {
				last = reversed.Inspect(flows[i])
			}
			for _, w := range want[:4] {
				found := false
				for _, f := range last.Findings {
					found = found || f.Kind == w.kind && f.Path == w.path
				}
				if !found {
					t.Errorf("segments inspected last first: %s at %s not found when the snapshot arrived; findings:\n%s", w.kind, w.path, describe(last.Findings))
				}
			}
		})
	}
}

func describe(fs []phiproxy.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %q at %s (%v)\n", f.Kind, f.Term, f.Path, f.Severity)
	}
	return b.String()
}

// record opens page in Chromium, sends the snapshot as segment 0, types
// the values into their fields with real key events (two fields per
// segment), and sends segments 1 and 2.
func record(t *testing.T, p *chromium.Profile, proxyAddr, page string, typed map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chromium.DefaultPath), chromedp.NoInheritEnv, chromedp.Env(p.Env()...)}
	for _, a := range p.Args(proxyAddr) {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	opts = append(opts, chromedp.Flag("disable-features", "HttpsUpgrades,Translate,OptimizationHints,AutofillServerCommunication"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	flush := func() error {
		status, err := chromedp.Run(tab, chromedp.Evaluate[int]("flush()", chromedp.EvalAwaitPromise))
		if err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("flush: status %d", status)
		}
		return nil
	}
	typeInto := func(id, value string) error {
		_, err := chromedp.Run(tab, chromedp.SendKeys("#"+id, value))
		return err
	}
	steps := []func() error{
		func() error { _, err := chromedp.Run(tab, chromedp.Navigate(page)); return err },
		func() error {
			_, err := chromedp.Run(tab, chromedp.Poll[bool]("window.recReady === true", chromedp.WithPollingTimeout(30*time.Second)))
			return err
		},
		flush,
		func() error { return typeInto("mrn", typed["mrn"]) },
		func() error { return typeInto("dob", typed["dob"]) },
		flush,
		func() error { return typeInto("zip", typed["zip"]) },
		func() error { return typeInto("member", typed["member"]) },
		flush,
	}
	var err error
	for _, step := range steps {
		if err = step(); err != nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("driving Chromium: %v", err)
	}
}
