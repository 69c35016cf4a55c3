package crawl

import (
	"regexp"
	"strings"

	"github.com/phiproxy/phiproxy/classify/persona"
)

// Limits on what one page may make the crawler do, so a page with
// thousands of inputs or buttons cannot stall the crawl.
const (
	maxFields  = 200
	maxButtons = 100
	maxClicks  = 10
	maxOptions = 300
)

// field describes a form control as the page shows it, collected by
// collectFieldsJS.
type field struct {
	Index        int      `json:"index"`
	Tag          string   `json:"tag"`  // "input", "textarea", "select"
	Type         string   `json:"type"` // input type attribute, lower-case
	Name         string   `json:"name"`
	ID           string   `json:"id"`
	Autocomplete string   `json:"autocomplete"`
	Placeholder  string   `json:"placeholder"`
	Aria         string   `json:"aria"`
	Label        string   `json:"label"`
	Usable       bool     `json:"usable"` // visible, enabled, writable
	Required     bool     `json:"required"`
	Options      []option `json:"options"`
}

type option struct {
	Value string `json:"value"`
	Text  string `json:"text"`
}

// fill is what to do with one control.
type fill struct {
	Index int    `json:"index"`
	Value string `json:"value"`
	// Check ticks a checkbox instead of setting a value.
	Check bool `json:"check"`
}

// collectFieldsJS lists the page's form controls, in document order, with
// everything that says what they are for.
const collectFieldsJS = `(() => {
  const els = document.querySelectorAll('input, textarea, select');
  const out = [];
  for (let i = 0; i < els.length && i < ` + "200" + `; i++) {
    const el = els[i];
    const st = getComputedStyle(el);
    let label = '';
    try { if (el.labels) label = Array.from(el.labels).map(l => l.innerText || l.textContent || '').join(' '); } catch (e) {}
    const type = (el.getAttribute('type') || '').toLowerCase();
    out.push({
      index: i,
      tag: el.tagName.toLowerCase(),
      type: type,
      name: String(el.getAttribute('name') || ''),
      id: String(el.id || ''),
      autocomplete: String(el.getAttribute('autocomplete') || ''),
      placeholder: String(el.getAttribute('placeholder') || ''),
      aria: String(el.getAttribute('aria-label') || ''),
      label: label.trim().slice(0, 200),
      usable: !el.disabled && !el.readOnly && type !== 'hidden' && st.display !== 'none' && st.visibility !== 'hidden',
      required: !!el.required,
      options: el.tagName === 'SELECT' ? Array.from(el.options).slice(0, 300).map(o => ({value: String(o.value), text: String(o.text || '').trim()})) : [],
    });
  }
  return out;
})()`

// fillFieldsJS sets the values with the native setters (so frameworks
// that wrap the value property see the change) and dispatches input and
// change events, as typing would. %s is a JSON array of fill.
const fillFieldsJS = `((fills) => {
  const els = document.querySelectorAll('input, textarea, select');
  let n = 0;
  for (const f of fills) {
    const el = els[f.index];
    if (!el) continue;
    try {
      if (el.focus) el.focus();
      if (f.check) {
        if (!el.checked) el.click();
      } else {
        const proto = el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : el.tagName === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
        Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, f.value);
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true}));
      }
      if (el.blur) el.blur();
      n++;
    } catch (e) {}
  }
  return n;
})(%s)`

// button describes a clickable control, collected by collectButtonsJS.
type button struct {
	Index  int    `json:"index"`
	Text   string `json:"text"`
	Usable bool   `json:"usable"`
}

// buttonTextJS is the text a person reads on a button: its label, else
// its value, accessible name or tooltip, else its name or id.
const buttonTextJS = `(el) => String([el.innerText, el.value, el.getAttribute('aria-label'), el.title, el.getAttribute('name'), el.id].find(s => s && String(s).trim()) || '').trim().replace(/\s+/g, ' ').slice(0, 200)`

const buttonSelector = `button, input[type=submit], input[type=button], input[type=image], [role=button]`

