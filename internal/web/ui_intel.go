package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
	"vigil/internal/org"
)

// The pages of threat intelligence (internal/intel): /intel lists the
// indicators, /watchlists the warning lists with the forms to create one
// and to import, /watchlists/{id} one list's entries with its publish,
// withdraw and export buttons. Files larger than the hub's body limit go
// through `vigil intel import` (docs/intel.md).

// nowOr is f() or the time now when f is nil (a service's Now).
func nowOr(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

// routesIntelPages lists the pages of indicators and warning lists.
func (s *Server) routesIntelPages() {
	s.mux.HandleFunc("GET /intel", s.uiAuth(s.uiIndicators))
	s.mux.HandleFunc("GET /watchlists", s.uiAuth(s.uiIntelLists))
	s.mux.HandleFunc("POST /watchlists", s.uiAuth(s.uiIntelCreateList))
	s.mux.HandleFunc("POST /watchlists/import", s.uiAuth(s.uiIntelImport))
	s.mux.HandleFunc("GET /watchlists/template.xlsx", s.uiAuth(s.apiIntelTemplate))
	s.mux.HandleFunc("GET /watchlists/{id}", s.uiAuth(s.uiIntelList))
	s.mux.HandleFunc("GET /watchlists/{id}/export", s.uiAuth(s.uiIntelExport))
	s.mux.HandleFunc("POST /watchlists/{id}/publish", s.uiAuth(s.uiIntelPublish))
	s.mux.HandleFunc("POST /watchlists/{id}/withdraw", s.uiAuth(s.uiIntelWithdraw))
	s.mux.HandleFunc("POST /watchlists/{id}/version", s.uiAuth(s.uiIntelVersion))
	s.mux.HandleFunc("POST /watchlists/{id}/entries", s.uiAuth(s.uiIntelAddEntries))
	s.mux.HandleFunc("POST /watchlists/{id}/entries/remove", s.uiAuth(s.uiIntelRemoveEntry))
}

// choice is a value of a drop-down with its label in the page's language.
type choice struct{ Value, Label string }

func choices(lang, prefix string, values []string) []choice {
	out := make([]choice, len(values))
	for i, v := range values {
		out[i] = choice{v, i18n.T(lang, prefix+v)}
	}
	return out
}

// indicatorRow is an indicator as the list shows it.
type indicatorRow struct {
	intel.Indicator
	KindText, TLPText, StatusText, Status string
}

type indicatorsData struct {
	Rows     []indicatorRow
	Pager    *pager
	Filter   intel.IndicatorFilter
	Kinds    []choice
	TLPs     []choice
	Statuses []choice
}

func (s *Server) uiIndicators(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	lp, err := readList(r, intel.IndicatorSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := intelIndicatorFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Sort, f.Desc = lp.Sort, lp.Desc
	if lp.Format != "" {
		if err := s.exportIndicators(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Intel.Indicators(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &indicatorsData{Filter: f, Kinds: choices(lang, "intel.kind.", format.Kinds), TLPs: choices(lang, "intel.tlp.", format.TLPs),
		Statuses: choices(lang, "intel.status.", intel.IndicatorStatuses), Pager: newPager(r, lp, len(list), total)}
	now := nowOr(s.Intel.Now)
	for _, x := range list {
		st := intel.IndicatorStatus(x, now)
		d.Rows = append(d.Rows, indicatorRow{Indicator: x, KindText: i18n.T(lang, "intel.kind."+x.Kind), TLPText: i18n.T(lang, "intel.tlp."+x.TLP),
			Status: st, StatusText: i18n.T(lang, "intel.status."+st)})
	}
	s.render(w, r, http.StatusOK, "intel", s.newPage(r, "watchlists", "intel.title", d))
}

// listRow is a warning list as the lists show it.
type listRow struct {
	*intel.List
	MonthText, StatusText string
}

func newListRow(lang string, l *intel.List) listRow {
	return listRow{List: l, MonthText: monthText(l.Month), StatusText: i18n.T(lang, "intel.list_status."+l.Status)}
}

// problemRow is a skipped object in the reader's language.
type problemRow struct {
	Where, Field, Reason string
}

func problemRows(lang string, ps []format.Problem) []problemRow {
	out := make([]problemRow, 0, len(ps))
	for _, p := range ps {
		where := i18n.IntelWhere(lang, p.File, p.Line, p.Object)
		field := p.Field
		if label, ok := i18n.FieldLabel(lang, p.Field); ok {
			field = label
		}
		out = append(out, problemRow{Where: where, Field: field, Reason: i18n.IntelProblem(lang, p.Format, p.Reason, p.Args)})
	}
	return out
}

// importDone is an import's result as the pages show it.
type importDone struct {
	Summary  string
	Problems []problemRow
	List     *listRow
}

func newImportDone(lang string, res *intel.ImportResult) *importDone {
	d := &importDone{Summary: fmt.Sprintf(i18n.T(lang, "intel.cli_summary"), i18n.Number(res.ObjectsRead, lang), i18n.Number(res.IndicatorsLoaded, lang), i18n.Number(len(res.Skipped), lang)),
		Problems: problemRows(lang, res.Skipped)}
	if res.List != nil {
		row := newListRow(lang, res.List)
		d.List = &row
	}
	return d
}

// importForm is what the import forms offer.
type importForm struct {
	CanImport bool
	AllUnits  bool // the IT Center: "every unit" may be chosen
	Units     []*org.Unit
	Actions   []choice
	Sevs      []choice
	TLPs      []choice
}

func (s *Server) newImportForm(r *http.Request) (importForm, error) {
	lang := langOf(r)
	f := importForm{CanImport: s.Intel.CanAddEntries(r.Context()), AllUnits: s.Intel.CanManage(r.Context()),
		Actions: choices(lang, "intel.action.", format.Actions), Sevs: choices(lang, "severity.", intel.Severities), TLPs: choices(lang, "intel.tlp.", format.TLPs)}
	if !f.CanImport {
		return f, nil
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		return f, err
	}
	p := principalOf(r)
	for _, u := range units {
		if p.CanWrite(u.Path) {
			f.Units = append(f.Units, u)
		}
	}
	return f, nil
}

type intelListsData struct {
	One       bool // false: the page of every list
	Rows      []listRow
	Pager     *pager
	Filter    intel.ListFilter
	Statuses  []choice
	CanManage bool
	Import    importForm
	Form      *formState // the create form, refused
	ImportFm  *formState // the import form, refused
	Done      *importDone
	Month     string // the current month, YYYY-MM
	Names     []string
}

func (s *Server) intelListsData(r *http.Request) (*intelListsData, error) {
	lang := langOf(r)
	lp, err := readList(r, intel.ListSortKeys)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := intel.ListFilter{Status: q.Get("status"), Month: q.Get("month"), Q: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	list, total, err := s.Intel.Lists(r.Context(), f)
	if err != nil {
		return nil, err
	}
	d := &intelListsData{Filter: f, Statuses: choices(lang, "intel.list_status.", intel.Statuses), Pager: newPager(r, lp, len(list), total),
		CanManage: s.Intel.CanManage(r.Context()), Month: intel.Month(nowOr(s.Intel.Now))}
	seen := map[string]bool{}
	for _, l := range list {
		d.Rows = append(d.Rows, newListRow(lang, l))
		if l.Month == d.Month && !seen[l.Name] && (l.Status == intel.ListDraft || l.Status == intel.ListPublished) {
			seen[l.Name] = true
			d.Names = append(d.Names, l.Name)
		}
	}
	if d.Import, err = s.newImportForm(r); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) uiIntelLists(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, intel.ListSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		q := r.URL.Query()
		if err := s.exportWatchlists(w, r, lp, intel.ListFilter{Status: q.Get("status"), Month: q.Get("month"), Q: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc}); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.intelListsData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "watchlists", s.newPage(r, "watchlists", "intel.lists_title", d))
}

func (s *Server) uiIntelCreateList(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	in := intel.ListInput{Name: r.PostFormValue("name"), Month: r.PostFormValue("month"), Issuer: r.PostFormValue("issuer"), Description: r.PostFormValue("description")}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("retro_days")); v != "" {
		n, cerr := strconv.Atoi(v)
		if cerr != nil {
			err = errs.Invalid("retro_days", "must be between 0 and 365 days")
		}
		in.RetroDays = &n
	}
	var l *intel.List
	if err == nil {
		l, err = s.Intel.CreateList(r.Context(), in)
	}
	if err == nil {
		redirectSaved(w, r, "/watchlists/"+strconv.FormatInt(l.ID, 10))
		return
	}
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.intelListsData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	d.Form = newFormState(r, err, "name", "month", "issuer", "description", "retro_days")
	s.render(w, r, statusOf(errs.Code(err)), "watchlists", s.newPage(r, "watchlists", "intel.lists_title", d))
}

// readImportForm reads an import form (multipart: a file or pasted
// values) into an import of the list named or id.
func (s *Server) readImportForm(r *http.Request, listID int64) (intel.ImportInput, func(), error) {
	in := intel.ImportInput{ListID: listID}
	done := func() {}
	err := r.ParseMultipartForm(4 << 20)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return in, done, errs.Invalid("file", "the page takes files up to %d MiB; import larger ones with vigil intel import", s.BodyLimit>>20)
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		return in, done, errs.Invalid("file", "choose a file or paste values")
	}
	in.List, in.Unit, in.Source, in.TLP = r.PostFormValue("list"), r.PostFormValue("unit"), r.PostFormValue("source"), r.PostFormValue("tlp")
	in.Report, in.Action, in.Severity, in.Reason = r.PostFormValue("intel_report"), r.PostFormValue("action"), r.PostFormValue("severity"), r.PostFormValue("reason")
	if file, hdr, ferr := r.FormFile("file"); ferr == nil && hdr.Size > 0 {
		in.Name, in.Data, done = filepath.Base(hdr.Filename), file, func() { file.Close() }
		return in, done, nil
	}
	if v := r.PostFormValue("values"); strings.TrimSpace(v) != "" {
		in.Name, in.Data = i18n.PastedName, io.Reader(strings.NewReader(v))
		return in, done, nil
	}
	return in, done, errs.Invalid("file", "choose a file or paste values")
}

var importFields = []string{"file", "values", "list", "unit", "source", "tlp", "intel_report", "action", "severity", "reason"}

func (s *Server) uiIntelImport(w http.ResponseWriter, r *http.Request) {
	in, done, err := s.readImportForm(r, 0)
	defer done()
	var res *intel.ImportResult
	if err == nil {
		res, err = s.Intel.Import(r.Context(), in)
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.intelListsData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if e, ok := errs.As(err); ok && e.Field == "" {
			e.Field = "file" // a file's own fault shows beside it
		}
		d.ImportFm, status = newFormState(r, err, importFields...), statusOf(errs.Code(err))
	} else {
		d.Done = newImportDone(langOf(r), res)
	}
	s.render(w, r, status, "watchlists", s.newPage(r, "watchlists", "intel.lists_title", d))
}

// entryRow is an entry as the list page shows it.
type entryRow struct {
	intel.Entry
	KindText, TargetText, ActionText, SeverityText string
}

type intelListData struct {
	One       bool // true: the page of one list
	ListID    int64
	List      listRow
	Rows      []entryRow
	Pager     *pager
	Filter    intel.EntryFilter
	Kinds     []choice
	CanManage bool
	Import    importForm
	ImportFm  *formState
	Done      *importDone
	Flash     string
	MatchURL  string
}

func (s *Server) intelListData(r *http.Request, id int64) (*intelListData, error) {
	lang := langOf(r)
	l, err := s.Intel.GetList(r.Context(), id)
	if err != nil {
		return nil, err
	}
	lp, err := readList(r, intel.EntrySortKeys)
	if err != nil {
		return nil, err
	}
	f := entryFilter(r)
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Intel.Entries(r.Context(), id, f)
	if err != nil {
		return nil, err
	}
	d := &intelListData{One: true, ListID: id, List: newListRow(lang, l), Filter: f, Kinds: choices(lang, "intel.kind.", format.Kinds), Pager: newPager(r, lp, len(list), total),
		CanManage: s.Intel.CanManage(r.Context())}
	if l.Status != intel.ListDraft {
		// The clean-up queue of what the list matched (internal/watchlist).
		d.MatchURL = "/watchlist?list=" + strconv.FormatInt(id, 10)
	}
	for _, e := range list {
		d.Rows = append(d.Rows, entryRow{Entry: e, KindText: i18n.T(lang, "intel.kind."+e.Kind), TargetText: targetText(lang, e.Unit, e.UnitName),
			ActionText: entryActionText(lang, e.Action), SeverityText: i18n.T(lang, "severity."+e.Severity)})
	}
	if l.Status == intel.ListDraft || l.Status == intel.ListPublished {
		if d.Import, err = s.newImportForm(r); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (s *Server) uiIntelList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, intel.EntrySortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		f := entryFilter(r)
		f.Sort, f.Desc = lp.Sort, lp.Desc
		if err := s.exportEntries(w, r, lp, id, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.intelListData(r, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	switch r.URL.Query().Get("done") {
	case "published":
		d.Flash = i18n.T(lang, "intel.published_flash")
	case "withdrawn":
		d.Flash = i18n.T(lang, "intel.withdrawn_flash")
	case "removed":
		d.Flash = i18n.T(lang, "intel.removed_flash")
	}
	s.render(w, r, http.StatusOK, "watchlists", s.newPage(r, "watchlists", "intel.list_title", d))
}

func (s *Server) uiIntelExport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.writeListExport(w, r, id, r.URL.Query().Get("format")); err != nil {
		s.uiError(w, r, err)
	}
}

// uiListAction runs a list's button (publish, withdraw, new version)
// and goes back to the list the action leaves the reader on.
func (s *Server) uiListAction(w http.ResponseWriter, r *http.Request, act func(id int64) (*intel.List, error), done string) {
	id, err := pathID(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	l, err := act(id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	to := "/watchlists/" + strconv.FormatInt(l.ID, 10)
	if done != "" {
		to += "?done=" + done
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	redirectSaved(w, r, to)
}

func (s *Server) uiIntelPublish(w http.ResponseWriter, r *http.Request) {
	s.uiListAction(w, r, func(id int64) (*intel.List, error) { return s.Intel.Publish(r.Context(), id) }, "published")
}

func (s *Server) uiIntelWithdraw(w http.ResponseWriter, r *http.Request) {
	s.uiListAction(w, r, func(id int64) (*intel.List, error) {
		return s.Intel.Withdraw(r.Context(), id, r.PostFormValue("reason"))
	}, "withdrawn")
}

func (s *Server) uiIntelVersion(w http.ResponseWriter, r *http.Request) {
	s.uiListAction(w, r, func(id int64) (*intel.List, error) { return s.Intel.NewVersion(r.Context(), id) }, "")
}

func (s *Server) uiIntelAddEntries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in, done, err := s.readImportForm(r, id)
	defer done()
	var res *intel.ImportResult
	if err == nil {
		res, err = s.Intel.Import(r.Context(), in)
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.intelListData(r, id)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if e, ok := errs.As(err); ok && e.Field == "" {
			e.Field = "file"
		}
		d.ImportFm, status = newFormState(r, err, importFields...), statusOf(errs.Code(err))
	} else {
		d.Done = newImportDone(langOf(r), res)
	}
	s.render(w, r, status, "watchlists", s.newPage(r, "watchlists", "intel.list_title", d))
}

func (s *Server) uiIntelRemoveEntry(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	r.ParseForm()
	ind, err := strconv.ParseInt(r.PostFormValue("indicator"), 10, 64)
	if err != nil {
		s.uiError(w, r, errs.Invalid("indicator_ids", "name the indicators whose entries to remove"))
		return
	}
	unit := r.PostFormValue("unit")
	if unit == "" {
		unit = "*"
	}
	if _, err := s.Intel.RemoveEntries(r.Context(), id, intel.RemoveInput{IndicatorIDs: []int64{ind}, Unit: unit}); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/watchlists/"+strconv.FormatInt(id, 10)+"?done=removed", http.StatusSeeOther)
}

// entryActionText is an entry's required action in words; an entry that
// names none asks for the action fitting what matched (watchlist).
func entryActionText(lang, action string) string {
	if action == "" {
		return i18n.T(lang, "intel.action_default")
	}
	return i18n.T(lang, "intel.action."+action)
}
