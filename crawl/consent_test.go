package crawl_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/crawl"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// npmDir is where make deps installs autoconsent and the consent manager
// the tests serve.
const npmDir = "../tools/autoconsent/node_modules"

func TestConsentStates(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	testenv.File(t, filepath.Join(npmDir, "vanilla-cookieconsent/dist/cookieconsent.umd.js"))
	testenv.File(t, filepath.Join(npmDir, "@duckduckgo/autoconsent/dist/autoconsent.playwright.js"))
	ac, err := crawl.LoadAutoconsent(filepath.Join(npmDir, "@duckduckgo/autoconsent"))
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range crawl.ConsentStates {
		t.Run(state, func(t *testing.T) {
			site := chromiumtest.NewConsentSite(t, npmDir)
			proxy := chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
				Resolve: site.Resolve(), Roots: site.Roots, PageTrafficOnly: true, OnFlow: func(*phiproxy.Flow) {},
			})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			sum, err := crawl.Run(ctx, crawl.Config{
				ProxyAddr: proxy.Addr, CAPEM: proxy.CAPEM, Quiet: 500 * time.Millisecond, PageTimeout: 20 * time.Second, Depth: -1,
				Consent: state, Autoconsent: ac,
			}, []string{"https://" + chromiumtest.ConsentSiteHost + "/"})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			res := sum.Consent
			if res == nil {
				t.Fatal("no consent result")
			}
			t.Logf("%s: %+v", state, *res)
			if res.TCString != chromiumtest.ConsentTCString || res.GPPString != chromiumtest.ConsentGPPString {
				t.Errorf("consent strings: got TCF %q GPP %q, want the page's %q and %q", res.TCString, res.GPPString, chromiumtest.ConsentTCString, chromiumtest.ConsentGPPString)
			}
			if res.State != state || res.CMP != "cookieconsent3" || !res.PopupFound {
				t.Errorf("consent result: got state %q CMP %q popup %v, want %q, cookieconsent3, a popup", res.State, res.CMP, res.PopupFound, state)
			}
			good := site.Requests(chromiumtest.ConsentGoodHost + "/collect")
			bad := site.Requests(chromiumtest.ConsentBadHost + "/tr?ev=PageView")
			if len(bad) == 0 {
				t.Errorf("the pixel that ignores consent did not fire; requests: %v", site.Requests(""))
			}
			switch state {
			case crawl.ConsentAccept:
				// autoconsent self-tests opt-outs; an opt-in it may leave untested.
				if res.Action != "opt-in" || !res.Succeeded || (res.SelfTest != nil && !*res.SelfTest) {
					t.Errorf("accept: got action %q succeeded %v self-test %v, want opt-in, true, not false", res.Action, res.Succeeded, res.SelfTest)
				}
				if len(good) == 0 {
					t.Error("accept: the analytics that waits for consent never loaded")
				}
			case crawl.ConsentReject:
				if res.Action != "opt-out" || !res.Succeeded || res.SelfTest == nil || !*res.SelfTest {
					t.Errorf("reject: got action %q succeeded %v self-test %v, want opt-out, true, true", res.Action, res.Succeeded, res.SelfTest)
				}
				fallthrough
			default:
				if len(good) != 0 {
					t.Errorf("%s: the analytics that waits for consent loaded: %v", state, good)
				}
			}
			if (state == crawl.ConsentNone || state == crawl.ConsentGPC) && res.Action != "" {
				t.Errorf("%s: the banner was answered (%s)", state, res.Action)
			}
			// navigator.globalPrivacyControl, in the page and its frame.
			wantGPC := "gpc=undefined"
			if state == crawl.ConsentGPC {
				wantGPC = "gpc=true"
			}
			frame := site.Requests(chromiumtest.ConsentBadHost + "/tr?frame=1")
			if len(frame) == 0 {
				t.Errorf("%s: the iframe's pixel did not fire", state)
			}
			for _, r := range append(bad, frame...) {
				if !strings.Contains(r.URL, wantGPC) {
					t.Errorf("%s: pixel %s, want %s", state, r.URL, wantGPC)
				}
			}
		})
	}
}
