package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
)

// measureCard is one of the directive's five measures on the dashboard.
type measureCard struct {
	Key   string // "m1".."m5"
	Link  string
	Stats []cardStat // empty: the card shows its empty state
	// Chart is a server-drawn SVG under the figures (health's uptime).
	Chart template.HTML
}

type cardStat struct {
	Label string
	Value string
	Bad   bool
	Link  string // where the figure's detail is; "" for none
}

type dashboardData struct {
	UnitCounts map[string]int
	Kinds      []string // kinds present, in display order
	UnitTotal  int
	Users      int
	Cards      []*measureCard
	Recent     []audit.View
}

func (s *Server) uiDashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := &dashboardData{}
	var err error
	if d.UnitCounts, err = s.Org.CountUnits(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, k := range org.Kinds {
		if n := d.UnitCounts[k]; n > 0 {
			d.Kinds = append(d.Kinds, k)
			d.UnitTotal += n
		}
	}
	if d.Users, err = s.Org.CountUsers(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	for i, prov := range s.measureCards() {
		key := "m" + strconv.Itoa(i+1)
		card := &measureCard{Key: key}
		if prov != nil {
			c, err := prov(r)
			if err != nil {
				s.uiError(w, r, err)
				return
			}
			if c != nil {
				card = c
				card.Key = key
			}
		}
		d.Cards = append(d.Cards, card)
	}
	recent, _, err := audit.List(ctx, s.DB, recentChanges)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Recent, err = audit.Describe(ctx, s.DB, recent, langOf(r)); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", s.newPage(r, "dashboard", "dash.title", d))
}

// unitNode is a unit placed in the tree for display.
type unitNode struct {
	*org.Unit
	Level int
}

type unitsData struct {
	Query    string
	Nodes    []unitNode
	Pager    *pager
	Filter   url.Values
	Parents  []*org.Unit
	Kinds    []string
	CanWrite bool
	Form     *formState // the create form, when it comes back refused
}

// allUnits pages through every unit in scope (a few thousand at most).
func (s *Server) allUnits(r *http.Request, q string) ([]*org.Unit, error) {
	var out []*org.Unit
	for {
		page, total, err := s.Org.ListUnits(r.Context(), org.UnitFilter{Query: q, Offset: len(out), Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

func canWriteSomewhere(p *auth.Principal) bool {
	return p.Role == auth.RoleAdmin || p.Role == auth.RoleOfficer
}

// unitsPage reads the units page's list: the tree, depth first, unless a
// column is chosen; each unit indented by its depth below the caller's
// top unit.
func (s *Server) unitsPage(r *http.Request, d *unitsData) error {
	q := r.URL.Query()
	if !q.Has("sort") {
		q.Set("sort", "tree")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, org.UnitSortKeys)
	if err != nil {
		return err
	}
	f := unitFilter(r)
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	units, total, err := s.Org.ListUnits(r.Context(), f)
	if err != nil {
		return err
	}
	top := strings.Count(principalOf(r).UnitPath, "/") - 2
	for _, u := range units {
		level := 0
		if lp.Sort == "tree" && !lp.Desc {
			level = max(u.Depth-top, 0)
		}
		d.Nodes = append(d.Nodes, unitNode{Unit: u, Level: level})
	}
	d.Query, d.Filter, d.Pager = f.Query, q, newPager(r, lp, len(units), total)
	return nil
}

func (s *Server) uiUnits(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, org.UnitSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportUnits(w, r, lp, unitFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	p := principalOf(r)
	d := &unitsData{Kinds: org.Kinds, CanWrite: canWriteSomewhere(p)}
	if err := s.unitsPage(r, d); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.CanWrite {
		if err := s.unitParents(r, d); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "units", s.newPage(r, "units", "units.title", d))
}

// unitParents lists the units the caller may add units under.
func (s *Server) unitParents(r *http.Request, d *unitsData) error {
	all, err := s.allUnits(r, "")
	if err != nil {
		return err
	}
	p := principalOf(r)
	for _, u := range all {
		if p.CanWrite(u.Path) && u.Kind != org.KindDistrict {
			d.Parents = append(d.Parents, u)
		}
	}
	return nil
}

func (s *Server) uiCreateUnit(w http.ResponseWriter, r *http.Request) {
	in := org.UnitInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Parent: r.PostFormValue("parent")}
	u, err := s.Org.CreateUnit(r.Context(), in)
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		d := &unitsData{Kinds: org.Kinds, CanWrite: true, Form: newFormState(r, err, "code", "name", "kind", "parent")}
		if lerr := s.unitsPage(r, d); lerr != nil {
			s.uiError(w, r, lerr)
			return
		}
		if lerr := s.unitParents(r, d); lerr != nil {
			s.uiError(w, r, lerr)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "units", s.newPage(r, "units", "units.title", d))
		return
	}
	redirectSaved(w, r, "/units/"+url.PathEscape(u.Code))
}

type unitData struct {
	Unit     *org.Unit
	Parent   *org.Unit
	Children []*org.Unit
	Contacts []*org.Contact
	Pager    *pager // the contacts'
	Users    []*org.User
	CanWrite bool
	Extra    []unitSection
	Form     *formState // the contact form, when it comes back refused

	// ChildrenTotal and UsersTotal are the true counts; the page lists
	// the first of them and links to the whole list when there are more.
	ChildrenTotal, UsersTotal int
}

// unitSection lets capabilities add a block to the unit page.
type unitSection struct {
	Title string
	Link  string
	Stats []cardStat
}

func (s *Server) uiUnit(w http.ResponseWriter, r *http.Request) {
	s.renderUnit(w, r, http.StatusOK, nil)
}

// renderUnit shows a unit's page, with the contact form's input and
// message when it comes back refused.
func (s *Server) renderUnit(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	ctx := r.Context()
	lp, err := readList(r, org.ContactSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportContacts(w, r, lp, org.ContactFilter{Unit: r.PathValue("code")}); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	u, err := s.Org.GetUnit(ctx, r.PathValue("code"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &unitData{Unit: u, CanWrite: principalOf(r).CanWrite(u.Path), Form: form}
	if u.Parent != "" {
		// The parent of a unit at the top of the caller's subtree is out
		// of scope: the page shows no link then, but a failure is a failure.
		if d.Parent, err = s.Org.GetUnit(ctx, u.Parent); errs.Code(err) == errs.ENOTFOUND {
			d.Parent = nil
		} else if err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	if d.Children, d.ChildrenTotal, err = s.Org.ListUnits(ctx, org.UnitFilter{Parent: u.Code, Sort: "name", Limit: 1000}); err != nil {
		s.uiError(w, r, err)
		return
	}
	cs, total, err := s.Org.Contacts(ctx, org.ContactFilter{Unit: u.Code, Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Contacts, d.Pager = cs, newPager(r, lp, len(cs), total)
	if d.Users, d.UsersTotal, err = s.Org.ListUsers(ctx, org.UserFilter{Unit: u.Code, Sort: "name", Limit: 200}); err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, section := range s.unitSections() {
		sec, err := section(r, u)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		if sec != nil {
			d.Extra = append(d.Extra, *sec)
		}
	}
	pg := s.newPage(r, "units", "units.title", d)
	pg.Title = u.Name
	s.render(w, r, status, "unit", pg)
}

func (s *Server) uiAddContact(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	in := org.ContactInput{Name: r.PostFormValue("name"), Position: r.PostFormValue("position"), Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	if _, err := s.Org.AddContact(r.Context(), code, in); err != nil {
		if formError(err) {
			s.renderUnit(w, r, statusOf(errs.Code(err)), newFormState(r, err, "name", "position", "phone", "email"))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/units/"+url.PathEscape(code))
}

func (s *Server) uiDeleteContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Org.DeleteContact(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, safeNext(r.PostFormValue("back")))
}

type usersData struct {
	Query     string
	Users     []*org.User
	Pager     *pager
	Filter    url.Values
	Units     []*org.Unit
	Roles     []auth.Role
	CanManage bool
	Form      *formState // the create form, when it comes back refused
}

// usersData is the users page: a page of the list and, for those who
// manage users, what the form offers. withList false leaves the list out
// (a user's own page needs only the form's choices).
func (s *Server) usersData(r *http.Request, withList bool) (*usersData, error) {
	p := principalOf(r)
	d := &usersData{CanManage: canWriteSomewhere(p)}
	if withList {
		lp, err := readList(r, org.UserSortKeys)
		if err != nil {
			return nil, err
		}
		f := userFilter(r)
		f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
		users, total, err := s.Org.ListUsers(r.Context(), f)
		if err != nil {
			return nil, err
		}
		d.Query, d.Users, d.Filter, d.Pager = f.Query, users, r.URL.Query(), newPager(r, lp, len(users), total)
	}
	if d.CanManage {
		units, err := s.allUnits(r, "")
		if err != nil {
			return nil, err
		}
		for _, u := range units {
			if p.CanWrite(u.Path) {
				d.Units = append(d.Units, u)
			}
		}
		for _, role := range auth.Roles {
			if p.Role == auth.RoleAdmin || role == auth.RoleOfficer || role == auth.RoleViewer {
				d.Roles = append(d.Roles, role)
			}
		}
	}
	return d, nil
}

func (s *Server) uiUsers(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, org.UserSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportUsers(w, r, lp, userFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.usersData(r, true)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "users", s.newPage(r, "users", "users.title", d))
}

func (s *Server) uiCreateUser(w http.ResponseWriter, r *http.Request) {
	in := org.UserInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Password: r.PostFormValue("password"), Role: r.PostFormValue("role"), Unit: r.PostFormValue("unit")}
	u, err := s.Org.CreateUser(r.Context(), in)
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		d, derr := s.usersData(r, true)
		if derr != nil {
			s.uiError(w, r, derr)
			return
		}
		d.Form = newFormState(r, err, "email", "name", "password", "role", "unit")
		s.render(w, r, statusOf(errs.Code(err)), "users", s.newPage(r, "users", "users.title", d))
		return
	}
	redirectSaved(w, r, "/users/"+strconv.FormatInt(u.ID, 10))
}

type userData struct {
	User      *org.User
	Units     []*org.Unit
	Roles     []auth.Role
	CanManage bool
	Self      bool
	Form      *formState // a change that comes back refused
}

func (s *Server) uiUser(w http.ResponseWriter, r *http.Request) {
	s.renderUser(w, r, http.StatusOK, nil)
}

// renderUser shows a user's page, with a refused change's input and
// message when form is set.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	id, err := pathInt(r, "id")
	var u *org.User
	if err == nil {
		u, err = s.Org.GetUser(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := principalOf(r)
	d := &userData{User: u, CanManage: p.CanManageUsers(u.UnitPath, u.Role), Self: u.ID == p.UserID, Form: form}
	if d.CanManage {
		ud, err := s.usersData(r, false)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		d.Units, d.Roles = ud.Units, ud.Roles
	}
	pg := s.newPage(r, "users", "users.title", d)
	pg.Title = u.Name
	s.render(w, r, status, "user", pg)
}

func (s *Server) uiUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var patch org.UserPatch
	f := func(name string) *string {
		if v, ok := r.PostForm[name]; ok && len(v) > 0 && v[0] != "" {
			return &v[0]
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form could not be read: %v", err))
		return
	}
	patch.Name, patch.Role, patch.Unit, patch.Password, patch.CurrentPassword = f("name"), f("role"), f("unit"), f("password"), f("current_password")
	switch r.PostFormValue("state") {
	case "disable":
		t := true
		patch.Disabled = &t
	case "enable":
		fa := false
		patch.Disabled = &fa
		patch.Unlock = true
	}
	if _, err := s.Org.UpdateUser(r.Context(), id, patch); err != nil {
		if formError(err) {
			s.renderUser(w, r, statusOf(errs.Code(err)), newFormState(r, err, "name", "role", "unit", "password", "current_password"))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/users/"+strconv.FormatInt(id, 10))
}

type tokensData struct {
	Tokens []*auth.APIToken
	Pager  *pager
	New    string
	Now    time.Time
	Form   *formState // the create form, when it comes back refused
}

// canUseTokens: API tokens are for people who work from the command line
// (vigil import, exports); a viewer only looks, so the page is not theirs.
func canUseTokens(p *auth.Principal) bool {
	return p != nil && p.Role != auth.RoleViewer
}

func (s *Server) uiTokens(w http.ResponseWriter, r *http.Request) {
	if !canUseTokens(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("your role does not use API tokens"))
		return
	}
	lp, err := readList(r, auth.TokenSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportTokens(w, r, lp, tokenFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	ts, pg, err := s.tokenPage(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "tokens", s.newPage(r, "tokens", "tokens.title", &tokensData{Tokens: ts, Pager: pg, Now: time.Now()}))
}

func (s *Server) uiCreateToken(w http.ResponseWriter, r *http.Request) {
	if !canUseTokens(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("your role does not use API tokens"))
		return
	}
	var secret string
	d, err := tokenLifetime(r.PostFormValue("expires_in"))
	if err == nil {
		_, secret, err = s.Auth.CreateToken(r.Context(), r.PostFormValue("name"), d)
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	ts, pg, lerr := s.tokenPage(r)
	if lerr != nil {
		s.uiError(w, r, lerr)
		return
	}
	data := &tokensData{Tokens: ts, Pager: pg, New: secret, Now: time.Now()}
	status := http.StatusOK
	if err != nil {
		data.Form, status = newFormState(r, err, "name", "expires_in"), statusOf(errs.Code(err))
	}
	// The secret is shown once, in this response, never in a URL.
	s.render(w, r, status, "tokens", s.newPage(r, "tokens", "tokens.title", data))
}

func (s *Server) uiRevokeToken(w http.ResponseWriter, r *http.Request) {
	if !canUseTokens(principalOf(r)) {
		s.uiError(w, r, errs.Forbidden("your role does not use API tokens"))
		return
	}
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Auth.RevokeToken(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/tokens")
}

type auditData struct {
	Records []audit.View
	Pager   *pager
	Filter  url.Values
	Actions []auditActionChoice
}

func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) {
	lp, f, err := auditList(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAudit(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	recs, total, err := audit.List(r.Context(), s.DB, f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	views, err := audit.Describe(r.Context(), s.DB, recs, lang)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	pg := newPager(r, lp, len(views), total.N)
	pg.Capped = total.Capped
	d := &auditData{Records: views, Pager: pg, Filter: r.URL.Query()}
	d.Actions = auditActions(lang, f.Action)
	s.render(w, r, http.StatusOK, "audit", s.newPage(r, "audit", "audit.title", d))
}
