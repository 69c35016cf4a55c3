// Package evidence writes evidence bundles: the selected flows of a
// phiproxy database as files a compliance team can archive and open in the
// tools they already use.
//
// A bundle (a zip, or a folder) holds:
//
//	evidence.har    HAR 1.2 (Chrome DevTools, Firefox, mitmproxy import it),
//	                with a custom "_phiproxy" record of findings per entry
//	findings.json   a JSON array of store.FindingRow, most severe first
//	findings.csv    the same rows, a header line of the JSON names
//	report.html     one self-contained, printable page for non-engineers
//	inventory.json  what the pages loaded and kept, per vendor (a JSON
//	                array of inventory items)
//	exposure.json   since when each vendor received each PHI kind
//	diff.json       with Options.Diff: what changed between two runs
//	flows.pcap      the decrypted exchanges as synthetic TCP streams
//	manifest.json   tool version, selection, counts, and the SHA-256 of
//	                every other file
//	SHA256SUMS      `sha256sum -c` input covering every file
//
// Every pass over the database streams one flow at a time, so memory does
// not grow with the number of flows.
//
// A redacted bundle (Options.Redact) is checked with classify/decode, the
// pure decoder the inspector uses: every carrier is decoded through the
// same layers a reader of the bundle could undo (see carrier.go).
package evidence

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/store"
)

// ErrEmptySelection is returned when the filter selects no flow; nothing is
// written then.
var ErrEmptySelection = errors.New("no flows match the selection")

// FormatVersion names the bundle layout in the manifest; it changes when a
// file is added, removed or changes meaning.
const FormatVersion = "phiproxy-evidence/3"

// File names inside a bundle: a public contract.
const (
	HARFile          = "evidence.har"
	FindingsJSONFile = "findings.json"
	FindingsCSVFile  = "findings.csv"
	ReportFile       = "report.html"
	PCAPFile         = "flows.pcap"
	ManifestFile     = "manifest.json"
	ChecksumsFile    = "SHA256SUMS"
)

// Options says what to export and what to record about it.
type Options struct {
	// Filter selects the flows; its zero value selects every flow.
	// Findings below Filter.MinSeverity are left out of every file.
	Filter store.Filter
	// Redact replaces every matched value by "[kind:hash]" in every file,
	// and every carrier that decodes to one (a base64 beacon, a gzip body,
	// a cookie...), as well as values under keys that name a person
	// identifier (see Manifest.Redaction for what exactly is covered).
	Redact bool
	// Operator and Note are recorded as given in the manifest and report.
	Operator, Note string
	// Version is the tool version written to the manifest and HAR creator;
	// empty means "dev".
	Version string
	// CAFingerprint is the SHA-256 fingerprint of the interception CA, when
	// known.
	CAFingerprint string
	// Now stamps the bundle; nil means time.Now.
	Now func() time.Time
	// Diff, if set, adds diff.json and a Changes section to the report.
	Diff *Diff
}

// Manifest describes a bundle. It is written as manifest.json; its field
// names are a public contract.
type Manifest struct {
	Format        string    `json:"format"`
	Tool          string    `json:"tool"`
	Version       string    `json:"version"`
	Created       time.Time `json:"created"`
	Operator      string    `json:"operator"`
	Note          string    `json:"note"`
	CAFingerprint string    `json:"ca_fingerprint"`
	// Capture is the time span of the selected flows.
	Capture   TimeRange `json:"capture"`
	Selection Selection `json:"selection"`
	Counts    Counts    `json:"counts"`
	Redacted  bool      `json:"redacted"`
	// Redaction says what a redacted bundle replaced; empty otherwise.
	Redaction string `json:"redaction,omitempty"`
	// PCAP says how flows.pcap was synthesised (TLS removed).
	PCAP string `json:"pcap"`
	// Files lists every file of the bundle but manifest.json and
	// SHA256SUMS (which covers all of them) with its size and SHA-256, in
	// the order written.
	Files []FileSum `json:"files"`
}

