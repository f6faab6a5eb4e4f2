package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/org"
	"vigil/internal/watchlist"
)

// The warning lists' clean-up queue (/watchlist): a unit's matches with the
// required action and deadline, an item page to record what was done with
// evidence files, the late units for the IT Center, and the progress of
// the latest matching.

// uiWatchlistRoutes registers the clean-up queue's pages.
func (s *Server) uiWatchlistRoutes() {
	s.mux.HandleFunc("GET /watchlist", s.uiAuth(s.uiWatchlist))
	s.mux.HandleFunc("GET /watchlist/late", s.uiAuth(s.uiWatchlistLate))
	s.mux.HandleFunc("GET /watchlist/hits/{id}", s.uiAuth(s.uiWatchlistHit))
	s.mux.HandleFunc("POST /watchlist/hits/{id}", s.uiAuth(s.uiWatchlistRecord))
	s.mux.HandleFunc("GET /watchlist/hits/{id}/evidence/{n}", s.uiAuth(s.uiWatchlistEvidence))
}

// hitRow is a queue row in words.
type hitRow struct {
	*watchlist.Hit
	Why      string // the reason in words
	Deadline string // "dd/mm/yyyy · 3 days left"
	Late     bool
	NoteText string // the finding's note, a recorded action's code in words
}

func newHitRow(lang string, h *watchlist.Hit, now time.Time) hitRow {
	r := hitRow{Hit: h, Why: fmt.Sprintf(i18n.T(lang, "watchlist.why."+h.Object), h.Value), NoteText: h.Note}
	// An action recorded leaves "code: note" (watchlist.RecordAction).
	for _, a := range format.Actions {
		if rest, ok := strings.CutPrefix(h.Note, a+": "); ok {
			r.NoteText = i18n.T(lang, "watchlist.action."+a) + ": " + rest
			break
		}
	}
	if !h.DueAt.IsZero() {
		r.Deadline = i18n.FormatDate(h.DueAt, lang)
		if findings.IsActive(h.Status) {
			r.Deadline += " · " + daysLeft(lang, h.DueAt, now)
			r.Late = h.Overdue
		}
	}
	return r
}

