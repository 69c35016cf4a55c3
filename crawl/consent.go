package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Consent states a crawl can run in.
const (
	// ConsentNone leaves the consent banner unanswered.
	ConsentNone = "none"
	// ConsentReject refuses every optional purpose before crawling on.
	ConsentReject = "reject"
	// ConsentAccept accepts every purpose.
	ConsentAccept = "accept"
	// ConsentGPC sends Global Privacy Control (Sec-GPC: 1, added by the
	// proxy, and navigator.globalPrivacyControl in every frame) and leaves
	// the banner unanswered.
	ConsentGPC = "gpc"
)

// ConsentStates is every state, in the order a matrix crawls them.
var ConsentStates = []string{ConsentNone, ConsentReject, ConsentAccept, ConsentGPC}

// ParseConsentStates reads --consent: a comma list of states, or
// "matrix" for all four.
func ParseConsentStates(s string) ([]string, error) {
	if strings.TrimSpace(s) == "matrix" {
		return append([]string(nil), ConsentStates...), nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		known := false
		for _, st := range ConsentStates {
			if part == st {
				known = true
			}
		}
		if !known {
			return nil, fmt.Errorf("consent state %q: want none, reject, accept, gpc or matrix", part)
		}
		for _, o := range out {
			if o == part {
				return nil, fmt.Errorf("consent state %q given twice", part)
			}
		}
		out = append(out, part)
	}
	return out, nil
}

// Autoconsent is DuckDuckGo's consent-banner handler as its npm package
// ships it: the content script built for browser automation and the rule
// bundle. The crawl runs the script in an isolated world of every frame
// and answers its messages over the DevTools protocol.
type Autoconsent struct {
	// Script is dist/autoconsent.playwright.js.
	Script string
	// Rules is rules/rules.json (every rule, with opt-in steps).
	Rules json.RawMessage
}

// LoadAutoconsent reads the package from dir, the folder holding its
// package.json (node_modules/@duckduckgo/autoconsent).
func LoadAutoconsent(dir string) (*Autoconsent, error) {
	script, err := os.ReadFile(filepath.Join(dir, "dist", "autoconsent.playwright.js"))
	if err != nil {
		return nil, fmt.Errorf("autoconsent: %w (install it with make deps, or point --autoconsent at the package folder)", err)
	}
	rules, err := os.ReadFile(filepath.Join(dir, "rules", "rules.json"))
	if err != nil {
		return nil, fmt.Errorf("autoconsent: %w", err)
	}
	if !json.Valid(rules) {
		return nil, fmt.Errorf("autoconsent: %s is not JSON", filepath.Join(dir, "rules", "rules.json"))
	}
	return &Autoconsent{Script: string(script), Rules: rules}, nil
}

// ConsentResult is what happened to the consent banner in one state.
type ConsentResult struct {
	State string `json:"state"`
	// CMP is the consent manager autoconsent recognised, empty when none.
	CMP string `json:"cmp,omitempty"`
	// PopupFound is set when a banner was shown.
	PopupFound bool `json:"popup_found"`
	// Action is "opt-out" or "opt-in" when the crawl answered the banner,
	// empty when it left it alone; Succeeded says whether it worked.
	Action    string `json:"action,omitempty"`
	Succeeded bool   `json:"succeeded"`
	// SelfTest is autoconsent's own check that the choice took effect
	// (for example the consent manager's cookie), nil when not run.
	SelfTest *bool `json:"self_test"`
	// TCString and GPPString are the IAB TCF and GPP consent strings the
	// page exposed (__tcfapi, __gpp) after the banner was handled.
	TCString  string `json:"tc_string,omitempty"`
	GPPString string `json:"gpp_string,omitempty"`
	// Errors lists what autoconsent reported going wrong.
	Errors []string `json:"errors,omitempty"`
}

// consentWorld is the isolated world autoconsent runs in, and
// consentBinding the binding its messages come back through.
const (
	consentWorld   = "phiproxy-autoconsent"
	consentBinding = "__phiproxyAutoconsent"
)