// collectButtonsJS lists the page's buttons with the text a person would
// read on them.
const collectButtonsJS = `(() => {
  const textOf = ` + buttonTextJS + `;
  const els = document.querySelectorAll('` + buttonSelector + `');
  const out = [];
  for (let i = 0; i < els.length && i < 100; i++) {
    const el = els[i];
    const st = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    out.push({index: i, text: textOf(el), usable: !el.disabled && st.display !== 'none' && st.visibility !== 'hidden' && (r.width > 0 || r.height > 0)});
  }
  return out;
})()`

// clickButtonJS clicks the button at an index if its text still matches,
// so a page that re-rendered between collecting and clicking is not
// clicked blindly. %d is the index, %s the expected text as JSON.
const clickButtonJS = `((i, text) => {
  const els = document.querySelectorAll('` + buttonSelector + `');
  let el = els[i];
  const textOf = ` + buttonTextJS + `;
  if (!el || textOf(el) !== text) {
    el = Array.from(els).find(e => textOf(e) === text);
  }
  if (!el) return false;
  el.click();
  return true;
})(%d, %s)`

// forbiddenClick matches button texts a crawl must never click: spending
// money, destroying data, ending the session or consent. Words are matched
// from their start ("Payment", "Ordering", "Removing") but not inside
// other words ("Display", "Reorder").
var forbiddenClick = regexp.MustCompile(`(?i)\b(pay|purchas|buy|check ?out|order|delet|remov|cancel|unsubscrib|log ?out|log ?off|sign ?out)`)

// clickable returns the buttons to click, in page order, at most maxClicks.
func clickable(buttons []button) []button {
	var out []button
	for _, b := range buttons {
		if !b.Usable || strings.TrimSpace(b.Text) == "" || forbiddenClick.MatchString(spaceSeparators(b.Text)) {
			continue
		}
		out = append(out, b)
		if len(out) == maxClicks {
			break
		}
	}
	return out
}

// spaceSeparators turns identifier separators into spaces so that
// "btn_delete" and "cancelButton" are read as words.
func spaceSeparators(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r == '_' || r == '-' || r == '.':
			b.WriteByte(' ')
			prevLower = false
			continue
		case r >= 'A' && r <= 'Z' && prevLower:
			b.WriteByte(' ')
		}
		prevLower = r >= 'a' && r <= 'z'
		b.WriteRune(r)
	}
	return b.String()
}

// personaKey names which persona value a control wants.
type personaKey int

const (
	keyNone personaKey = iota
	keyEmail
	keyPhone
	keyFirstName
	keyLastName
	keyFullName
	keyDOB
	keyAddress
	keyCity
	keyState
	keyZIP
	keyMRN
	keyMemberID
	keyFreeText
)

// autocompleteKeys maps the HTML autocomplete tokens to persona keys.
var autocompleteKeys = map[string]personaKey{
	"email": keyEmail, "tel": keyPhone, "tel-national": keyPhone,
	"given-name": keyFirstName, "family-name": keyLastName, "name": keyFullName,
	"bday": keyDOB, "street-address": keyAddress, "address-line1": keyAddress,
	"address-level2": keyCity, "address-level1": keyState, "postal-code": keyZIP,
}

// hintRules map words in a control's name, id, label, placeholder or
// aria-label to persona keys. Order matters: the first match wins, so the
// specific rules ("email address", "first name") come before the generic
// ones ("address", "name").
var hintRules = []struct {
	re  *regexp.Regexp
	key personaKey
}{
	{regexp.MustCompile(`e ?mail`), keyEmail},
	{regexp.MustCompile(`\b(mrn|medical record|patient id|chart number)`), keyMRN},
	{regexp.MustCompile(`\b(member|subscriber|policy|insurance) ?(id|number|no)\b|\bmember\b`), keyMemberID},
	{regexp.MustCompile(`\b(phone|tel|telephone|mobile|cell)\b`), keyPhone},
	{regexp.MustCompile(`\b(first|given|fname|forename)\b|\bfirst ?name\b`), keyFirstName},
	{regexp.MustCompile(`\b(last|family|surname|lname)\b|\blast ?name\b`), keyLastName},
	{regexp.MustCompile(`\b(dob|bday|birth|birthday|birthdate|date of birth)\b|birth`), keyDOB},
	{regexp.MustCompile(`\b(zip|postal|postcode|zipcode)\b|zip ?code|postal ?code`), keyZIP},
	{regexp.MustCompile(`\bcity\b|\btown\b`), keyCity},
	{regexp.MustCompile(`\b(state|province|region)\b`), keyState},
	// A second address line, and names of things other than the person,
	// are left empty rather than given a wrong value.
	{regexp.MustCompile(`address ?(line)? ?2\b|\b(apt|apartment|suite|unit)\b`), keyNone},
	{regexp.MustCompile(`\b(street|address|addr)\b|address ?line`), keyAddress},
	{regexp.MustCompile(`\b(company|organi[sz]ation|business|practice|clinic|user ?name|login)\b`), keyNone},
	{regexp.MustCompile(`\b(full ?name|your name|patient name|name)\b`), keyFullName},
}