// daysLeft says how many days are left before due (counted in Vietnam's
// calendar days), or how many it is late.
func daysLeft(lang string, due, now time.Time) string {
	d := func(t time.Time) time.Time {
		y, m, dd := t.In(i18n.Location).Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	n := int(d(due).Sub(d(now)).Hours() / 24)
	switch {
	case n > 0:
		return fmt.Sprintf(i18n.T(lang, "watchlist.days_left"), n)
	case n == 0:
		return i18n.T(lang, "watchlist.due_today")
	}
	return fmt.Sprintf(i18n.T(lang, "watchlist.days_late"), -n)
}

// runRow is a run in words.
type runRow struct {
	watchlist.Run
	Progress string // "42%"
	Counts   string
	Took     string
}

func newRunRow(lang string, r watchlist.Run) runRow {
	n := func(v int64) string { return i18n.Number(int(v), lang) }
	row := runRow{Run: r, Counts: fmt.Sprintf(i18n.T(lang, "watchlist.run.counts"), n(r.Indicators), n(r.HostsScanned), n(r.HostsMatched),
		n(r.EventsScanned), n(r.AlertsScanned), n(r.Hits), n(r.FindingsNew))}
	if r.Total > 0 && r.Status == watchlist.RunRunning {
		row.Progress = fmt.Sprintf("%d%%", min(100*r.Done/r.Total, 100))
	}
	if r.Seconds > 0 {
		row.Took = fmt.Sprintf(i18n.T(lang, "watchlist.run.time"), strconv.FormatFloat(r.Seconds, 'f', 1, 64))
		if lang == "vi" {
			row.Took = strings.ReplaceAll(row.Took, ".", ",")
		}
	}
	return row
}

type watchlistData struct {
	Rows     []hitRow
	Pager    *pager
	Filter   url.Values
	Units    []*org.Unit
	Kinds    []string
	Objects  []string
	Statuses []string
	Runs     []runRow
	Late     int // late units the caller sees
}

func (s *Server) uiWatchlist(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("status") {
		// The queue opens on what is still to do; its sort, paging and
		// export links carry the filter, so an export holds what the page
		// shows.
		q.Set("status", "active")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, watchlist.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := watchlistFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportWatchlist(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	lang := langOf(r)
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Watchlist.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &watchlistData{Filter: q, Kinds: format.Kinds, Objects: watchlist.ObjectKinds, Statuses: findings.Statuses}
	now := time.Now()
	for _, h := range list {
		d.Rows = append(d.Rows, newHitRow(lang, h, now))
	}
	d.Pager = newPager(r, lp, len(list), total)
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	runs, err := s.Watchlist.Runs(r.Context(), 0, 3)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, run := range runs {
		d.Runs = append(d.Runs, newRunRow(lang, run))
	}
	_, late, err := s.Watchlist.LateUnits(r.Context(), watchlist.LateFilter{Limit: 1})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Late = late
	s.render(w, r, http.StatusOK, "watchlist", s.newPage(r, "watchlist", "watchlist.title", d))
}

type watchlistHitData struct {
	Row      hitRow
	Actions  []watchlist.Action
	Evidence []*attach.Attachment
	Related  []hitRow
	Choices  []string // actions an officer may record
	CanWrite bool
	Closed   bool // the finding is closed: no action is recorded until it is reopened
	Form     *formState
	Saved    bool
	MaxMiB   int64
}

func (s *Server) uiWatchlistHit(w http.ResponseWriter, r *http.Request) {
	s.renderWatchlistHit(w, r, http.StatusOK, nil)
}

func (s *Server) renderWatchlistHit(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.watchlistDetail(r, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	rel, err := s.Watchlist.Related(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	now := time.Now()
	data := &watchlistHitData{Row: newHitRow(lang, d.Hit, now), Actions: d.Actions, Evidence: d.Evidence, Choices: format.Actions, Form: form,
		Saved: r.URL.Query().Get("flash") == "saved", MaxMiB: attach.MaxSize >> 20}
	for _, h := range rel {
		data.Related = append(data.Related, newHitRow(lang, h, now))
	}
	if _, err := s.Watchlist.CanAct(r.Context(), id); err == nil {
		data.CanWrite = true
		data.Closed = !findings.IsActive(d.Hit.Status)
	}
	s.render(w, r, status, "watchlist_hit", s.newPage(r, "watchlist", "watchlist.title", data))
}

// uiWatchlistRecord takes the item page's form: the action taken, a note
// and, optionally, an evidence file. A bad value comes back beside its
// field with what was typed kept.
func (s *Server) uiWatchlistRecord(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	err = r.ParseMultipartForm(4 << 20)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errs.Invalid("file", "a file may be at most %d MiB", attach.MaxSize>>20)
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		err = errs.Invalid("file", "choose a file to attach")
	default:
		err = nil
	}
	if err == nil {
		err = s.recordFromForm(r, id)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderWatchlistHit(w, r, statusOf(errs.Code(err)), newFormState(r, err, "action", "note", "file"))
		return
	}
	http.Redirect(w, r, "/watchlist/hits/"+strconv.FormatInt(id, 10)+"?flash=saved", http.StatusSeeOther)
}

func (s *Server) recordFromForm(r *http.Request, id int64) error {
	h, err := s.Watchlist.CanAct(r.Context(), id)
	if err != nil {
		return err
	}
	action, note := r.PostFormValue("action"), r.PostFormValue("note")
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 && fhs[0].Filename != "" {
			f, err := fhs[0].Open()
			if err != nil {
				return errs.Invalid("file", "choose a file to attach")
			}
			defer f.Close()
			// The action is checked first so a bad note does not leave a
			// file attached to an item whose action was refused.
			if action != "" || note != "" || findings.IsActive(h.Status) {
				in := watchlist.ActionInput{Action: action, Note: note}
				if err := watchlist.CheckAction(&in); err != nil {
					return err
				}
			}
			if _, err := s.Watchlist.AddEvidence(r.Context(), id, fhs[0].Filename, fhs[0].Header.Get("Content-Type"), f); err != nil {
				return err
			}
		}
	}
	if action == "" && note == "" && r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 && !findings.IsActive(h.Status) {
		return nil // a file added to a closed item
	}
	_, err = s.Watchlist.RecordAction(r.Context(), id, watchlist.ActionInput{Action: action, Note: note})
	return err
}

func (s *Server) uiWatchlistEvidence(w http.ResponseWriter, r *http.Request) {
	s.serveWatchlistEvidence(w, r, func(err error) { s.uiError(w, r, err) })
}