// consentBridgeJS gives autoconsent's content script the sender it
// expects: messages become JSON strings on the DevTools binding.
const consentBridgeJS = `(() => {
  const send = globalThis.` + consentBinding + `;
  window.autoconsentSendMessage = (msg) => { try { send(JSON.stringify(msg)); } catch (e) {} return Promise.resolve(); };
})();`

// gpcJS makes navigator.globalPrivacyControl true, in every frame, before
// the page's scripts run.
const gpcJS = `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true, enumerable: true});`

// consentStringsJS reads the IAB TCF v2 and GPP strings where the page
// offers the APIs, giving up after 2 s.
const consentStringsJS = `new Promise((resolve) => {
  const out = {tcf: '', gpp: ''};
  let pending = 0;
  const done = () => { if (--pending <= 0) resolve(out); };
  setTimeout(() => resolve(out), 2000);
  try {
    if (typeof window.__tcfapi === 'function') {
      pending++;
      window.__tcfapi('getTCData', 2, (d, ok) => { if (ok && d && d.tcString) out.tcf = String(d.tcString); done(); });
    }
  } catch (e) {}
  try {
    if (typeof window.__gpp === 'function') {
      pending++;
      const r = window.__gpp('ping', (d, ok) => { if (d && d.gppString) out.gpp = String(d.gppString); done(); });
      if (r && r.gppString) { out.gpp = String(r.gppString); }
    }
  } catch (e) {}
  if (pending === 0) resolve(out);
})`

// consentDriver runs autoconsent in the tab and keeps what it reports.
// Its message handling runs on its own goroutine: DevTools event
// listeners must not call back into the protocol.
type consentDriver struct {
	tab    context.Context
	state  string
	ac     *Autoconsent
	events chan any

	mu       sync.Mutex
	mainCtx  map[cdp.FrameID]runtime.ExecutionContextID // frame → its page world
	frameOf  map[runtime.ExecutionContextID]cdp.FrameID // autoconsent world → frame
	topFrame cdp.FrameID
	result   ConsentResult
	// lifecycle is the main frame's last reported autoconsent state.
	lifecycle string
	// selfTestScheduled is set when the answer asked for a self-test.
	selfTestScheduled bool
	changed           chan struct{} // closed and replaced on every change
}

// autoAction is autoconsent's autoAction for a state: only reject and
// accept answer the banner; the others let it detect and report.
func autoAction(state string) any {
	switch state {
	case ConsentReject:
		return "optOut"
	case ConsentAccept:
		return "optIn"
	}
	return nil
}

// startConsent prepares the tab for state: Global Privacy Control in the
// page for gpc, and autoconsent (when given) in every frame.
func (c *crawler) startConsent(ctx context.Context, state string, ac *Autoconsent) (*consentDriver, error) {
	d := &consentDriver{
		tab: c.tab, state: state, ac: ac,
		events:  make(chan any, 256),
		mainCtx: map[cdp.FrameID]runtime.ExecutionContextID{}, frameOf: map[runtime.ExecutionContextID]cdp.FrameID{},
		result: ConsentResult{State: state}, changed: make(chan struct{}),
	}
	if state == ConsentGPC {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: gpcJS}); err != nil {
			return nil, fmt.Errorf("crawl: Global Privacy Control: %w", err)
		}
	}
	if ac == nil {
		return d, nil
	}
	if err := chromedp.Listen(c.tab, d.event); err != nil {
		return nil, err
	}
	go d.run()
	if _, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: consentBinding, ExecutionContextName: consentWorld}); err != nil {
		return nil, fmt.Errorf("crawl: autoconsent binding: %w", err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: consentBridgeJS + "\n" + ac.Script, WorldName: consentWorld,
	}); err != nil {
		return nil, fmt.Errorf("crawl: autoconsent script: %w", err)
	}
	return d, nil
}

