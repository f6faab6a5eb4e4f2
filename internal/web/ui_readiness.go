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
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/readiness"
)

// The readiness pages: the campaigns and the form that opens one
// (/readiness), a campaign's scoreboard of units × measures with the
// countdown and the refresh button (/readiness/{id}), the leadership's
// one-screen printable view (/readiness/{id}/leadership), a unit's sheet
// with what to do next and the attestation forms
// (/readiness/{id}/units/{unit}), the attestations to review
// (/readiness/{id}/attestations) and the template editor
// (/readiness-templates/{key}).

type readinessListData struct {
	Rows      []*readiness.Campaign
	Pager     *pager
	Filter    url.Values
	States    []string
	Templates []*readiness.Template
	Units     []*org.Unit
	ITCenter  bool
	Form      *formState
	Now       time.Time
}

var readinessFormFields = []string{"name", "template", "units", "starts_at", "due_at"}

func (s *Server) renderReadinessList(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	lp, err := readList(r, readiness.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := readiness.Filter{State: r.URL.Query().Get("state"), Query: r.URL.Query().Get("q")}
	if lp.Format != "" {
		if err := s.exportReadinessCampaigns(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Readiness.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &readinessListData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), States: readiness.States, Form: fm, Now: time.Now()}
	if d.ITCenter, err = s.Readiness.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.ITCenter {
		if d.Templates, err = s.Readiness.Templates(r.Context()); err != nil {
			s.uiError(w, r, err)
			return
		}
		if d.Units, err = s.allUnits(r, ""); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	s.render(w, r, status, "readiness", s.newPage(r, "readiness", "rd.title", d))
}

func (s *Server) uiReadiness(w http.ResponseWriter, r *http.Request) {
	s.renderReadinessList(w, r, http.StatusOK, nil)
}

func (s *Server) uiCreateReadiness(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	c, err := s.Readiness.Create(r.Context(), readiness.Input{Name: f.Get("name"), Template: f.Get("template"), Units: f["units"],
		StartsAt: f.Get("starts_at"), DueAt: f.Get("due_at")})
	if err == nil {
		_, err = s.Readiness.Refresh(r.Context(), c.ID)
	}
	if err != nil {
		if !formError(err) || c != nil {
			s.uiError(w, r, err)
			return
		}
		s.renderReadinessList(w, r, statusOf(errs.Code(err)), newFormState(r, err, readinessFormFields...))
		return
	}
	redirectSaved(w, r, "/readiness/"+strconv.FormatInt(c.ID, 10))
}

// boardData is the scoreboard page (and the leadership view).
type boardData struct {
	Board     *readiness.Scoreboard
	Measures  []int
	Filter    url.Values
	Statuses  []string
	ITCenter  bool
	Countdown string
	Counts    map[string]int // units by overall status
	Waiting   int            // attestations waiting for review in view
}

func (s *Server) board(r *http.Request) (*boardData, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	sb, err := s.Readiness.Scoreboard(r.Context(), id, scoreFilter(r))
	if err != nil {
		return nil, err
	}
	d := &boardData{Board: sb, Measures: readiness.Measures, Filter: r.URL.Query(), Statuses: readiness.Statuses, Counts: map[string]int{}}
	if d.ITCenter, err = s.Readiness.ITCenter(r.Context()); err != nil {
		return nil, err
	}
	d.Countdown = countdown(sb.Campaign, time.Now(), langOf(r))
	for _, u := range sb.Units {
		d.Counts[u.Status]++
	}
	_, d.Waiting, err = s.Readiness.Attestations(r.Context(), readiness.AttestFilter{Campaign: id, State: readiness.AttestSubmitted, Limit: 1})
	return d, err
}

// countdown says how long is left before the deadline, or that it passed.
func countdown(c *readiness.Campaign, now time.Time, lang string) string {
	switch {
	case now.Before(c.StartsAt):
		return fmt.Sprintf(i18n.T(lang, "rd.not_started"), i18n.FormatDate(c.StartsAt, lang)) + " " +
			fmt.Sprintf(i18n.T(lang, "rd.countdown"), int(c.DueAt.Sub(now).Hours())/24, int(c.DueAt.Sub(now).Hours())%24, i18n.FormatDate(c.DueAt, lang))
	case now.Before(c.DueAt):
		left := c.DueAt.Sub(now)
		return fmt.Sprintf(i18n.T(lang, "rd.countdown"), int(left.Hours())/24, int(left.Hours())%24, i18n.FormatDate(c.DueAt, lang))
	}
	return fmt.Sprintf(i18n.T(lang, "rd.past_due"), i18n.FormatDate(c.DueAt, lang))
}

func (s *Server) uiReadinessBoard(w http.ResponseWriter, r *http.Request) {
	d, err := s.board(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if f := r.URL.Query().Get("format"); f == "csv" || f == "xlsx" {
		s.writeScoreboard(w, r, d.Board, f)
		return
	}
	p := s.newPage(r, "readiness", "rd.scoreboard", d)
	p.Title = d.Board.Campaign.Name
	s.render(w, r, http.StatusOK, "readiness_board", p)
}

func (s *Server) uiReadinessLeadership(w http.ResponseWriter, r *http.Request) {
	d, err := s.board(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := s.newPage(r, "readiness", "rd.leadership", d)
	p.Title = i18n.T(p.Lang, "rd.leadership") + " — " + d.Board.Campaign.Name
	s.render(w, r, http.StatusOK, "readiness_leader", p)
}

func (s *Server) uiRefreshReadiness(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		_, err = s.Readiness.Refresh(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/readiness/"+strconv.FormatInt(id, 10))
}

// unitSheetData is a unit's sheet.
type unitSheetData struct {
	Sheet    *readiness.Sheet
	Measures []int
	CanWrite bool // the reader may attest for the unit
	Form     *formState
	FormFor  string // the criterion whose attestation form came back
	History  map[string]map[int]readiness.Point
	Days     []string
}

func (s *Server) renderUnitSheet(w http.ResponseWriter, r *http.Request, status int, formFor string, fm *formState) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	sh, err := s.Readiness.Sheet(r.Context(), id, r.PathValue("unit"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &unitSheetData{Sheet: sh, Measures: readiness.Measures, Form: fm, FormFor: formFor, History: map[string]map[int]readiness.Point{}}
	if p := principalOf(r); p != nil {
		units, err := s.allUnits(r, "")
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		for _, u := range units {
			if u.Code == sh.Row.Unit {
				d.CanWrite = p.CanWrite(u.Path)
			}
		}
	}
	for _, pt := range sh.History {
		if d.History[pt.Day] == nil {
			d.History[pt.Day] = map[int]readiness.Point{}
			d.Days = append(d.Days, pt.Day)
		}
		d.History[pt.Day][pt.Measure] = pt
	}
	p := s.newPage(r, "readiness", "rd.my_unit", d)
	p.Title = sh.Row.Name + " — " + sh.Campaign.Name
	s.render(w, r, status, "readiness_unit", p)
}

func (s *Server) uiReadinessUnit(w http.ResponseWriter, r *http.Request) {
	s.renderUnitSheet(w, r, http.StatusOK, "", nil)
}

func (s *Server) uiAttest(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	err = r.ParseMultipartForm(4 << 20)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20)
	case errors.Is(err, http.ErrNotMultipart):
		err = s.parseForm(w, r)
	}
	criterion := r.PostForm.Get("criterion")
	if err == nil {
		in := readiness.AttestInput{Unit: r.PathValue("unit"), Criterion: criterion, Note: r.PostForm.Get("note")}
		if r.MultipartForm != nil {
			for _, fh := range r.MultipartForm.File["file"] {
				f, ferr := fh.Open()
				if ferr != nil {
					err = errs.Invalid("file", "choose a file to attach")
					break
				}
				defer f.Close()
				in.Files = append(in.Files, attach.Input{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: f})
			}
		}
		if err == nil {
			_, err = s.Readiness.Attest(r.Context(), id, in)
		}
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderUnitSheet(w, r, statusOf(errs.Code(err)), criterion, newFormState(r, err, "note", "file"))
		return
	}
	redirectSaved(w, r, "/readiness/"+strconv.FormatInt(id, 10)+"/units/"+url.PathEscape(r.PathValue("unit")))
}

type attestationsData struct {
	Campaign *readiness.Campaign
	Rows     []*readiness.Attestation
	Pager    *pager
	Filter   url.Values
	States   []string
	Units    []*org.Unit
	ITCenter bool
	Form     *formState
	FormFor  int64
}

func (s *Server) renderAttestations(w http.ResponseWriter, r *http.Request, status int, id int64, formFor int64, fm *formState) {
	lp, err := readList(r, readiness.AttestSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := readiness.AttestFilter{Campaign: id, State: r.URL.Query().Get("state"), Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportAttestations(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	c, err := s.Readiness.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Readiness.Attestations(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &attestationsData{Campaign: c, Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), States: readiness.AttestStates,
		Form: fm, FormFor: formFor}
	if d.ITCenter, err = s.Readiness.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	p := s.newPage(r, "readiness", "rd.attestations", d)
	p.Title = i18n.T(p.Lang, "rd.attestations") + " — " + c.Name
	s.render(w, r, status, "readiness_attest", p)
}

func (s *Server) uiReadinessAttestations(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderAttestations(w, r, http.StatusOK, id, 0, nil)
}

func (s *Server) uiReviewAttestation(w http.ResponseWriter, r *http.Request) {
	aid, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	a, err := s.Readiness.Attestation(r.Context(), aid)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	_, err = s.Readiness.Review(r.Context(), aid, r.PostForm.Get("decision") == "accept", r.PostForm.Get("note"))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderAttestations(w, r, statusOf(errs.Code(err)), a.Campaign, aid, newFormState(r, err, "note"))
		return
	}
	redirectSaved(w, r, "/readiness/"+strconv.FormatInt(a.Campaign, 10)+"/attestations")
}

// templateData is the template editor.
type templateData struct {
	Template   *readiness.Template
	Rows       []templateRow
	Metrics    []string
	Directions []string
	Measures   []int
	Kinds      []string
	ITCenter   bool
	Form       *formState
	ErrField   string // the refused input's full name ("criteria[3].target")
	ErrText    string
}

// templateRow is one criterion's inputs (index i: names "criteria[i].x").
type templateRow struct {
	I int
	C *readiness.Criterion
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, t *readiness.Template, fm *formState, err error) {
	d := &templateData{Template: t, Metrics: readiness.MetricKeys, Directions: readiness.Directions, Measures: readiness.Measures,
		Kinds: []string{readiness.KindMetric, readiness.KindAttest}, Form: fm}
	var e2 error
	if d.ITCenter, e2 = s.Readiness.ITCenter(r.Context()); e2 != nil {
		s.uiError(w, r, e2)
		return
	}
	for i, c := range t.Criteria {
		d.Rows = append(d.Rows, templateRow{I: i + 1, C: c})
	}
	// One empty line adds a criterion.
	d.Rows = append(d.Rows, templateRow{I: len(t.Criteria) + 1, C: &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.MinShare, Measure: 1}})
	if e, ok := errs.As(err); ok {
		d.ErrField, d.ErrText = e.Field, messageOf(langOf(r), err)
	}
	p := s.newPage(r, "readiness", "rd.template_edit", d)
	p.Title = i18n.T(p.Lang, "rd.template_edit") + " — " + t.Name
	s.render(w, r, status, "readiness_template", p)
}

func (s *Server) uiReadinessTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.Readiness.Template(r.Context(), r.PathValue("key"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, t, nil, nil)
}

// readinessTemplateInput reads the editor: rows criteria[1..n]; a row whose
// "remove" box is ticked, or the empty last row, is left out.
func readinessTemplateInput(r *http.Request) readiness.TemplateInput {
	f := r.PostForm
	in := readiness.TemplateInput{Name: f.Get("name"), NameEn: f.Get("name_en")}
	n, _ := strconv.Atoi(f.Get("rows"))
	for i := 1; i <= n && i <= 200; i++ {
		get := func(k string) string { return f.Get(fmt.Sprintf("criteria[%d].%s", i, k)) }
		if get("remove") != "" || (strings.TrimSpace(get("key")) == "" && strings.TrimSpace(get("label")) == "") {
			continue
		}
		num := func(k string) float64 {
			v, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(get(k)), ",", ".", 1), 64)
			if err != nil {
				return -1 // refused by the service, beside the field
			}
			return v
		}
		m, _ := strconv.Atoi(get("measure"))
		in.Criteria = append(in.Criteria, &readiness.Criterion{Key: get("key"), Measure: m, Kind: get("kind"), Metric: get("metric"), Direction: get("direction"),
			Target: num("target"), Margin: num("margin"), EmptyMet: get("empty_met") != "", SOCOnly: get("soc_only") != "", OrgWide: get("org_wide") != "",
			Label: get("label"), LabelEn: get("label_en"), Todo: get("todo"), TodoEn: get("todo_en")})
	}
	return in
}

func (s *Server) uiSaveReadinessTemplate(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	key := r.PathValue("key")
	in := readinessTemplateInput(r)
	if _, err := s.Readiness.SaveTemplate(r.Context(), key, in); err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		// Shown again as typed: the rows kept, the refused one marked.
		s.renderTemplate(w, r, statusOf(errs.Code(err)), &readiness.Template{Key: key, Name: in.Name, NameEn: in.NameEn, Criteria: in.Criteria},
			newFormState(r, err, "name", "name_en", "criteria"), err)
		return
	}
	redirectSaved(w, r, "/readiness-templates/"+url.PathEscape(key))
}

// readinessLink is the list of objects behind a criterion for a unit.
func readinessLink(metric, unit string) string {
	u := url.QueryEscape(unit)
	switch metric {
	case "hosts.av_current":
		return "/hosts?unit=" + u + "&failing=antivirus"
	case "hosts.firewall_on":
		return "/hosts?unit=" + u + "&failing=firewall"
	case "hosts.agent_seen_24h":
		return "/hosts?unit=" + u + "&failing=agent"
	case "hosts.total", "hosts.scanned":
		return "/hosts?unit=" + u
	case "findings.watchlist_closed":
		return "/findings?unit=" + u + "&kind=warning_list&status=open&status=in_progress"
	case "findings.malware_closed":
		return "/findings?unit=" + u + "&kind=malware&status=open&status=in_progress"
	case "findings.ms2023_open":
		return "/findings?unit=" + u + "&ms2023=true&status=open&status=in_progress"
	case "findings.ms2023_accepted":
		return "/findings?unit=" + u + "&ms2023=true&status=accepted_risk"
	case "findings.overdue":
		return "/findings?unit=" + u + "&overdue=true"
	case "alerts.acked_in_time":
		return "/alerts?unit=" + u
	case "duty.covered":
		return "/duty"
	case "sources.reporting":
		return "/sources"
	case "health.ncsc_uptime":
		return "/health"
	case "training.passed", "training.completed":
		return "/training"
	case "phishing.clicked", "phishing.reported":
		return "/phishing"
	case "incidents.reported_on_time":
		return "/incidents/timers"
	}
	return ""
}

// readinessUnitSection shows, on a unit's page, the unit's status in each
// campaign under way it is a target of, linking to its sheet.
func (s *Server) readinessUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	lang := langOf(r)
	list, _, err := s.Readiness.List(r.Context(), readiness.Filter{State: "open", Limit: 5})
	if err != nil {
		return nil, err
	}
	sec := &unitSection{Title: i18n.T(lang, "rd.title"), Link: "/readiness"}
	for _, c := range list {
		sb, err := s.Readiness.Scoreboard(r.Context(), c.ID, readiness.ScoreFilter{Unit: u.Code})
		if err != nil {
			return nil, err
		}
		for _, row := range sb.Units {
			if row.Unit != u.Code {
				continue
			}
			sec.Stats = append(sec.Stats, cardStat{Label: c.Name, Value: i18n.T(lang, "rd.status."+row.Status),
				Bad:  row.Status == readiness.StatusFailed || row.Status == readiness.StatusAtRisk,
				Link: "/readiness/" + strconv.FormatInt(c.ID, 10) + "/units/" + url.PathEscape(u.Code)})
		}
	}
	if len(sec.Stats) == 0 {
		return nil, nil
	}
	// The unit page links the section once: to the latest campaign's sheet.
	sec.Link = sec.Stats[0].Link
	return sec, nil
}