// TimeRange is a closed span of time; both ends are zero when unknown.
type TimeRange struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Selection is the store.Filter a bundle was made with.
type Selection struct {
	IDs         []int64           `json:"ids,omitempty"`
	MinSeverity phiproxy.Severity `json:"min_severity"`
	Flagged     bool              `json:"flagged"`
	Host        string            `json:"host,omitempty"`
	Vendor      string            `json:"vendor,omitempty"`
	Kind        phiproxy.Kind     `json:"kind,omitempty"`
	Text        string            `json:"text,omitempty"`
	AfterID     int64             `json:"after_id,omitempty"`
	Limit       int               `json:"limit,omitempty"`
	// MaxID is the highest flow ID exported: flows saved while the bundle
	// was written are left out, so every file covers the same flows.
	MaxID int64 `json:"max_id"`
}

func selectionOf(f store.Filter) Selection {
	return Selection{IDs: f.IDs, MinSeverity: f.MinSeverity, Flagged: f.Flagged, Host: f.Host, Vendor: f.Vendor,
		Kind: f.Kind, Text: f.Text, AfterID: f.AfterID, Limit: f.Limit}
}

// describe renders the selection in words for the report.
func (s Selection) describe() string {
	var parts []string
	if len(s.IDs) > 0 {
		ids := make([]string, len(s.IDs))
		for i, id := range s.IDs {
			ids[i] = fmt.Sprint(id)
		}
		parts = append(parts, "requests "+strings.Join(ids, ", "))
	}
	if s.Flagged || s.MinSeverity > phiproxy.Info {
		parts = append(parts, "requests with findings of severity "+s.MinSeverity.String()+" or higher")
	}
	if s.Host != "" {
		parts = append(parts, "sent to "+s.Host+" or its subdomains")
	}
	if s.Vendor != "" {
		parts = append(parts, "receiver name containing "+fmt.Sprintf("%q", s.Vendor))
	}
	if s.Kind != "" {
		parts = append(parts, "with a finding of kind "+kindName(s.Kind))
	}
	if s.Text != "" {
		parts = append(parts, "matching "+fmt.Sprintf("%q", s.Text))
	}
	if s.AfterID > 0 {
		parts = append(parts, fmt.Sprintf("after request %d", s.AfterID))
	}
	if s.Limit > 0 {
		parts = append(parts, fmt.Sprintf("at most %d requests", s.Limit))
	}
	if len(parts) == 0 {
		return "every recorded request"
	}
	return strings.Join(parts, "; ")
}

// Counts are totals over the bundle. The severity maps are keyed by
// severity name ("high") and leave out severities with no flow or finding;
// a flow counts under the highest severity of its exported findings.
type Counts struct {
	Flows              int            `json:"flows"`
	Findings           int            `json:"findings"`
	WebSocketMessages  int            `json:"websocket_messages"`
	FlowsBySeverity    map[string]int `json:"flows_by_severity"`
	FindingsBySeverity map[string]int `json:"findings_by_severity"`
}

// FileSum is one file of a bundle.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// fileSink receives the files of a bundle, one at a time.
type fileSink interface {
	// create opens the next file; the previous one is complete.
	create(name string) (io.Writer, error)
	// finish completes the last file.
	finish() error
}

// WriteZip writes a bundle as a zip file at path. The file appears
// complete or not at all (written to a temporary file in the same folder,
// then renamed) and is readable by its owner only (0600).
func WriteZip(ctx context.Context, s *store.Store, path string, opts Options) (*Manifest, error) {
	if err := checkSelection(ctx, s, opts.Filter); err != nil {
		return nil, err
	}
	var m *Manifest
	err := writeZipAtomically(path, func(zw *zip.Writer) error {
		var err error
		m, err = writeBundle(ctx, s, &zipSink{zw: zw}, filepath.Dir(path), opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("evidence bundle: %w", err)
	}
	return m, nil
}

// WriteDir writes a bundle as files in dir. dir must not exist or be
// empty; it is created 0700 with files 0600. The files are written into a
// temporary sibling folder renamed to dir at the end, so dir appears
// complete or not at all.
func WriteDir(ctx context.Context, s *store.Store, dir string, opts Options) (*Manifest, error) {
	if err := checkSelection(ctx, s, opts.Filter); err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("write evidence bundle %s: folder is not empty", dir)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create evidence folder %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create evidence folder %s: %w", dir, err)
	}
	ds := &dirSink{dir: tmp}
	m, err := writeBundle(ctx, s, ds, filepath.Dir(dir), opts)
	if err != nil {
		return nil, fmt.Errorf("write evidence bundle %s: %w", dir, err)
	}
	// rename(2) replaces an empty folder; a folder that gained files since
	// the check above makes it fail rather than mix bundles.
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("write evidence bundle %s: %w", dir, err)
	}
	done = true
	return m, nil
}

