package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/vulnmatch"
)

// hostsCard fills measure 1's dashboard card: coverage of the top of the
// caller's view.
func (s *Server) hostsCard(r *http.Request) (*measureCard, error) {
	all, err := s.Hosts.AllCoverage(r.Context())
	if err != nil {
		return nil, err
	}
	var total hosts.Counts
	p := principalOf(r)
	for _, u := range all {
		// Top of the caller's view: roots for those who see all, the
		// caller's own unit otherwise.
		if (p.SeesAllUnits() && u.Kind == org.KindHeadquarters && total.Hosts < u.Hosts) || u.Unit == p.UnitCode {
			total = u.Counts
		}
	}
	if total.Hosts == 0 {
		return nil, nil
	}
	lang := langOf(r)
	return &measureCard{Link: "/units/" + url.PathEscape(p.UnitCode) + "/coverage", Stats: []cardStat{
		{Label: i18n.T(lang, "cov.hosts"), Value: strconv.Itoa(total.Hosts)},
		{Label: i18n.T(lang, "cov.av"), Value: fmt.Sprintf("%d%%", hosts.Percent(total.Antivirus, total.Hosts)), Bad: total.Antivirus < total.Hosts},
		{Label: i18n.T(lang, "cov.fw"), Value: fmt.Sprintf("%d%%", hosts.Percent(total.Firewall, total.Hosts)), Bad: total.Firewall < total.Hosts},
		{Label: i18n.T(lang, "cov.agent"), Value: fmt.Sprintf("%d%%", hosts.Percent(total.AgentSeen, total.Hosts)), Bad: total.AgentSeen < total.Hosts},
		{Label: i18n.T(lang, "cov.findings"), Value: strconv.Itoa(total.OpenFinding), Bad: total.OpenFinding > 0, Link: "/findings?status=active&sort=severity&order=desc"},
	}}, nil
}

// hostsUnitSection adds coverage to a unit's page.
func (s *Server) hostsUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	all, err := s.Hosts.AllCoverage(r.Context())
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	for _, c := range all {
		if c.Unit != u.Code {
			continue
		}
		return &unitSection{Title: i18n.T(lang, "hosts.coverage"), Link: "/units/" + url.PathEscape(u.Code) + "/coverage", Stats: []cardStat{
			{Label: i18n.T(lang, "cov.hosts"), Value: strconv.Itoa(c.Hosts)},
			{Label: i18n.T(lang, "cov.av"), Value: fmt.Sprintf("%d%%", c.Percents.Antivirus), Bad: c.Antivirus < c.Hosts},
			{Label: i18n.T(lang, "cov.fw"), Value: fmt.Sprintf("%d%%", c.Percents.Firewall), Bad: c.Firewall < c.Hosts},
			{Label: i18n.T(lang, "cov.agent"), Value: fmt.Sprintf("%d%%", c.Percents.AgentSeen), Bad: c.AgentSeen < c.Hosts},
		}}, nil
	}
	return nil, nil
}

type hostsData struct {
	Hosts  []*hosts.Host
	Pager  *pager
	Filter url.Values
	Units  []*org.Unit
}