// event receives the tab's DevTools events; it only queues what matters.
func (d *consentDriver) event(ev any) {
	switch ev.(type) {
	case *runtime.EventBindingCalled, *runtime.EventExecutionContextCreated, *page.EventFrameNavigated:
		select {
		case d.events <- ev:
		default: // a flood of frames; autoconsent's retries cover a lost one
		}
	}
}

func (d *consentDriver) run() {
	for {
		select {
		case <-d.tab.Done():
			return
		case ev := <-d.events:
			switch e := ev.(type) {
			case *runtime.EventExecutionContextCreated:
				d.context(e.Context)
			case *page.EventFrameNavigated:
				if e.Frame != nil && e.Frame.ParentID == "" {
					// A new page: what the last one reported is over.
					d.mu.Lock()
					d.topFrame, d.lifecycle = e.Frame.ID, ""
					d.mu.Unlock()
				}
			case *runtime.EventBindingCalled:
				if e.Name == consentBinding {
					d.message(e.ExecutionContextID, e.Payload)
				}
			}
		}
	}
}

func (d *consentDriver) context(c *runtime.ExecutionContextDescription) {
	var aux struct {
		IsDefault bool        `json:"isDefault"`
		FrameID   cdp.FrameID `json:"frameId"`
	}
	if c == nil || json.Unmarshal(c.AuxData, &aux) != nil || aux.FrameID == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if aux.IsDefault {
		d.mainCtx[aux.FrameID] = c.ID
	} else if c.Name == consentWorld {
		d.frameOf[c.ID] = aux.FrameID
	}
}

// consentMessage is the part of autoconsent's messages the crawl reads.
type consentMessage struct {
	Type             string          `json:"type"`
	ID               string          `json:"id"`
	Code             string          `json:"code"`
	CMP              string          `json:"cmp"`
	Result           bool            `json:"result"`
	ScheduleSelfTest bool            `json:"scheduleSelfTest"`
	MainFrame        bool            `json:"mainFrame"`
	Details          json.RawMessage `json:"details"`
	State            struct {
		Lifecycle string `json:"lifecycle"`
	} `json:"state"`
}

// message handles one message from autoconsent in execution context from.
func (d *consentDriver) message(from runtime.ExecutionContextID, payload string) {
	var m consentMessage
	if json.Unmarshal([]byte(payload), &m) != nil {
		return
	}
	d.mu.Lock()
	frame := d.frameOf[from]
	isTop := frame != "" && frame == d.topFrame
	d.mu.Unlock()
	switch m.Type {
	case "init":
		cfg, _ := json.Marshal(map[string]any{
			"enabled": true, "autoAction": autoAction(d.state), "disabledCmps": []string{},
			// Hiding a banner with CSS is not an answer to it.
			"enablePrehide": false, "enableCosmeticRules": false, "enableGeneratedRules": true,
			"detectRetries": 20, "isMainWorld": false, "prehideTimeout": 2000,
			"enableHeuristicDetection": true,
			"logs":                     map[string]bool{"lifecycle": false, "rulesteps": false, "detectionsteps": false, "evals": false, "errors": false, "messages": false, "waits": false},
		})
		d.reply(from, fmt.Sprintf(`autoconsentReceiveMessage({type: "initResp", config: %s, rules: {autoconsent: (%s).autoconsent}})`, cfg, d.ac.Rules))
	case "eval":
		// Rules that need the page's own objects run in its main world.
		d.mu.Lock()
		main := d.mainCtx[frame]
		d.mu.Unlock()
		var result any = false
		if main != 0 {
			ctx, cancel := context.WithTimeout(d.tab, 5*time.Second)
			yes := true
			res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: m.Code, ContextID: main, ReturnByValue: &yes, AwaitPromise: &yes})
			cancel()
			if err == nil && res.Result != nil && len(res.Result.Value) > 0 {
				result = res.Result.Value
			}
		}
		id, _ := json.Marshal(m.ID)
		r, _ := json.Marshal(result)
		d.reply(from, fmt.Sprintf(`autoconsentReceiveMessage({id: %s, type: "evalResp", result: %s})`, id, r))
	case "cmpDetected":
		d.update(func(r *ConsentResult) {
			if r.CMP == "" || isTop {
				r.CMP = m.CMP
			}
		})
	case "popupFound":
		d.update(func(r *ConsentResult) { r.PopupFound, r.CMP = true, m.CMP })
	case "optOutResult", "optInResult":
		d.update(func(r *ConsentResult) {
			r.Action = map[string]string{"optOutResult": "opt-out", "optInResult": "opt-in"}[m.Type]
			r.Succeeded = m.Result
		})
		if m.Result && m.ScheduleSelfTest {
			d.mu.Lock()
			d.selfTestScheduled = true
			d.mu.Unlock()
			d.reply(from, `autoconsentReceiveMessage({type: "selfTest"})`)
		}
	case "selfTestResult":
		ok := m.Result
		d.update(func(r *ConsentResult) { r.SelfTest = &ok })
	case "autoconsentError":
		if len(m.Details) > 0 {
			d.update(func(r *ConsentResult) {
				if len(r.Errors) < 10 {
					r.Errors = append(r.Errors, clipString(string(m.Details), 300))
				}
			})
		}
	case "report":
		if m.MainFrame {
			d.mu.Lock()
			d.lifecycle = m.State.Lifecycle
			d.mu.Unlock()
			d.update(func(*ConsentResult) {})
		}
	}
}

