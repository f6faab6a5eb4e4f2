package monthly

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel"
	"vigil/internal/store"
)

// Statuses of a report.
const (
	StatusDraft     = "draft"
	StatusReviewed  = "reviewed"
	StatusPublished = "published"
)

// Statuses lists them in their order of life.
var Statuses = []string{StatusDraft, StatusReviewed, StatusPublished}

// Report is a stored monthly report.
type Report struct {
	ID          int64     `json:"id"`
	Month       string    `json:"month"`
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	Status      string    `json:"status"`
	Note        string    `json:"note,omitempty"` // why it was sent back
	GeneratedBy string    `json:"generated_by"`
	GeneratedAt time.Time `json:"generated_at"`
	ReviewedBy  string    `json:"reviewed_by,omitempty"`
	ReviewedAt  time.Time `json:"reviewed_at,omitzero"`
	PublishedBy string    `json:"published_by,omitempty"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	PDFSHA256   string    `json:"pdf_sha256,omitempty"`
	DOCXSHA256  string    `json:"docx_sha256,omitempty"`
	// The warning list attached at publish (0: none was published for
	// the next month).
	WatchlistID   int64    `json:"watchlist_id,omitempty"`
	WatchlistName string   `json:"watchlist_name,omitempty"`
	Figures       *Figures `json:"figures,omitempty"`
	// Acknowledged and Expected count the units' acknowledgements of a
	// published report (those the caller sees).
	Acknowledged int `json:"acknowledged"`
	Expected     int `json:"expected"`

	UnitID   int64 `json:"-"`
	unitPath string
}

// Meta is what the report's documents say of its life.
func (r *Report) Meta() Meta {
	return Meta{Status: r.Status, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt, PublishedBy: r.PublishedBy, PublishedAt: r.PublishedAt, Watchlist: r.WatchlistName}
}

const reportCols = `r.id, r.month, r.unit_id, u.code, u.name, u.path, r.status, r.note, r.figures, r.generated_by, r.generated_at,
	r.reviewed_by, r.reviewed_at, r.published_by, r.published_at, r.pdf_sha256, r.docx_sha256, r.watchlist_id, r.watchlist_name`

const reportFrom = ` FROM monthly_reports r JOIN units u ON u.id = r.unit_id`

func scanReport(sc store.Scanner) (*Report, error) {
	var r Report
	var figures string
	var gen, rev, pub int64
	if err := sc.Scan(&r.ID, &r.Month, &r.UnitID, &r.Unit, &r.UnitName, &r.unitPath, &r.Status, &r.Note, &figures, &r.GeneratedBy, &gen,
		&r.ReviewedBy, &rev, &r.PublishedBy, &pub, &r.PDFSHA256, &r.DOCXSHA256, &r.WatchlistID, &r.WatchlistName); err != nil {
		return nil, err
	}
	r.Figures = &Figures{}
	if err := json.Unmarshal([]byte(figures), r.Figures); err != nil {
		return nil, fmt.Errorf("monthly: report %d figures: %w", r.ID, err)
	}
	r.GeneratedAt = store.Time(gen)
	if rev > 0 {
		r.ReviewedAt = store.Time(rev)
	}
	if pub > 0 {
		r.PublishedAt = store.Time(pub)
	}
	return &r, nil
}

func (s *Service) load(ctx context.Context, q store.Queryer, id int64) (*Report, error) {
	r, err := scanReport(q.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+reportCols+reportFrom+` WHERE r.id = ?`), id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("monthly report " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("monthly: load %d: %w", id, err)
	}
	return r, nil
}

// rootPath is the root unit's path ("" when there is none).
func rootPath(ctx context.Context, q store.Queryer) (string, int64, error) {
	var path string
	var id int64
	err := q.QueryRowContext(ctx, `SELECT path, id FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path, &id)
	if err != nil && !store.IsNoRows(err) {
		return "", 0, fmt.Errorf("monthly: root unit: %w", err)
	}
	return path, id, nil
}