// keyFor decides which persona value a control wants from its type,
// autocomplete token, and the words around it.
func keyFor(f field) personaKey {
	switch f.Type {
	case "email":
		return keyEmail
	case "tel":
		return keyPhone
	case "date":
		// Most date inputs on health forms outside appointment pickers
		// are the date of birth; only fill one the words confirm.
		if k := keyFromWords(f); k == keyDOB {
			return k
		}
		return keyNone
	}
	for _, tok := range strings.Fields(strings.ToLower(f.Autocomplete)) {
		if k, ok := autocompleteKeys[tok]; ok {
			return k
		}
	}
	if k := keyFromWords(f); k != keyNone {
		return k
	}
	if f.Tag == "textarea" {
		return keyFreeText
	}
	return keyNone
}

func keyFromWords(f field) personaKey {
	words := strings.ToLower(spaceSeparators(strings.Join([]string{f.Name, f.ID, f.Label, f.Placeholder, f.Aria}, " ")))
	for _, r := range hintRules {
		if r.re.MatchString(words) {
			return r.key
		}
	}
	return keyNone
}

// textTypes are the input types that take free text; other inputs
// (number, range, color, file, password, search...) are left alone.
var textTypes = map[string]bool{"": true, "text": true, "email": true, "tel": true, "date": true}

// plan decides what to type into each control.
func plan(fields []field, p *persona.Persona) []fill {
	if p == nil {
		return nil
	}
	var out []fill
	for _, f := range fields {
		if !f.Usable {
			continue
		}
		switch {
		case f.Tag == "input" && f.Type == "checkbox":
			// Required boxes ("I agree to the terms") block submission.
			if f.Required {
				out = append(out, fill{Index: f.Index, Check: true})
			}
			continue
		case f.Tag == "input" && !textTypes[f.Type]:
			continue
		}
		v := valueFor(keyFor(f), p)
		if v == "" {
			continue
		}
		if f.Tag == "select" {
			if v = matchOption(f.Options, v); v == "" {
				continue
			}
		}
		out = append(out, fill{Index: f.Index, Value: v})
	}
	return out
}

func valueFor(k personaKey, p *persona.Persona) string {
	switch k {
	case keyEmail:
		return p.Email
	case keyPhone:
		return p.Phone
	case keyFirstName:
		return p.FirstName
	case keyLastName:
		return p.LastName
	case keyFullName:
		return strings.TrimSpace(p.FirstName + " " + p.LastName)
	case keyDOB:
		return p.DOB
	case keyAddress:
		return p.Address
	case keyCity:
		return p.City
	case keyState:
		return p.State
	case keyZIP:
		return p.ZIP
	case keyMRN:
		return p.MRN
	case keyMemberID:
		return p.MemberID
	case keyFreeText:
		if len(p.FreeText) > 0 {
			return p.FreeText[0]
		}
	}
	return ""
}

// matchOption returns the value of the option whose value or text equals
// want (case-insensitive), or "".
func matchOption(opts []option, want string) string {
	for _, o := range opts {
		if strings.EqualFold(o.Value, want) || strings.EqualFold(o.Text, want) {
			return o.Value
		}
	}
	return ""
}
