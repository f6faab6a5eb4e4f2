package scanimport

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/datafile"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Defaults of the import limits.
const (
	// DefaultMaxBytes bounds one report (256 MiB, as the inventory
	// import): a bigger file is refused when its byte past the limit
	// arrives, and nothing of it is kept. An import is one transaction,
	// which on SQLite holds the write lock while the report is read; at
	// the measured rate a report of this size holds it a few seconds,
	// well inside the 10 s other writers wait (store's busy_timeout).
	DefaultMaxBytes = 256 << 20
	// DefaultSlots is how many imports run at once; the others wait up to
	// slotWait for a turn, then are told to try again, so uploads cannot
	// take every database connection and core of the hub.
	DefaultSlots = 2
	slotWait     = 30 * time.Second
)

// Service imports scanner reports into a unit's hosts and findings.
type Service struct {
	DB       *store.DB
	Now      func() time.Time // for tests; time.Now when nil
	MaxBytes int64            // DefaultMaxBytes when 0
	Slots    int              // DefaultSlots when 0

	once  sync.Once
	slots chan struct{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

// Options say what to import and where.
type Options struct {
	Unit   string // the unit's code: hosts are found or added there
	File   string // the report's name, for messages, the source and the note
	Format string // one of Formats; detected from the content when ""
	// Host names the machine a package scanner's report (Trivy, Grype,
	// OSV-Scanner) is about: an address or a host name. Records that
	// name no host of their own are filed on it.
	Host string
}

// Skipped is how many records were skipped for one reason, with the
// first one's position and what it was about.
type Skipped struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"` // "record 12 (image alpine:3.10)"
}

// Result says what an import did.
type Result struct {
	ID        int64     `json:"id"`
	Unit      string    `json:"unit"`
	File      string    `json:"file"`
	Format    string    `json:"format"`
	Scanner   string    `json:"scanner"`
	SHA256    string    `json:"sha256"`
	Bytes     int64     `json:"bytes"`
	ScanAt    time.Time `json:"scan_at"`
	Scope     string    `json:"scope"`
	Started   time.Time `json:"started_at"`
	Finished  time.Time `json:"finished_at"`
	Read      int       `json:"records_read"`
	Loaded    int       `json:"records_loaded"`
	Skip      int       `json:"records_skipped"`
	Skipped   []Skipped `json:"skipped"`
	HostsNew  int       `json:"hosts_new"`
	HostsUpd  int       `json:"hosts_updated"`
	HostsOld  int       `json:"hosts_older"` // hosts whose newer scan was already imported: nothing closed on them
	FindNew   int       `json:"findings_new"`
	FindUpd   int       `json:"findings_updated"`
	FindReop  int       `json:"findings_reopened"`
	FindClose int       `json:"findings_closed"`
	BadCVEs   int       `json:"bad_cve_ids"` // identifiers given as CVEs that do not parse, left out
}

// unitFor returns the id and path of a unit the caller may import into.
func (s *Service) unitFor(ctx context.Context, code string) (*auth.Principal, int64, string, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	if strings.TrimSpace(code) == "" {
		return nil, 0, "", errs.Invalid("unit", "choose the unit the scanned hosts belong to")
	}
	var id int64
	var path string
	err = s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path)
	if err := p.CheckRead(err, func() string { return path }, errs.Invalid("unit", "unit %q does not exist", code)); err != nil {
		return nil, 0, "", err
	}
	if !p.CanWrite(path) {
		return nil, 0, "", errs.Forbidden("you may not import scans into unit %s", code)
	}
	return p, id, path, nil
}

// CanImport checks, before a report is read, that the caller may import
// into the unit.
func (s *Service) CanImport(ctx context.Context, unit string) error {
	_, _, _, err := s.unitFor(ctx, unit)
	return err
}

// limited counts, hashes and bounds the bytes read.
type limited struct {
	r   io.Reader
	n   int64
	max int64
	h   interface{ Write([]byte) (int, error) }
}

var errTooLarge = errors.New("too large")

func (l *limited) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	l.h.Write(p[:n])
	if l.n > l.max {
		return 0, errTooLarge
	}
	return n, err
}

