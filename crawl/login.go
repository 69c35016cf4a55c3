package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// PhaseLogin is reported to Config.Phase while the crawl signs in.
const PhaseLogin = "login"

// Login signs a crawl in through a site's login form before the seeds
// are visited.
type Login struct {
	// URL is the page with the login form.
	URL string
	// User is typed into the username or email field.
	User string
	// Password is typed into the password field. The crawl never reports
	// it; the caller must keep it out of what it stores (see
	// phiproxy.Flow.RedactSecret).
	Password string
}

// loginForm is where findLoginJS found the form's parts: indexes into
// the page's input, textarea and select controls (as fillFieldsJS counts
// them), -1 when absent.
type loginForm struct {
	User     int `json:"user"`
	Password int `json:"password"`
}

// findLoginJS finds the first visible password field and, in its form
// (or, without a form, before it in the page), the username field: the
// one whose autocomplete says username or email, else an email input,
// else one whose name, id or label says user, email or login, else the
// last text input before the password.
const findLoginJS = `(() => {
  const els = Array.from(document.querySelectorAll('input, textarea, select'));
  const visible = (el) => { const st = getComputedStyle(el); const r = el.getBoundingClientRect(); return !el.disabled && st.display !== 'none' && st.visibility !== 'hidden' && (r.width > 0 || r.height > 0); };
  const pw = els.findIndex(el => el.tagName === 'INPUT' && (el.type || '').toLowerCase() === 'password' && visible(el));
  if (pw < 0) return {user: -1, password: -1};
  const form = els[pw].form;
  const candidates = els.map((el, i) => ({el, i})).filter(({el, i}) => i !== pw && el.tagName === 'INPUT' && visible(el) &&
    ['', 'text', 'email', 'tel'].includes((el.getAttribute('type') || '').toLowerCase()) && (form ? el.form === form : i < pw));
  const words = (el) => [el.name, el.id, el.getAttribute('placeholder'), el.getAttribute('aria-label'), el.labels ? Array.from(el.labels).map(l => l.textContent).join(' ') : ''].join(' ').toLowerCase();
  const pick = candidates.find(({el}) => /\b(username|email)\b/.test((el.getAttribute('autocomplete') || '').toLowerCase()))
    || candidates.find(({el}) => (el.getAttribute('type') || '').toLowerCase() === 'email')
    || candidates.find(({el}) => /user|e-?mail|login|account/.test(words(el)))
    || candidates.filter(({i}) => i < pw).pop();
  return {user: pick ? pick.i : -1, password: pw};
})()`

// submitLoginJS submits the password field's form the way a person would:
// a click on its submit button, else the form's own submission, else a
// click on the first button near the field. %d is the password index.
const submitLoginJS = `((pw) => {
  const el = document.querySelectorAll('input, textarea, select')[pw];
  if (!el) return false;
  const form = el.form;
  if (form) {
    const btn = form.querySelector('button[type=submit], input[type=submit], button:not([type]), input[type=image]');
    if (btn) { btn.click(); return true; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }
  const btn = (el.closest('div, section, main, body') || document.body).querySelector('button, input[type=submit], [role=button]');
  if (btn) { btn.click(); return true; }
  return false;
})(%d)`

// loginStateJS reports whether the document has finished loading, where
// it is, and whether it shows a password field. A document still loading
// (the blank one a submission navigates through, or the next page before
// its form is parsed) says nothing about the login.
const loginStateJS = `({
  complete: document.readyState === 'complete',
  url: String(location.href),
  password: Array.from(document.querySelectorAll('input[type=password]')).some(el => { const st = getComputedStyle(el); const r = el.getBoundingClientRect(); return st.display !== 'none' && st.visibility !== 'hidden' && (r.width > 0 || r.height > 0); }),
})`

// loginState is what loginStateJS reports.
type loginState struct {
	Complete bool   `json:"complete"`
	URL      string `json:"url"`
	Password bool   `json:"password"`
}

// signIn opens the login page, fills the form, submits it and checks that
// it worked: the password field is gone, or the browser is on another
// page and holds a cookie it did not hold before.
func (c *crawler) signIn(l *Login) error {
	res := PageResult{URL: l.URL}
	c.phase(l.URL, PhaseLogin)
	if err := c.load(l.URL, &res); err != nil {
		return fmt.Errorf("crawl: login page %s: %s", l.URL, loadError(err, c.cfg.PageTimeout))
	}
	form, err := evaluate[loginForm](c, findLoginJS)
	if err != nil {
		return fmt.Errorf("crawl: login page %s: %w", l.URL, err)
	}
	if form.Password < 0 {
		return fmt.Errorf("crawl: login page %s has no visible password field", l.URL)
	}
	if form.User < 0 {
		return fmt.Errorf("crawl: login page %s has no username or email field beside its password field", l.URL)
	}
	before, err := c.cookieNames()
	if err != nil {
		return err
	}
	fills, _ := json.Marshal([]fill{{Index: form.User, Value: l.User}, {Index: form.Password, Value: l.Password}})
	if n, err := evaluate[int](c, fmt.Sprintf(fillFieldsJS, fills)); err != nil || n != 2 {
		return fmt.Errorf("crawl: login page %s: could not fill the form (%d of 2 fields, %v)", l.URL, n, err)
	}
	if ok, err := evaluate[bool](c, fmt.Sprintf(submitLoginJS, form.Password)); err != nil || !ok {
		return fmt.Errorf("crawl: login page %s: found no way to submit the form (%v)", l.URL, err)
	}
	// From the submission on, the browser holds whatever session the site
	// gives: the page it lands on is the signed-in user's. (If signing in
	// fails, the crawl ends with an error.)
	c.signedIn()
	// The answer may take a while on a loaded machine or a slow portal:
	// look again until it shows, for at most signInWait.
	deadline := time.Now().Add(min(signInWait, c.cfg.PageTimeout))
	for {
		c.settle(&res, "after signing in")
		if st, err := evaluate[loginState](c, loginStateJS); err == nil && st.Complete && st.URL != "about:blank" {
			if !st.Password {
				return nil
			}
			left := !sameURL(st.URL, l.URL)
			if after, err := c.cookieNames(); err == nil && hasNew(before, after) && left {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("crawl: signing in did not work: the login form is still shown (check the user, the password and --login-url)")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// signInWait bounds how long the crawl waits for a login to show.
const signInWait = 10 * time.Second

// sameURL compares two URLs in their normalised form.
func sameURL(a, b string) bool {
	ua, errA := normalizeURL(a)
	ub, errB := normalizeURL(b)
	return errA == nil && errB == nil && ua.String() == ub.String()
}

// hasNew reports whether after holds a name before does not.
func hasNew(before, after []string) bool {
	for _, n := range after {
		if !slices.Contains(before, n) {
			return true
		}
	}
	return false
}

// cookieNames lists the names of every cookie the browser holds.
func (c *crawler) cookieNames() ([]string, error) {
	var names []string
	err := c.step(func(ctx context.Context) error {
		res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			return err
		}
		for _, ck := range res.Cookies {
			names = append(names, ck.Domain+"\x00"+ck.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("crawl: read cookies: %w", err)
	}
	return names, nil
}