// reply evaluates js in autoconsent's world of the frame it spoke from.
func (d *consentDriver) reply(to runtime.ExecutionContextID, js string) {
	ctx, cancel := context.WithTimeout(d.tab, 10*time.Second)
	defer cancel()
	chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: js, ContextID: to})
}

func (d *consentDriver) update(fn func(*ConsentResult)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn(&d.result)
	close(d.changed)
	d.changed = make(chan struct{})
}

// settled reports whether the main frame's banner handling is over for
// this state: nothing to do, or the answer (and its self-test) is in.
func (d *consentDriver) settledLocked() bool {
	switch d.lifecycle {
	case "nothingDetected", "optOutFailed", "optInFailed", "done":
		return true
	case "optOutSucceeded", "optInSucceeded":
		return !d.selfTestScheduled || d.result.SelfTest != nil
	case "cmpDetected":
		// Left alone in none and gpc: detecting it is all there is. In
		// reject and accept, once the banner is answered, later pages
		// show the manager without a banner.
		return autoAction(d.state) == nil || d.result.Action != ""
	case "openPopupDetected":
		return autoAction(d.state) == nil
	}
	return false
}

// wait blocks until the banner handling settles, ctx ends or limit
// passes, whichever comes first.
func (d *consentDriver) wait(ctx context.Context, limit time.Duration) {
	if d.ac == nil {
		return
	}
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		d.mu.Lock()
		done, changed := d.settledLocked(), d.changed
		d.mu.Unlock()
		if done {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// finish reads the page's consent strings and returns the result.
func (d *consentDriver) finish(c *crawler) ConsentResult {
	type consentStrings struct {
		TCF string `json:"tcf"`
		GPP string `json:"gpp"`
	}
	if d.state != "" {
		var s consentStrings
		err := c.step(func(ctx context.Context) error {
			var err error
			s, err = chromedp.Run(ctx, chromedp.Evaluate[consentStrings](consentStringsJS, chromedp.EvalAwaitPromise))
			return err
		})
		if err == nil {
			d.update(func(r *ConsentResult) { r.TCString, r.GPPString = s.TCF, s.GPP })
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.result
}

// errNoAutoconsent is returned when a state that answers banners has no
// autoconsent to do it with.
var errNoAutoconsent = errors.New("crawl: the reject and accept consent states need autoconsent (Config.Autoconsent)")

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