// Import reads a report from body and files it in one transaction: the
// hosts it names (found by address or name in the unit, else added), a
// finding of kind vulnerability per (host, CVE or check, port), and, for
// each host the report covers that this scanner had scanned before at an
// earlier time, the findings this scanner reported then and not now
// closed as fixed. A report that is malformed anywhere, truncated, larger
// than the limit or interrupted leaves nothing behind but a row saying it
// failed.
func (s *Service) Import(ctx context.Context, opt Options, body io.Reader) (*Result, error) {
	p, unitID, _, err := s.unitFor(ctx, opt.Unit)
	if err != nil {
		return nil, err
	}
	if opt.Format != "" && !slices.Contains(Formats, opt.Format) {
		return nil, errs.Invalid("format", "unknown scan format %q; give one of %s", opt.Format, strings.Join(Formats, ", "))
	}
	var defHost *Host
	if strings.TrimSpace(opt.Host) != "" {
		h := hostFrom(opt.Host)
		if h.Key() == "" {
			return nil, errs.Invalid("host", "%q is neither an IP address nor a host name", opt.Host)
		}
		defHost = &h
	}
	opt.File = clip(strings.TrimSpace(opt.File), 200)
	if opt.File == "" {
		opt.File = "scan"
	}
	s.once.Do(func() {
		n := s.Slots
		if n <= 0 {
			n = DefaultSlots
		}
		s.slots = make(chan struct{}, n)
	})
	t := time.NewTimer(slotWait)
	select {
	case s.slots <- struct{}{}:
		t.Stop()
	case <-t.C:
		return nil, &errs.Error{Code: errs.EUNAVAILABLE, RetryAfter: time.Minute, Message: "the hub is importing as many scans as it may at once; try again shortly",
			Format: "the hub is importing as many scans as it may at once; try again shortly"}
	case <-ctx.Done():
		t.Stop()
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()

	started := s.now()
	h := sha256.New()
	in := &limited{r: body, max: s.maxBytes(), h: h}
	res := &Result{Unit: opt.Unit, File: opt.File, Started: started}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		*res = Result{Unit: opt.Unit, File: opt.File, Started: started}
		w := &writer{s: s, ctx: ctx, tx: tx, p: p, unitID: unitID, opt: opt, res: res, now: started, defHost: defHost,
			hosts: map[string]*hostState{}, seen: map[seenKey]int64{}, skips: map[string]*Skipped{}}
		if err := tx.QueryRow(ctx, `INSERT INTO scan_imports (unit_id, scanner, status, file_name, started_at, created_by) VALUES (?, ?, 'running', ?, ?, ?) RETURNING id`,
			unitID, opt.Format, opt.File, store.Micros(started), p.Email).Scan(&w.importID); err != nil {
			return fmt.Errorf("scanimport: %w", err)
		}
		br := bufio.NewReaderSize(in, sniffSize)
		w.format = opt.Format
		if w.format == "" {
			head, err := br.Peek(sniffSize)
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				return err
			}
			if w.format, err = Detect(head); err != nil {
				return fail(opt.File, 0, "", "", err)
			}
		}
		w.scanner = ScannerNames[w.format]
		rep, err := pipeline(ctx, w, func(sink Sink) (*Report, error) {
			rep, err := Parse(br, opt.File, w.format, sink)
			if err != nil {
				return nil, err
			}
			// Read to the end: the digest covers the whole file.
			if _, err := io.Copy(io.Discard, br); err != nil {
				return nil, err
			}
			return rep, nil
		})
		if err != nil {
			return err
		}
		res.Bytes, res.SHA256 = in.n, hex.EncodeToString(h.Sum(nil))
		return w.finish(rep)
	})
	if err != nil {
		err = s.failure(opt, in.n, err)
		s.recordFailure(ctx, p, unitID, opt, started, in.n, err)
		return nil, err
	}
	return res, nil
}

// failure turns a parse or size error into one the caller can act on.
func (s *Service) failure(opt Options, n int64, err error) error {
	var de *datafile.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errTooLarge) || errors.As(err, &mbe):
		return errs.Errorf(errs.ETOOLARGE, "%s: a scan report may be at most %d MiB; nothing was imported", opt.File, s.maxBytes()>>20)
	case errors.As(err, &de):
		return errs.Invalid(de.Field, "%s; nothing was imported", de.Error())
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if strings.Contains(err.Error(), "scanimport") || strings.Contains(err.Error(), "findings") || strings.Contains(err.Error(), "hosts:") {
		return err // the database's, an internal error
	}
	return errs.Invalid("", "%s; nothing was imported", opt.File+": "+err.Error())
}