func (s *Server) uiHosts(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, hosts.HostSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := hostFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportHosts(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	hs, total, err := s.Hosts.ListHosts(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &hostsData{Hosts: hs, Pager: newPager(r, lp, len(hs), total), Filter: r.URL.Query(), Units: units}
	s.render(w, r, http.StatusOK, "hosts", s.newPage(r, "hosts", "hosts.title", d))
}

type hostData struct {
	Host     *hosts.HostDetail
	Changes  []changeView
	Pager    *pager // the changes'
	Tasks    []*hosts.Task
	Findings []findingView
	CanWrite bool
	Statuses []string
	SigAge   string

	// TasksTotal and FindingsTotal are the true counts; the page lists
	// the newest and links to the whole list when there are more.
	TasksTotal, FindingsTotal int

	// Missing and Match are the host's missing Microsoft updates and what
	// the vulnerability matcher last found (internal/vulnmatch).
	Missing []vulnmatch.MissingUpdate
	Match   *vulnmatch.HostState

	// Form is the scan request or a finding's change when the hub
	// refused it; FormFinding names the finding (0: the scan form).
	Form        *formState
	FormFinding int64
}

// FindingForm is the refused change of finding id, if that is the one.
func (d *hostData) FindingForm(id int64) *formState {
	if d.FormFinding == id {
		return d.Form
	}
	return nil
}

// ScanForm is the refused scan request, if any.
func (d *hostData) ScanForm() *formState { return d.FindingForm(0) }

func (s *Server) uiHost(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	// The page's list parameters are its change history's.
	lp, err := readList(r, hosts.ChangeSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportChanges(w, r, lp, hosts.ChangeFilter{HostID: id}); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	s.renderHost(w, r, http.StatusOK, id, nil, 0)
}

// renderHost shows host id's page; form, when set, is a refused scan
// request (finding 0) or change of finding.
func (s *Server) renderHost(w http.ResponseWriter, r *http.Request, status int, id int64, form *formState, finding int64) {
	ctx := r.Context()
	lp, err := readList(r, hosts.ChangeSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	h, err := s.Hosts.GetHost(ctx, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &hostData{Host: h, CanWrite: principalOf(r).CanWrite(h.UnitPath), Statuses: findings.Statuses, Form: form, FormFinding: finding}
	changes, total, err := s.Hosts.Changes(ctx, hosts.ChangeFilter{HostID: id, Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, c := range changes {
		d.Changes = append(d.Changes, viewChange(langOf(r), c))
	}
	d.Pager = newPager(r, lp, len(changes), total)
	if d.Tasks, d.TasksTotal, err = s.Hosts.ListTasks(ctx, hosts.TaskFilter{HostID: id, Limit: 20}); err != nil {
		s.uiError(w, r, err)
		return
	}
	fs, ftotal, err := s.Findings.List(ctx, findings.Filter{HostID: id, Limit: 200})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.FindingsTotal = ftotal
	d.Findings = viewFindings(fs)
	for _, c := range h.Controls {
		if !c.UpdatedAt.IsZero() {
			d.SigAge = humanAge(time.Since(c.UpdatedAt), langOf(r))
		}
	}
	if s.VulnMatch != nil {
		if d.Missing, err = s.VulnMatch.MissingUpdates(ctx, id); err == nil {
			d.Match, err = s.VulnMatch.State(ctx, id)
		}
		if err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	pg := s.newPage(r, "hosts", "hosts.title", d)
	pg.Title = h.Hostname
	s.render(w, r, status, "host", pg)
}

// changeView is one line of a host's history in words: the stored change
// keeps codes ("control_added", "antivirus:ClamAV", "enabled") that the
// page must not show.
type changeView struct {
	At                      time.Time
	What, Subject, Old, New string
}

func viewChange(lang string, c hosts.ChangeRecord) changeView {
	v := changeView{At: c.At, What: word(lang, "change", c.Kind), Subject: c.Subject, Old: c.Old, New: c.New}
	switch c.Kind {
	case asset.ChangeHostname, asset.ChangeOS, asset.ChangeKernel:
		v.Subject = "" // "hostname", "os", "kernel": the kind says it
	case asset.ChangeControlAdded, asset.ChangeControlRemoved, asset.ChangeControlEnabled, asset.ChangeControlDisabled:
		if kind, product, ok := strings.Cut(c.Subject, ":"); ok {
			v.Subject = word(lang, "control", kind) + ": " + product
		}
	}
	for _, val := range []*string{&v.Old, &v.New} {
		switch *val {
		case "enabled", "on":
			*val = i18n.T(lang, "control.on")
		case "disabled", "off":
			*val = i18n.T(lang, "control.off")
		}
	}
	return v
}

// word is the name of code in lang under prefix ("control", "antivirus"
// is "Phòng chống mã độc"), or code itself when it has none: codes from
// outside (an imported inventory) may be new.
func word(lang, prefix, code string) string {
	if w, ok := i18n.Lookup(lang, prefix+"."+code); ok {
		return w
	}
	return code
}

func humanAge(d time.Duration, lang string) string {
	days := int(d.Hours() / 24)
	if lang == "en" {
		if days >= 1 {
			return fmt.Sprintf("%d days", days)
		}
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	if days >= 1 {
		return fmt.Sprintf("%d ngày", days)
	}
	return fmt.Sprintf("%d giờ", int(d.Hours()))
}

func (s *Server) uiScanHost(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var paths []string
	for _, line := range strings.Split(r.PostFormValue("paths"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			paths = append(paths, line)
		}
	}
	if _, err := s.Hosts.CreateScanTask(r.Context(), id, agentapi.ScanParams{Paths: paths}); err != nil {
		if formError(err) {
			s.renderHost(w, r, statusOf(errs.Code(err)), id, newFormState(r, err, "paths"), 0)
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/hosts/"+strconv.FormatInt(id, 10))
}

func (s *Server) uiCoverage(w http.ResponseWriter, r *http.Request) {
	c, err := s.Hosts.UnitCoverage(r.Context(), r.PathValue("code"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	pg := s.newPage(r, "hosts", "hosts.coverage", c)
	pg.Title = i18n.T(pg.Lang, "hosts.coverage") + " — " + c.Name
	s.render(w, r, http.StatusOK, "coverage", pg)
}

// canEnroll: only those who may write a unit (its officers, the
// administrators) enrol agents; the page is not shown to others.
func canEnroll(p *auth.Principal) bool {
	return p != nil && (p.Role == auth.RoleAdmin || p.Role == auth.RoleOfficer)
}

type enrollData struct {
	Form   *formState // the create form, when it comes back refused
	Tokens []*hosts.EnrollmentToken
	Pager  *pager
	New    *hosts.EnrollmentToken
	Units  []*org.Unit
	Now    time.Time
	Server string
}

func (s *Server) enrollData(r *http.Request) (*enrollData, error) {
	lp, err := readList(r, hosts.EnrollmentTokenSortKeys)
	if err != nil {
		return nil, err
	}
	f := enrollmentFilter(r)
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Hosts.ListEnrollmentTokens(r.Context(), f)
	if err != nil {
		return nil, err
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		return nil, err
	}
	p := principalOf(r)
	d := &enrollData{Tokens: ts, Pager: newPager(r, lp, len(ts), total), Now: time.Now(), Server: "http://" + r.Host}
	if r.TLS != nil || s.SecureCookies {
		d.Server = "https://" + r.Host
	}
	for _, u := range units {
		if p.CanWrite(u.Path) {
			d.Units = append(d.Units, u)
		}
	}
	return d, nil
}

func (s *Server) uiEnrollment(w http.ResponseWriter, r *http.Request) {
	if !canEnroll(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("only a unit's officers and administrators enrol agents"))
		return
	}
	lp, err := readList(r, hosts.EnrollmentTokenSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportEnrollmentTokens(w, r, lp, enrollmentFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.enrollData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "enrollment", s.newPage(r, "hosts", "hosts.enroll", d))
}

func (s *Server) uiCreateEnrollment(w http.ResponseWriter, r *http.Request) {
	if !canEnroll(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("only a unit's officers and administrators enrol agents"))
		return
	}
	var maxUses int
	var err error
	if v := strings.TrimSpace(r.PostFormValue("max_uses")); v != "" {
		if maxUses, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("max_uses", "must be a whole number, not %q", v)
		}
	}
	var t *hosts.EnrollmentToken
	if err == nil {
		t, err = s.Hosts.CreateEnrollmentToken(r.Context(), hosts.EnrollmentTokenInput{Unit: r.PostFormValue("unit"), ExpiresIn: r.PostFormValue("expires_in"), MaxUses: maxUses})
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.enrollData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		d.Form, status = newFormState(r, err, "unit", "expires_in", "max_uses"), statusOf(errs.Code(err))
	}
	d.New = t
	s.render(w, r, status, "enrollment", s.newPage(r, "hosts", "hosts.enroll", d))
}

func (s *Server) uiRevokeEnrollment(w http.ResponseWriter, r *http.Request) {
	if !canEnroll(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("only a unit's officers and administrators enrol agents"))
		return
	}
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Hosts.RevokeEnrollmentToken(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/enrollment")
}