// ITCenter reports whether the caller generates, reviews and publishes
// the monthly reports: a user who may write the root unit (its officers
// and the administrators), as natreport's settings.
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	root, _, err := rootPath(ctx, s.DB)
	if err != nil {
		return false, err
	}
	return root != "" && p.CanWrite(root), nil
}

func (s *Service) requireITCenter(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.ITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Forbidden("only the IT Center (the root unit's officers and administrators) generates, reviews and publishes the monthly reports")
	}
	return p, nil
}

// Get returns a report the caller reads (its unit in their subtree).
func (s *Service) Get(ctx context.Context, id int64) (*Report, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.load(ctx, s.DB, id)
	if err := p.CheckRead(err, func() string { return r.unitPath }, errs.NotFound("monthly report "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	return r, s.countAcks(ctx, p, r)
}

// Find returns the stored report of a month for a unit (code "": the
// caller's own, the whole organisation for those who see every unit).
func (s *Service) Find(ctx context.Context, month, unitCode string) (*Report, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := ParseMonth(month); err != nil {
		return nil, err
	}
	u, err := s.reportUnit(ctx, p, unitCode)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.DB.QueryRow(ctx, `SELECT id FROM monthly_reports WHERE month = ? AND unit_id = ?`, strings.TrimSpace(month), u.ID).Scan(&id)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("monthly report " + month + " " + u.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("monthly: find: %w", err)
	}
	return s.Get(ctx, id)
}

// auditView is what the audit log records of a report.
type auditView struct {
	Month      string `json:"month"`
	Unit       string `json:"unit"`
	Status     string `json:"status"`
	PDFSHA256  string `json:"pdf_sha256,omitempty"`
	DOCXSHA256 string `json:"docx_sha256,omitempty"`
	Watchlist  string `json:"watchlist,omitempty"`
}

func (r *Report) view() auditView {
	return auditView{Month: r.Month, Unit: r.Unit, Status: r.Status, PDFSHA256: r.PDFSHA256, DOCXSHA256: r.DOCXSHA256, Watchlist: r.WatchlistName}
}

// Generate counts a month's report of a unit (code "": the whole
// organisation) and stores it as a draft, as the IT Center. A draft or
// reviewed report of the same month and unit is counted again (back to
// draft); a published one is frozen: a conflict.
func (s *Service) Generate(ctx context.Context, month, unitCode string) (*Report, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	month = strings.TrimSpace(month)
	if _, _, err := ParseMonth(month); err != nil {
		return nil, err
	}
	u, err := s.reportUnit(ctx, p, unitCode)
	if err != nil {
		return nil, err
	}
	g, err := s.gather(ctx, month)
	if err != nil {
		return nil, err
	}
	// The organisation's report brings a report of each top-level unit
	// with it, counted from the same samples: what each unit receives.
	targets := []unit{u}
	if u.ParentID == 0 {
		for _, x := range g.units {
			if x.ParentID == u.ID {
				targets = append(targets, x)
			}
		}
	}
	figures := make([]string, len(targets))
	for i, t := range targets {
		f, err := s.figuresFor(ctx, g, t)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("monthly: figures: %w", err)
		}
		figures[i] = string(b)
	}
	var id int64
	now := store.Micros(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		action, counted := "monthly.generate", 0
		var before any
		for i, t := range targets {
			var rid int64
			err := tx.QueryRow(ctx, `SELECT id FROM monthly_reports WHERE month = ? AND unit_id = ?`, month, t.ID).Scan(&rid)
			if err != nil && !store.IsNoRows(err) {
				return fmt.Errorf("monthly: generate: %w", err)
			}
			if err == nil {
				cur, err := s.load(ctx, tx, rid)
				if err != nil {
					return err
				}
				if cur.Status == StatusPublished {
					if i > 0 {
						continue // a unit's published report stays as it is
					}
					return errs.Conflict("month", "the report of %s for unit %s is published: it no longer changes", month, u.Code)
				}
				if i == 0 {
					before, action = cur.view(), "monthly.regenerate"
				}
				if _, err := tx.Exec(ctx, `UPDATE monthly_reports SET status = ?, figures = ?, note = '', generated_by = ?, generated_at = ?,
					reviewed_by = '', reviewed_at = 0 WHERE id = ?`, StatusDraft, figures[i], p.Email, now, rid); err != nil {
					return fmt.Errorf("monthly: regenerate: %w", err)
				}
			} else if err := tx.QueryRow(ctx, `INSERT INTO monthly_reports (month, unit_id, status, figures, generated_by, generated_at)
				VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, month, t.ID, StatusDraft, figures[i], p.Email, now).Scan(&rid); err != nil {
				return fmt.Errorf("monthly: generate: %w", err)
			}
			if i == 0 {
				id = rid
			} else {
				counted++
			}
		}
		after := map[string]any{"month": month, "unit": u.Code, "status": StatusDraft}
		if counted > 0 {
			after["unit_reports"] = counted
		}
		return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "monthly_report", ObjectID: strconv.FormatInt(id, 10), UnitID: u.ID,
			Before: before, After: after})
	})
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("month", "the report of %s for unit %s is being generated: try again", month, u.Code)
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// change runs a lifecycle step on a report as the IT Center.
func (s *Service) change(ctx context.Context, id int64, action string, fn func(tx *store.Tx, p *auth.Principal, r *Report) error) (*Report, error) {
	if _, err := s.Get(ctx, id); err != nil { // scope first: "not found"
		return nil, err
	}
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		before := r.view()
		if err := fn(tx, p, r); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "monthly_report", ObjectID: strconv.FormatInt(id, 10), UnitID: r.UnitID,
			Before: before, After: r.view(), Note: r.Note})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Review marks a draft reviewed: its figures were checked.
func (s *Service) Review(ctx context.Context, id int64) (*Report, error) {
	return s.change(ctx, id, "monthly.review", func(tx *store.Tx, p *auth.Principal, r *Report) error {
		if r.Status != StatusDraft {
			return errs.Conflict("status", "monthly report %d is not a draft: only a draft is reviewed", r.ID)
		}
		r.Status, r.ReviewedBy, r.ReviewedAt, r.Note = StatusReviewed, p.Email, s.now(), ""
		if _, err := tx.Exec(ctx, `UPDATE monthly_reports SET status = ?, reviewed_by = ?, reviewed_at = ?, note = '' WHERE id = ?`,
			r.Status, p.Email, store.Micros(r.ReviewedAt), r.ID); err != nil {
			return fmt.Errorf("monthly: review: %w", err)
		}
		return nil
	})
}

// Return sends a reviewed report back to draft with a note.
func (s *Service) Return(ctx context.Context, id int64, note string) (*Report, error) {
	note = strings.TrimSpace(strings.ToValidUTF8(note, "\uFFFD"))
	if note == "" {
		return nil, errs.Invalid("note", "say what to change")
	}
	if utf8.RuneCountInString(note) > 4000 {
		return nil, errs.Invalid("note", "must be at most %d characters", 4000)
	}
	return s.change(ctx, id, "monthly.return", func(tx *store.Tx, p *auth.Principal, r *Report) error {
		if r.Status != StatusReviewed {
			return errs.Conflict("status", "monthly report %d is not reviewed", r.ID)
		}
		r.Status, r.Note = StatusDraft, note
		if _, err := tx.Exec(ctx, `UPDATE monthly_reports SET status = ?, note = ?, reviewed_by = '', reviewed_at = 0 WHERE id = ?`, r.Status, note, r.ID); err != nil {
			return fmt.Errorf("monthly: return: %w", err)
		}
		return nil
	})
}

// NextMonth is the month after month (YYYY-MM).
func NextMonth(month string) string {
	from, _, err := ParseMonth(month)
	if err != nil {
		return ""
	}
	return from.AddDate(0, 1, 0).Format("2006-01")
}

// attachment is a warning list exported for the report.
type attachment struct {
	id        int64
	name      string
	csv, stix []byte
}

// nextList exports the newest published warning list of the month after
// month as CSV and STIX 2.1 (nil: none is published yet).
func (s *Service) nextList(ctx context.Context, month string) (*attachment, error) {
	if s.Lists == nil {
		return nil, nil
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	lists, _, err := s.Lists.Lists(sys, intel.ListFilter{Month: NextMonth(month), Status: intel.ListPublished, Limit: 100})
	if err != nil {
		return nil, err
	}
	var best *intel.List
	for _, l := range lists {
		if best == nil || l.Version > best.Version {
			best = l
		}
	}
	if best == nil {
		return nil, nil
	}
	l, inds, err := s.Lists.ListIndicators(sys, best.ID)
	if err != nil {
		return nil, err
	}
	a := &attachment{id: l.ID, name: fmt.Sprintf("%s (phiên bản %d)", l.Name, l.Version)}
	var csv, stix bytes.Buffer
	if err := intel.Export(&csv, intel.ExportCSV, l.Name, inds); err != nil {
		return nil, fmt.Errorf("monthly: warning list csv: %w", err)
	}
	if err := intel.Export(&stix, intel.ExportSTIX, l.Name, inds); err != nil {
		return nil, fmt.Errorf("monthly: warning list stix: %w", err)
	}
	a.csv, a.stix = csv.Bytes(), stix.Bytes()
	return a, nil
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Publish publishes a reviewed report: the PDF and DOCX rendered now are
// stored with their SHA-256 and never change again, and next month's
// warning list (its newest published version) is attached as CSV and
// STIX 2.1.
func (s *Service) Publish(ctx context.Context, id int64) (*Report, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	if r.Status != StatusReviewed {
		return nil, errs.Conflict("status", "monthly report %d is not reviewed: review it before publishing", r.ID)
	}
	att, err := s.nextList(ctx, r.Month)
	if err != nil {
		return nil, err
	}
	if att == nil {
		att = &attachment{}
	}
	_, rootID, err := rootPath(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	// The organisation's report publishes the top-level units' reports
	// of the month with it (each unit receives its own).
	reports := []*Report{r}
	if r.UnitID == rootID {
		rows, err := s.DB.Query(ctx, `SELECT r.id FROM monthly_reports r JOIN units u ON u.id = r.unit_id
			WHERE r.month = ? AND u.parent_id = ? AND r.status <> ? ORDER BY u.path`, r.Month, rootID, StatusPublished)
		if err != nil {
			return nil, fmt.Errorf("monthly: publish: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("monthly: publish: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			c, err := s.load(ctx, s.DB, id)
			if err != nil {
				return nil, err
			}
			reports = append(reports, c)
		}
	}
	p := auth.FromContext(ctx)
	now := s.now()
	type frozen struct {
		pdf, doc []byte
	}
	docs := make([]frozen, len(reports))
	// Rendering is most of publishing (a PDF and a DOCX per unit): one
	// worker a processor.
	work := make(chan int)
	errc := make(chan error, len(reports))
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(reports))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				x := reports[i]
				var err error
				if docs[i].pdf, err = x.Figures.PDF(x.Meta()); err == nil {
					docs[i].doc, err = x.Figures.DOCX(x.Meta())
				}
				if err != nil {
					errc <- err
					continue
				}
				x.PDFSHA256, x.DOCXSHA256 = digest(docs[i].pdf), digest(docs[i].doc)
			}
		}()
	}
	for i, x := range reports {
		x.Status, x.PublishedBy, x.PublishedAt = StatusPublished, p.Email, now
		x.WatchlistID, x.WatchlistName = att.id, att.name
		work <- i
	}
	close(work)
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for i, x := range reports {
			cur, err := s.load(ctx, tx, x.ID)
			if err != nil {
				return err
			}
			if (i == 0 && cur.Status != StatusReviewed) || cur.Status == StatusPublished || !cur.GeneratedAt.Equal(x.GeneratedAt) {
				return errs.Conflict("status", "monthly report %d changed while it was being published: try again", cur.ID)
			}
			if _, err := tx.Exec(ctx, `UPDATE monthly_reports SET status = ?, published_by = ?, published_at = ?, pdf = ?, pdf_sha256 = ?, docx = ?, docx_sha256 = ?,
				watchlist_id = ?, watchlist_name = ?, watchlist_csv = ?, watchlist_stix = ? WHERE id = ?`,
				StatusPublished, x.PublishedBy, store.Micros(now), docs[i].pdf, x.PDFSHA256, docs[i].doc, x.DOCXSHA256,
				x.WatchlistID, x.WatchlistName, att.csv, att.stix, x.ID); err != nil {
				return fmt.Errorf("monthly: publish: %w", err)
			}
		}
		after := map[string]any{"month": r.Month, "unit": r.Unit, "status": StatusPublished, "pdf_sha256": r.PDFSHA256, "docx_sha256": r.DOCXSHA256}
		if r.WatchlistName != "" {
			after["watchlist"] = r.WatchlistName
		}
		if len(reports) > 1 {
			after["unit_reports"] = len(reports) - 1
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "monthly.publish", ObjectType: "monthly_report", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
			Before: auditView{Month: r.Month, Unit: r.Unit, Status: StatusReviewed}, After: after})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Formats of a report's documents and attachments.
const (
	FormatPDF  = "pdf"
	FormatDOCX = "docx"
	FormatJSON = "json"
	FormatCSV  = "watchlist.csv"
	FormatSTIX = "watchlist.stix"
)

// Document returns a report's PDF or DOCX: the stored bytes of a
// published report, rendered from its figures before.
func (s *Service) Document(ctx context.Context, r *Report, format string) ([]byte, error) {
	if r.Status == StatusPublished || format == FormatCSV || format == FormatSTIX {
		col := map[string]string{FormatPDF: "pdf", FormatDOCX: "docx", FormatCSV: "watchlist_csv", FormatSTIX: "watchlist_stix"}[format]
		if col == "" {
			return nil, errs.Invalid("format", "must be pdf, docx or json")
		}
		var b []byte
		if err := s.DB.QueryRow(ctx, `SELECT `+col+` FROM monthly_reports WHERE id = ?`, r.ID).Scan(&b); err != nil {
			return nil, fmt.Errorf("monthly: document: %w", err)
		}
		if len(b) == 0 {
			return nil, errs.NotFound("warning list attached to monthly report " + strconv.FormatInt(r.ID, 10))
		}
		return b, nil
	}
	switch format {
	case FormatPDF:
		return r.Figures.PDF(r.Meta())
	case FormatDOCX:
		return r.Figures.DOCX(r.Meta())
	}
	return nil, errs.Invalid("format", "must be pdf, docx or json")
}

// Filter selects reports.
type Filter struct {
	Month  string
	Unit   string // a unit code: its subtree
	Status string
	Sort   string // a key of Sorts; "" newest month first
	Desc   bool
	Offset int
	Limit  int
}

// Sorts are the columns the list sorts by.
var Sorts = map[string]string{"month": "r.month", "unit": "u.code", "status": "r.status", "generated": "r.generated_at", "published": "r.published_at"}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"month", "unit", "status", "generated", "published"}

const listCols = `r.id, r.month, r.unit_id, u.code, u.name, u.path, r.status, r.note, '{}', r.generated_by, r.generated_at,
	r.reviewed_by, r.reviewed_at, r.published_by, r.published_at, r.pdf_sha256, r.docx_sha256, r.watchlist_id, r.watchlist_name`

// List returns a page of the reports of units the caller reads (without
// their figures) and the true total.
func (s *Service) List(ctx context.Context, f Filter) ([]*Report, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("r.month DESC, u.path", f.Limit, 50).Scope(p, "u.path")
	if f.Month != "" {
		if _, _, err := ParseMonth(f.Month); err != nil {
			return nil, 0, err
		}
		l.Where("r.month = ?", strings.TrimSpace(f.Month))
	}
	if f.Unit != "" {
		u, err := s.reportUnit(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(u.Path))
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, 0, errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
		}
		l.Where("r.status = ?", f.Status)
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+listCols, reportFrom, scanReport)
	if err != nil {
		return nil, 0, fmt.Errorf("monthly: list: %w", err)
	}
	for _, r := range out {
		r.Figures = nil
		if err := s.countAcks(ctx, p, r); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}