// recordFailure keeps a row saying the import failed and why (best
// effort: the import itself has been rolled back).
func (s *Service) recordFailure(ctx context.Context, p *auth.Principal, unitID int64, opt Options, started time.Time, n int64, cause error) {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	msg := clip(cause.Error(), 1000)
	_ = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO scan_imports (unit_id, scanner, status, error, file_name, bytes, started_at, finished_at, created_by) VALUES (?, ?, 'failed', ?, ?, ?, ?, ?, ?) RETURNING id`,
			unitID, opt.Format, msg, opt.File, n, store.Micros(started), store.Micros(s.now()), p.Email).Scan(&id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "scan.import_failed", ObjectType: "scan_import", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			After: map[string]any{"file": opt.File, "error": msg}})
	})
}

type hostState struct {
	id      int64
	scanAt  time.Time
	label   string
	counted bool
	older   bool // this scanner's scan of the host already imported is newer than this report's
}

type seenKey struct {
	host int64
	key  string
}

// writer is the Sink that files a report inside the import's transaction.
type writer struct {
	s        *Service
	ctx      context.Context
	tx       *store.Tx
	p        *auth.Principal
	unitID   int64
	importID int64
	opt      Options
	res      *Result
	now      time.Time
	defHost  *Host
	hosts    map[string]*hostState
	seen     map[seenKey]int64 // finding id of each (host, key) filed
	skips    map[string]*Skipped
	filed    [][2]int64                  // (finding, host) pairs this import filed, for scan_findings
	byAddr   map[string][]hosts.UnitHost // the unit's hosts by address, loaded at the first host
	byKey    map[string]int64            // and by name key
	scanner  string
	format   string
}

func (w *writer) skip(reason string, r *Record, note string) {
	w.res.Skip++
	sk := w.skips[reason]
	if sk == nil {
		sk = &Skipped{Reason: reason}
		w.skips[reason] = sk
		sk.Example = recordName(r.N)
		if r.Line > 0 {
			sk.Example = fmt.Sprintf("line %d", r.Line)
		}
		if note != "" {
			sk.Example += " (" + clip(note, 120) + ")"
		}
	}
	sk.Count++
}

// host finds or adds the host h names.
func (w *writer) host(h *Host) (*hostState, error) {
	key := h.Key()
	if hs, ok := w.hosts[key]; ok {
		if h.ScanAt.After(hs.scanAt) {
			hs.scanAt = h.ScanAt
		}
		return hs, nil
	}
	if w.byAddr == nil {
		// The unit's hosts, once: matching each of a report's hosts with
		// a query would scan the unit's addresses per host.
		list, err := hosts.UnitHosts(w.ctx, w.tx, w.unitID)
		if err != nil {
			return nil, err
		}
		w.byAddr, w.byKey = map[string][]hosts.UnitHost{}, map[string]int64{}
		for _, u := range list {
			for _, a := range u.Addrs {
				w.byAddr[a] = append(w.byAddr[a], u)
			}
			if _, ok := w.byKey[u.Key]; !ok {
				w.byKey[u.Key] = u.ID
			}
		}
	}
	nameKey := ""
	if h.Name != "" {
		nameKey = hosts.ScannedKey(h.Name, h.Addr)
	}
	var known int64
	if h.Addr != "" {
		for _, u := range w.byAddr[h.Addr] {
			if known == 0 || u.Key == nameKey {
				known = u.ID
			}
		}
	}
	if known == 0 && nameKey != "" {
		known = w.byKey[nameKey]
	}
	id, created, err := hosts.UpsertScanned(w.ctx, w.tx, w.unitID, hosts.Scanned{Addr: h.Addr, Name: h.Name, OS: h.OS, ID: known}, w.now)
	if err != nil {
		return nil, err
	}
	u := hosts.UnitHost{ID: id, Key: hosts.ScannedKey(h.Name, h.Addr)}
	if h.Addr != "" {
		found := false
		for _, o := range w.byAddr[h.Addr] {
			found = found || o.ID == id
		}
		if !found {
			w.byAddr[h.Addr] = append(w.byAddr[h.Addr], u)
		}
	}
	if _, ok := w.byKey[u.Key]; !ok && created {
		w.byKey[u.Key] = id
	}
	hs := &hostState{id: id, scanAt: h.ScanAt, label: key}
	// The same host may be named by address in one place and by name in
	// another; count it once.
	found := false
	for _, o := range w.hosts {
		if o.id == id {
			hs, found = o, true
			break
		}
	}
	if !found {
		at := h.ScanAt
		if at.IsZero() {
			at = w.now
		}
		var last int64
		err := w.tx.QueryRow(w.ctx, `SELECT scan_at FROM scan_hosts WHERE scanner = ? AND host_id = ?`, w.format, id).Scan(&last)
		if err != nil && !store.IsNoRows(err) {
			return nil, fmt.Errorf("scanimport: %w", err)
		}
		hs.older = err == nil && store.Micros(at) < last
	}
	w.hosts[key] = hs
	if !hs.counted {
		hs.counted = true
		if created {
			w.res.HostsNew++
		} else {
			w.res.HostsUpd++
		}
	}
	return hs, nil
}

func (w *writer) Host(h *Host) error {
	if h.Key() == "" {
		return nil
	}
	_, err := w.host(h)
	return err
}

func (w *writer) Record(r *Record) error {
	w.res.Read++
	if r.Skip != "" {
		w.skip(r.Skip, r, r.SkipNote)
		return nil
	}
	h := r.Host
	if h.Key() == "" && w.defHost != nil {
		at := h.ScanAt
		h = *w.defHost
		h.ScanAt = at
	}
	if h.Key() == "" {
		note := r.SkipNote
		if note != "" {
			note = "the report is about " + note + "; give the host it was scanned on"
		}
		w.skip(SkipNoHost, r, note)
		return nil
	}
	w.res.BadCVEs += len(r.BadCVEs)
	var keys []string
	port := ""
	if r.Port != "" {
		port = ":" + r.Port
	}
	for _, c := range r.CVEs {
		keys = append(keys, "cve:"+c+port)
	}
	if len(keys) == 0 {
		if r.CheckID == "" {
			w.skip(SkipBadCVE, r, strings.Join(r.BadCVEs, ", "))
			return nil
		}
		keys = append(keys, "check:"+w.format+":"+r.CheckID+port)
	}
	hs, err := w.host(&h)
	if err != nil {
		return err
	}
	seenAt := h.ScanAt
	if seenAt.IsZero() {
		seenAt = w.now
	}
	filed, kept := 0, 0
	for i, key := range keys {
		sk := seenKey{hs.id, key}
		if _, ok := w.seen[sk]; ok {
			filed++ // the same finding again in this report (another package, another plugin)
			continue
		}
		if hs.older {
			var id int64
			var status string
			err := w.tx.QueryRow(w.ctx, `SELECT id, status FROM findings WHERE host_id = ? AND kind = ? AND finding_key = ?`, hs.id, findings.KindVulnerability, key).Scan(&id, &status)
			if err != nil && !store.IsNoRows(err) {
				return fmt.Errorf("scanimport: %w", err)
			}
			if err == nil && status == findings.StatusResolved {
				// This scanner has since scanned the host again: an older
				// report cannot reopen what was fixed.
				w.seen[sk] = id
				kept++
				continue
			}
		}
		cve := ""
		if i < len(r.CVEs) {
			cve = r.CVEs[i]
		}
		title := r.Title
		if title == "" {
			title = cve
		}
		if title == "" {
			title = r.CheckID
		}
		if cve != "" && !strings.Contains(title, cve) && len(r.CVEs) > 1 {
			title = cve + ": " + title
		}
		ev := findings.VulnerabilityEvidence{CVE: cve, CVSS: r.CVSS, Port: r.Port, Scanner: w.scanner, Output: clip(r.Output, maxOutput),
			Product: r.Product, Installed: r.Installed, FixedIn: r.FixedIn}
		id, outcome, err := findings.Record(w.ctx, w.tx, findings.Observation{HostID: hs.id, Kind: findings.KindVulnerability, Key: key, Title: title,
			Severity: r.Severity, Evidence: ev, Source: "import " + w.opt.File, SeenAt: seenAt, CVE: cve, CVSS: r.CVSS, Port: r.Port})
		if err != nil {
			return err
		}
		switch outcome {
		case findings.Created:
			w.res.FindNew++
		case findings.Reopened:
			w.res.FindReop++
		default:
			w.res.FindUpd++
		}
		w.seen[sk] = id
		w.filed = append(w.filed, [2]int64{id, hs.id})
		filed++
	}
	if filed == 0 && kept > 0 {
		w.skip(SkipKeptFixed, r, keys[0])
		return nil
	}
	w.res.Loaded++
	return nil
}

// finish closes, on each host the report covers and this scanner had
// not scanned later, the findings this scanner reported before and not
// now; records the hosts' scan times and the import's row; audits.
func (w *writer) finish(rep *Report) error {
	ctx, tx := w.ctx, w.tx
	// Which scanner filed each finding, in statements of many rows.
	for len(w.filed) > 0 {
		chunk := w.filed[:min(len(w.filed), 300)]
		w.filed = w.filed[len(chunk):]
		args := make([]any, 0, 4*len(chunk))
		for _, p := range chunk {
			args = append(args, w.format, p[0], p[1], w.importID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO scan_findings (scanner, finding_id, host_id, import_id) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", len(chunk)), ", ")+`
			ON CONFLICT (scanner, finding_id) DO UPDATE SET import_id = excluded.import_id, host_id = excluded.host_id`, args...); err != nil {
			return fmt.Errorf("scanimport: %w", err)
		}
	}
	w.res.Format, w.res.Scanner = rep.Format, rep.Scanner
	w.res.ScanAt = rep.ScanAt
	if w.res.ScanAt.IsZero() {
		w.res.ScanAt = w.now
	}
	for _, sk := range w.skips {
		if sk.Reason == SkipNoHost && !strings.Contains(sk.Example, "(") && rep.Target != "" {
			sk.Example += " (the report is about " + clip(rep.Target, 100) + "; give the host it was scanned on)"
		}
		w.res.Skipped = append(w.res.Skipped, *sk)
	}
	sort.Slice(w.res.Skipped, func(i, j int) bool { return w.res.Skipped[i].Count > w.res.Skipped[j].Count })
	note := fmt.Sprintf("Đã khắc phục, xác minh qua lần quét %s ngày %s — fixed, verified by scan %s %s",
		w.opt.File, w.res.ScanAt.In(i18n.Location).Format("02/01/2006"), w.opt.File, w.res.ScanAt.In(i18n.Location).Format("02/01/2006"))
	var ids []int64
	done := map[int64]bool{}
	for _, hs := range w.hosts {
		if done[hs.id] {
			continue
		}
		done[hs.id] = true
		ids = append(ids, hs.id)
		at := hs.scanAt
		if at.IsZero() {
			at = w.res.ScanAt
		}
		if hs.older {
			w.res.HostsOld++
			continue
		}
		if err := w.close(hs.id, note); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO scan_hosts (scanner, host_id, scan_at, import_id) VALUES (?, ?, ?, ?)
			ON CONFLICT (scanner, host_id) DO UPDATE SET scan_at = excluded.scan_at, import_id = excluded.import_id`, w.format, hs.id, store.Micros(at), w.importID); err != nil {
			return fmt.Errorf("scanimport: %w", err)
		}
	}
	slices.Sort(ids)
	sum := sha256.New()
	for _, id := range ids {
		fmt.Fprintf(sum, "%d,", id)
	}
	w.res.Scope = rep.Format + ":" + hex.EncodeToString(sum.Sum(nil))[:16]
	w.res.ID = w.importID
	w.res.Finished = w.s.now()
	skipped, _ := json.Marshal(w.res.Skipped)
	r := w.res
	if _, err := tx.Exec(ctx, `UPDATE scan_imports SET scanner = ?, status = 'done', sha256 = ?, bytes = ?, scope = ?, scope_hosts = ?, scan_at = ?, finished_at = ?,
		records_read = ?, records_loaded = ?, records_skipped = ?, skipped = ?, hosts_new = ?, hosts_updated = ?, hosts_older = ?,
		findings_new = ?, findings_updated = ?, findings_reopened = ?, findings_closed = ? WHERE id = ?`,
		r.Format, r.SHA256, r.Bytes, r.Scope, len(ids), store.Micros(r.ScanAt), store.Micros(r.Finished), r.Read, r.Loaded, r.Skip, string(skipped),
		r.HostsNew, r.HostsUpd, r.HostsOld, r.FindNew, r.FindUpd, r.FindReop, r.FindClose, w.importID); err != nil {
		return fmt.Errorf("scanimport: %w", err)
	}
	return audit.Append(ctx, tx, audit.Entry{Action: "scan.import", ObjectType: "scan_import", ObjectID: strconv.FormatInt(w.importID, 10), UnitID: w.unitID,
		After: map[string]any{"file": w.opt.File, "scanner": r.Scanner, "records": r.Read, "skipped": r.Skip, "hosts_new": r.HostsNew, "hosts_updated": r.HostsUpd,
			"findings_new": r.FindNew, "findings_updated": r.FindUpd, "findings_closed": r.FindClose}})
}

