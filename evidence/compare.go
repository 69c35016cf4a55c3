package evidence

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/store"
)

// Files of the comparison parts of a bundle: a public contract.
const (
	// ExposureFile is a JSON array of the objects `phiproxy exposure
	// --json` prints, over the exported flows.
	ExposureFile = "exposure.json"
	// DiffFile is a JSON array of the objects `phiproxy diff --json`
	// prints.
	DiffFile = "diff.json"
	// The two sides of a diff bundle, as baseline files.
	DiffBeforeFile = "baseline-before.json"
	DiffAfterFile  = "baseline-after.json"
)

// DiffFormatVersion names the layout of a diff bundle in its manifest.
const DiffFormatVersion = "phiproxy-diff/1"

// Diff is a comparison to add to a bundle: what was compared and what
// changed.
type Diff struct {
	// Before and After name the two sides ("run 3 of phiproxy.db (crawl,
	// 2026-12-01 10:00 UTC)", "baseline ci/phi-baseline.json").
	Before, After string
	// BeforeSnapshot and AfterSnapshot are the sides themselves.
	BeforeSnapshot, AfterSnapshot compare.Snapshot
	Changes                       []compare.Change
	// FailOn are the change types that fail a build; changes of these
	// types are marked.
	FailOn []string
}

// bundleExposure dates what each vendor received over the exported flows
// (up to maxID), with pages redacted in a redacted bundle.
func bundleExposure(ctx context.Context, s *store.Store, f store.Filter, maxID int64, red *redactor) ([]compare.Exposure, error) {
	rows, err := s.Exposure(ctx, f)
	if err != nil {
		return nil, err
	}
	kept := rows[:0]
	for _, r := range rows {
		if r.FlowID <= maxID {
			kept = append(kept, r)
		}
	}
	es := compare.Exposures(kept)
	if red != nil {
		for i := range es {
			for j, p := range es[i].Pages {
				es[i].Pages[j] = red.Text(p)
			}
			es[i].Endpoint = red.Text(es[i].Endpoint)
		}
	}
	return es, nil
}

// writeJSONArray writes v (a slice) as one indented JSON array.
func writeJSONArray(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var compareFuncs = template.FuncMap{
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"fails": func(c compare.Change, types []string) bool { return c.FailsOn(types) },
}

// exposureSection is the report's "Exposure" section: since when each
// vendor received each kind of PHI. Like the inventory's, it closes the
// section before it.
var exposureSection = template.Must(template.New("exposure").Funcs(compareFuncs).Parse(`</section>
<section id="exposure">
<h2>Exposure</h2>
{{if not .}}<p>No PHI was sent to a third party in these requests.</p>{{else}}<p>Since when each receiver was sent each kind of information: the first and last request that carried it, over how many recorded runs and requests, from which pages.</p>
<table class="findings"><thead><tr><th>Receiver</th><th>Endpoint</th><th>Kind</th><th>First seen</th><th>Last seen</th><th>Runs</th><th>Requests</th><th>Pages</th><th>Severity</th></tr></thead><tbody>
{{range .}}<tr><td>{{.Vendor}}</td><td class="url mono">{{.Endpoint}}</td><td>{{.Kind}}</td><td>{{date .FirstSeen}}</td><td>{{date .LastSeen}}</td><td>{{.Runs}}</td><td>{{.Flows}}</td><td>{{len .Pages}}{{if .Pages}}<details><summary>pages</summary><ul class="plain">{{range .Pages}}<li class="url">{{.}}</li>{{end}}</ul></details>{{end}}</td><td><span class="sev sev-{{.MaxSeverity}}">{{.MaxSeverity}}</span></td></tr>
{{end}}</tbody></table>{{end}}
`))

// diffSection is the report's "Changes" section.
var diffSection = template.Must(template.New("diff").Funcs(compareFuncs).Parse(`</section>
<section id="changes">
<h2>Changes</h2>
<p>From {{.Before}}<br>to {{.After}}</p>
{{if not .Changes}}<p>No changes.</p>{{else}}<p>Changes marked ! are of a type that fails a build ({{range $i, $t := .FailOn}}{{if $i}}, {{end}}{{$t}}{{end}}); the site's own hosts never do.</p>
<table class="findings"><thead><tr><th></th><th>Receiver</th><th>Change</th><th>What</th><th>Pages</th></tr></thead><tbody>
{{$fail := .FailOn}}{{range .Changes}}<tr><td>{{if fails . $fail}}<strong>!</strong>{{end}}</td><td>{{.Vendor}} <span class="meta">({{.Party}} party)</span></td><td class="mono">{{.Change}}</td><td class="url">{{.Describe}}</td><td>{{range .Pages}}<span class="url">{{.}}</span><br>{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
`))

// WriteDiffZip writes a comparison as a zip at path: diff.json, the two
// sides as baseline files, diff.html (the Changes table as a page),
// manifest.json and SHA256SUMS. Like WriteZip, the file appears whole or
// not at all, readable by its owner only.
func WriteDiffZip(path string, d Diff, version string, now time.Time) error {
	return writeZipAtomically(path, func(zw *zip.Writer) error {
		zs := &zipSink{zw: zw, created: now.UTC().Truncate(time.Second)}
		b := &bundle{sink: zs}
		changes := d.Changes
		if changes == nil {
			changes = []compare.Change{}
		}
		if err := b.add(DiffFile, func(w io.Writer) error { return writeJSONArray(w, changes) }); err != nil {
			return err
		}
		for _, side := range []struct {
			name string
			snap compare.Snapshot
		}{{DiffBeforeFile, d.BeforeSnapshot}, {DiffAfterFile, d.AfterSnapshot}} {
			if err := b.add(side.name, func(w io.Writer) error {
				bs, err := compare.Marshal(side.snap)
				if err != nil {
					return err
				}
				_, err = w.Write(bs)
				return err
			}); err != nil {
				return err
			}
		}
		if err := b.add("diff.html", func(w io.Writer) error {
			if _, err := io.WriteString(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>phiproxy: changes</title></head><body><section>"); err != nil {
				return err
			}
			if err := diffSection.Execute(w, d); err != nil {
				return err
			}
			_, err := io.WriteString(w, "</section></body></html>\n")
			return err
		}); err != nil {
			return err
		}
		byType := map[string]int{}
		for _, c := range d.Changes {
			byType[c.Change]++
		}
		m := struct {
			Format  string         `json:"format"`
			Tool    string         `json:"tool"`
			Version string         `json:"version"`
			Created time.Time      `json:"created"`
			Before  string         `json:"before"`
			After   string         `json:"after"`
			FailOn  []string       `json:"fail_on"`
			Changes map[string]int `json:"changes"`
			Files   []FileSum      `json:"files"`
		}{DiffFormatVersion, "phiproxy", nonEmpty(version, "dev"), zs.created, d.Before, d.After, d.FailOn, byType, append([]FileSum(nil), b.files...)}
		if err := b.add(ManifestFile, func(w io.Writer) error { return writeJSONArray(w, m) }); err != nil {
			return err
		}
		return b.add(ChecksumsFile, func(w io.Writer) error { return writeChecksums(w, b.files) })
	})
}

// writeZipAtomically writes a zip through fill into a private temporary
// file beside path, then renames it to path.
func writeZipAtomically(path string, fill func(*zip.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(tmp, 256<<10)
	zw := zip.NewWriter(bw)
	if err := fill(zw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for _, step := range []func() error{zw.Close, bw.Flush, tmp.Sync, tmp.Close} {
		if err := step(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return nil
}