func checkSelection(ctx context.Context, s *store.Store, f store.Filter) error {
	n, err := s.CountFlows(ctx, f)
	if err != nil {
		return fmt.Errorf("count selected flows: %w", err)
	}
	if n == 0 {
		return ErrEmptySelection
	}
	return nil
}

type zipSink struct {
	zw      *zip.Writer
	created time.Time
}

func (z *zipSink) create(name string) (io.Writer, error) {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.created}
	h.SetMode(0o600)
	w, err := z.zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", name, err)
	}
	return w, nil
}

func (z *zipSink) finish() error { return nil }

type dirSink struct {
	dir string
	f   *os.File
	bw  *bufio.Writer
}

func (d *dirSink) create(name string) (io.Writer, error) {
	if err := d.finish(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(d.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	d.f, d.bw = f, bufio.NewWriterSize(f, 256<<10)
	return d.bw, nil
}

func (d *dirSink) finish() error {
	if d.f == nil {
		return nil
	}
	f := d.f
	d.f = nil
	if err := d.bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return nil
}

// hashingWriter counts and hashes what passes through it.
type hashingWriter struct {
	w    io.Writer
	sum  hash.Hash
	size int64
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.sum.Write(p[:n])
	h.size += int64(n)
	return n, err
}

// bundle writes files into a sink and remembers their checksums.
type bundle struct {
	sink  fileSink
	files []FileSum
}

// add writes one file through write.
func (b *bundle) add(name string, write func(io.Writer) error) error {
	w, err := b.sink.create(name)
	if err != nil {
		return err
	}
	hw := &hashingWriter{w: w, sum: sha256.New()}
	if err := write(hw); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.files = append(b.files, FileSum{Name: name, Size: hw.size, SHA256: hex.EncodeToString(hw.sum.Sum(nil))})
	return nil
}

// errPastSelection stops a pass at the first flow saved after the survey.
var errPastSelection = errors.New("past the selected flows")

// eachFlow runs fn over the selected flows up to maxID.
func eachFlow(ctx context.Context, s *store.Store, f store.Filter, maxID int64, fn func(*store.FlowDetail) error) error {
	err := s.EachFlow(ctx, f, func(d *store.FlowDetail) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Flow.ID > maxID {
			return errPastSelection
		}
		return fn(d)
	})
	if errors.Is(err, errPastSelection) {
		return nil
	}
	return err
}

// pinSelection finds the highest flow ID the filter selects, reading only
// summary rows a page at a time. Every pass after it stops there, so all
// files cover the same flows even while the proxy keeps saving new ones
// (IDs only grow, and saved flows do not change).
func pinSelection(ctx context.Context, s *store.Store, f store.Filter) (maxID int64, err error) {
	const page = 1000
	seen := 0
	q := f
	for {
		q.Limit = page
		if f.Limit > 0 {
			q.Limit = min(page, f.Limit-seen)
		}
		if q.Limit <= 0 {
			return maxID, nil
		}
		rows, err := s.Flows(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("select flows: %w", err)
		}
		for _, r := range rows {
			maxID = max(maxID, r.ID)
		}
		seen += len(rows)
		if len(rows) < q.Limit {
			return maxID, nil
		}
		q.AfterID = maxID
	}
}

// spool is a private temporary file for a bundle file that is produced
// during the main pass but must be written to the bundle later (the zip
// takes one file at a time).
type spool struct {
	f  *os.File
	bw *bufio.Writer
}

func newSpool(dir, name string) (*spool, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.spool")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	// CreateTemp makes the file 0600: it holds the same data as the bundle.
	return &spool{f: f, bw: bufio.NewWriterSize(f, 256<<10)}, nil
}

// copyTo writes the spooled bytes to w.
func (sp *spool) copyTo(w io.Writer) error {
	if err := sp.bw.Flush(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := io.Copy(w, sp.f); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func (sp *spool) remove() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// writeBundle writes every file of a bundle into sink. spoolDir holds
// temporary files while it runs (the bundle's own folder, so PHI never
// lands in a shared temporary folder); they are removed before it returns.
func writeBundle(ctx context.Context, s *store.Store, sink fileSink, spoolDir string, opts Options) (*Manifest, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Truncate(time.Second)
	if zs, ok := sink.(*zipSink); ok {
		zs.created = created
	}
	f := opts.Filter
	f.BySeverity = false

	maxID, err := pinSelection(ctx, s, f)
	if err != nil {
		return nil, err
	}
	if maxID == 0 {
		return nil, ErrEmptySelection
	}
	m := &Manifest{
		Format: FormatVersion, Tool: "phiproxy", Version: nonEmpty(opts.Version, "dev"), Created: created,
		Operator: opts.Operator, Note: opts.Note, CAFingerprint: opts.CAFingerprint,
		Selection: selectionOf(opts.Filter), Redacted: opts.Redact, PCAP: pcapNote,
	}
	m.Selection.MaxID = maxID

	var red *redactor
	if opts.Redact {
		if red, err = collectRedactions(ctx, s, f, maxID); err != nil {
			return nil, err
		}
		m.Redaction = redactionCoverage
		// A search for a value (--text jane@…) would otherwise record it.
		m.Selection.Text, m.Selection.Host, m.Selection.Vendor = red.free(m.Selection.Text), red.free(m.Selection.Host), red.free(m.Selection.Vendor)
		m.Note = red.free(m.Note)
	}

	// The main pass reads each flow once and writes the HAR straight into
	// the bundle, the pcap and the report's flow sections into spools, and
	// sums up what the report head and the manifest need.
	pcapSpool, err := newSpool(spoolDir, PCAPFile)
	if err != nil {
		return nil, err
	}
	defer pcapSpool.remove()
	reportSpool, err := newSpool(spoolDir, ReportFile)
	if err != nil {
		return nil, err
	}
	defer reportSpool.remove()
	pw, err := newPCAPWriter(pcapSpool.bw)
	if err != nil {
		return nil, err
	}
	rw := &reportWriter{w: reportSpool.bw}
	sum := newSummary()
	runs := runSet{}

	b := &bundle{sink: sink}
	if err := b.add(HARFile, func(w io.Writer) error {
		hw, err := newHARWriter(w, m.Version)
		if err != nil {
			return err
		}
		if err := eachFlow(ctx, s, f, maxID, func(d *store.FlowDetail) error {
			sum.add(d)
			runs.add(d.RunID)
			rd := red.flow(d)
			if err := hw.add(harEntryFor(rd, red)); err != nil {
				return err
			}
			if err := pw.writeFlow(&rd.Flow); err != nil {
				return err
			}
			return rw.add(reportFlowFor(rd))
		}); err != nil {
			return err
		}
		return hw.close()
	}); err != nil {
		return nil, err
	}
	if sum.Flows == 0 {
		return nil, ErrEmptySelection
	}
	m.Capture = TimeRange{First: sum.First.UTC(), Last: sum.Last.UTC()}
	m.Counts = Counts{Flows: sum.Flows, Findings: sum.Findings, WebSocketMessages: sum.WSMessages,
		FlowsBySeverity: map[string]int{}, FindingsBySeverity: map[string]int{}}
	for sev := phiproxy.Info; sev <= phiproxy.Critical; sev++ {
		if n := sum.SeverityFlows[sev]; n > 0 {
			m.Counts.FlowsBySeverity[sev.String()] = n
		}
		if n := sum.SeverityFindings[sev]; n > 0 {
			m.Counts.FindingsBySeverity[sev.String()] = n
		}
	}

	if err := b.add(PCAPFile, pcapSpool.copyTo); err != nil {
		return nil, err
	}

	byFinding := opts.Filter
	byFinding.BySeverity = true
	eachRow := func(fn func(store.FindingRow) error) error {
		return s.EachFinding(ctx, byFinding, func(r store.FindingRow) error {
			if r.FlowID > maxID {
				return nil
			}
			return fn(red.row(r))
		})
	}
	if err := b.add(FindingsJSONFile, func(w io.Writer) error {
		fw, err := newFindingsJSONWriter(w)
		if err != nil {
			return err
		}
		if err := eachRow(fw.add); err != nil {
			return err
		}
		return fw.close()
	}); err != nil {
		return nil, err
	}
	if err := b.add(FindingsCSVFile, func(w io.Writer) error {
		cw, err := newFindingsCSVWriter(w)
		if err != nil {
			return err
		}
		if err := eachRow(func(r store.FindingRow) error { return cw.Write(csvRecord(r)) }); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return nil, err
	}

	items, err := bundleInventory(ctx, s, runs, red)
	if err != nil {
		return nil, err
	}
	if err := b.add(InventoryFile, func(w io.Writer) error { return writeInventoryJSON(w, items) }); err != nil {
		return nil, err
	}
	exposure, err := bundleExposure(ctx, s, f, maxID, red)
	if err != nil {
		return nil, err
	}
	if err := b.add(ExposureFile, func(w io.Writer) error { return writeJSONArray(w, exposure) }); err != nil {
		return nil, err
	}
	if opts.Diff != nil {
		changes := opts.Diff.Changes
		if changes == nil {
			changes = []compare.Change{}
		}
		if err := b.add(DiffFile, func(w io.Writer) error { return writeJSONArray(w, changes) }); err != nil {
			return nil, err
		}
	}
	if err := b.add(ReportFile, func(w io.Writer) error {
		if err := reportTemplate.ExecuteTemplate(w, "head", sum.head(m, red)); err != nil {
			return err
		}
		if err := reportSpool.copyTo(w); err != nil {
			return err
		}
		if err := writeInventorySection(w, items); err != nil {
			return err
		}
		if err := exposureSection.Execute(w, exposure); err != nil {
			return err
		}
		if opts.Diff != nil {
			if err := diffSection.Execute(w, opts.Diff); err != nil {
				return err
			}
		}
		return (&reportWriter{w: w}).close()
	}); err != nil {
		return nil, err
	}

	m.Files = append([]FileSum(nil), b.files...)
	if err := b.add(ManifestFile, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(m)
	}); err != nil {
		return nil, err
	}
	if err := b.add(ChecksumsFile, func(w io.Writer) error {
		return writeChecksums(w, b.files)
	}); err != nil {
		return nil, err
	}
	if err := sink.finish(); err != nil {
		return nil, err
	}
	return m, nil
}

// writeChecksums writes files in `sha256sum` format, sorted by name.
func writeChecksums(w io.Writer, files []FileSum) error {
	sorted := append([]FileSum(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		if _, err := fmt.Fprintf(w, "%s  %s\n", f.SHA256, f.Name); err != nil {
			return err
		}
	}
	return nil
}

// collectRedactions registers every finding value of the selected flows,
// at every severity: a value below the selection's minimum severity still
// appears in the bodies and URLs that are exported.
func collectRedactions(ctx context.Context, s *store.Store, f store.Filter, maxID int64) (*redactor, error) {
	red, err := newRedactor()
	if err != nil {
		return nil, err
	}
	// Dropping severity, kind and limit selects a superset of the flows and
	// every finding of each: redacting a few more values is harmless.
	all := f
	if all.MinSeverity > phiproxy.Info || all.Kind != "" || all.Limit > 0 {
		all.Flagged = true
	}
	all.MinSeverity, all.Kind, all.Limit, all.BySeverity = phiproxy.Info, "", 0, false
	if err := s.EachFinding(ctx, all, func(r store.FindingRow) error {
		if r.FlowID <= maxID {
			red.add(r.Kind, r.Value, r.Term)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collect values to redact: %w", err)
	}
	red.build()
	return red, nil
}