// close resolves the active findings this scanner reported on the host
// before and not in this import.
func (w *writer) close(hostID int64, note string) error {
	ctx, tx := w.ctx, w.tx
	rows, err := tx.Query(ctx, `SELECT f.id, f.status FROM scan_findings sf JOIN findings f ON f.id = sf.finding_id
		WHERE sf.scanner = ? AND sf.host_id = ? AND sf.import_id <> ? AND f.host_id = ? AND f.status IN ('open', 'in_progress') ORDER BY f.id`, w.format, hostID, w.importID, hostID)
	if err != nil {
		return fmt.Errorf("scanimport: %w", err)
	}
	type gone struct {
		id     int64
		status string
	}
	var list []gone
	for rows.Next() {
		var g gone
		if err := rows.Scan(&g.id, &g.status); err != nil {
			rows.Close()
			return err
		}
		list = append(list, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := store.Micros(w.s.now())
	for _, g := range list {
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = 'resolved', status_since = ?, note = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
			now, note, w.p.Email, now, g.id); err != nil {
			return fmt.Errorf("scanimport: close finding %d: %w", g.id, err)
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "finding.update", ObjectType: "finding", ObjectID: strconv.FormatInt(g.id, 10), UnitID: w.unitID,
			Before: map[string]any{"status": g.status}, After: map[string]any{"status": findings.StatusResolved, "note": note}}); err != nil {
			return err
		}
		w.res.FindClose++
	}
	return nil
}

// event is a host or a record on its way from the parser to the writer.
type event struct {
	host *Host
	rec  *Record
}

// chanSink hands the parser's hosts and records to the writer's goroutine.
type chanSink struct {
	ch   chan []event
	buf  []event
	stop <-chan struct{}
}

var errStopped = errors.New("scanimport: the writer stopped")

func (c *chanSink) push(e event) error {
	c.buf = append(c.buf, e)
	if len(c.buf) < cap(c.buf) {
		return nil
	}
	return c.flush()
}

func (c *chanSink) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	select {
	case c.ch <- c.buf:
		c.buf = make([]event, 0, cap(c.buf))
		return nil
	case <-c.stop:
		return errStopped
	}
}

func (c *chanSink) Host(h *Host) error {
	cp := *h // the parser goes on changing its own
	return c.push(event{host: &cp})
}

func (c *chanSink) Record(r *Record) error { return c.push(event{rec: r}) }

// pipeline runs parse on its own goroutine, feeding the writer on this
// one, so reading the report and writing the database overlap. The
// writer's first error stops the parser; the parser's error is returned
// after what it read before has been written (and is rolled back with
// it).
func pipeline(ctx context.Context, w Sink, parse func(Sink) (*Report, error)) (*Report, error) {
	stop := make(chan struct{})
	cs := &chanSink{ch: make(chan []event, 16), buf: make([]event, 0, 128), stop: stop}
	var rep *Report
	var perr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(cs.ch)
		rep, perr = parse(cs)
		if perr == nil {
			perr = cs.flush()
		}
	}()
	var werr error
	for batch := range cs.ch {
		if werr != nil {
			continue
		}
		for _, e := range batch {
			if e.host != nil {
				werr = w.Host(e.host)
			} else {
				werr = w.Record(e.rec)
			}
			if werr == nil {
				werr = ctx.Err()
			}
			if werr != nil {
				close(stop)
				break
			}
		}
	}
	<-done
	if werr != nil {
		return nil, werr
	}
	return rep, perr
}
