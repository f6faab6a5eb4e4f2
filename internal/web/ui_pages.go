package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// measureCard is one of the directive's five measures on the dashboard.
type measureCard struct {
	Key   string // "m1".."m5"
	Link  string
	Stats []cardStat // empty: the card shows its empty state
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
	Parents  []*org.Unit
	Kinds    []string
	CanWrite bool
	Form     org.UnitInput
}

// allUnits pages through every unit in scope (a few thousand at most).
func (s *Server) allUnits(r *http.Request, q string) ([]*org.Unit, error) {
	var out []*org.Unit
	var after int64
	for {
		page, next, err := s.Org.ListUnits(r.Context(), org.UnitFilter{Query: q, After: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == 0 {
			return out, nil
		}
		after = next
	}
}

// treeOrder sorts units depth-first by path, children after their parent,
// and gives each its level relative to the shallowest shown.
func treeOrder(units []*org.Unit) []unitNode {
	byID := map[int64]*org.Unit{}
	children := map[int64][]*org.Unit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	var roots []*org.Unit
	for _, u := range units {
		if _, ok := byID[u.ParentID]; ok {
			children[u.ParentID] = append(children[u.ParentID], u)
		} else {
			roots = append(roots, u)
		}
	}
	var out []unitNode
	var walk func(u *org.Unit, level int)
	walk = func(u *org.Unit, level int) {
		out = append(out, unitNode{Unit: u, Level: level})
		for _, c := range children[u.ID] {
			walk(c, level+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

func canWriteSomewhere(p *auth.Principal) bool {
	return p.Role == auth.RoleAdmin || p.Role == auth.RoleOfficer
}

func (s *Server) uiUnits(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	units, err := s.allUnits(r, q)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &unitsData{Query: q, Nodes: treeOrder(units), Kinds: org.Kinds, CanWrite: canWriteSomewhere(principalOf(r))}
	if d.CanWrite {
		all := units
		if q != "" {
			if all, err = s.allUnits(r, ""); err != nil {
				s.uiError(w, r, err)
				return
			}
		}
		p := principalOf(r)
		for _, u := range all {
			if p.CanWrite(u.Path) && u.Kind != org.KindDistrict {
				d.Parents = append(d.Parents, u)
			}
		}
	}
	s.render(w, r, http.StatusOK, "units", s.newPage(r, "units", "units.title", d))
}

func (s *Server) uiCreateUnit(w http.ResponseWriter, r *http.Request) {
	in := org.UnitInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Parent: r.PostFormValue("parent")}
	u, err := s.Org.CreateUnit(r.Context(), in)
	if err != nil {
		if e, ok := errs.As(err); ok && (e.Code == errs.EINVALID || e.Code == errs.ECONFLICT) {
			units, lerr := s.allUnits(r, "")
			if lerr != nil {
				s.uiError(w, r, lerr)
				return
			}
			d := &unitsData{Nodes: treeOrder(units), Kinds: org.Kinds, CanWrite: true, Form: in}
			p := principalOf(r)
			for _, u := range units {
				if p.CanWrite(u.Path) && u.Kind != org.KindDistrict {
					d.Parents = append(d.Parents, u)
				}
			}
			pg := s.newPage(r, "units", "units.title", d)
			pg.Error = err.Error()
			s.render(w, r, http.StatusBadRequest, "units", pg)
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/units/"+url.PathEscape(u.Code))
}

type unitData struct {
	Unit     *org.Unit
	Parent   *org.Unit
	Children []*org.Unit
	Contacts []*org.Contact
	Users    []*org.User
	CanWrite bool
	Extra    []unitSection
}

// unitSection lets capabilities add a block to the unit page.
type unitSection struct {
	Title string
	Link  string
	Stats []cardStat
}

func (s *Server) uiUnit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := s.Org.GetUnit(ctx, r.PathValue("code"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &unitData{Unit: u, CanWrite: principalOf(r).CanWrite(u.Path)}
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
	if d.Children, _, err = s.Org.ListUnits(ctx, org.UnitFilter{Parent: u.Code, Limit: 1000}); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Contacts, err = s.Org.ListContacts(ctx, u.Code); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Users, _, err = s.Org.ListUsers(ctx, org.UserFilter{Unit: u.Code, Limit: 200}); err != nil {
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
	s.render(w, r, http.StatusOK, "unit", pg)
}

func (s *Server) uiAddContact(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	in := org.ContactInput{Name: r.PostFormValue("name"), Position: r.PostFormValue("position"), Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	if _, err := s.Org.AddContact(r.Context(), code, in); err != nil {
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
	Next      string
	Units     []*org.Unit
	Roles     []auth.Role
	CanManage bool
	Form      org.UserInput
}

func (s *Server) usersData(r *http.Request) (*usersData, error) {
	q := r.URL.Query()
	after, err := decodeCursor(q.Get("cursor"))
	if err != nil {
		return nil, err
	}
	users, next, err := s.Org.ListUsers(r.Context(), org.UserFilter{Query: q.Get("q"), Role: q.Get("role"), Unit: q.Get("unit"), After: after, Limit: 100})
	if err != nil {
		return nil, err
	}
	p := principalOf(r)
	d := &usersData{Query: q.Get("q"), Users: users, Next: encodeCursor(next), CanManage: canWriteSomewhere(p)}
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
	d, err := s.usersData(r)
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
		if e, ok := errs.As(err); ok && (e.Code == errs.EINVALID || e.Code == errs.ECONFLICT) {
			d, derr := s.usersData(r)
			if derr != nil {
				s.uiError(w, r, derr)
				return
			}
			in.Password = ""
			d.Form = in
			pg := s.newPage(r, "users", "users.title", d)
			pg.Error = err.Error()
			s.render(w, r, http.StatusBadRequest, "users", pg)
			return
		}
		s.uiError(w, r, err)
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
	// FieldErrors holds a message per form field, shown beside it.
	FieldErrors map[string]string
}

func (s *Server) uiUser(w http.ResponseWriter, r *http.Request) {
	s.renderUser(w, r, http.StatusOK, nil)
}

// renderUser shows a user's page, with a refused change's message beside
// its field when fieldErr is set.
func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, status int, fieldErr *errs.Error) {
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
	d := &userData{User: u, CanManage: p.CanManageUsers(u.UnitPath, u.Role), Self: u.ID == p.UserID}
	if d.CanManage {
		ud, err := s.usersData(r)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		d.Units, d.Roles = ud.Units, ud.Roles
	}
	pg := s.newPage(r, "users", "users.title", d)
	pg.Title = u.Name
	if fieldErr != nil {
		msg := fieldErr.Message
		if fieldErr.Field == "current_password" {
			msg = i18n.T(pg.Lang, "users.current_password_wrong")
			if strings.Contains(fieldErr.Message, "required") {
				msg = i18n.T(pg.Lang, "users.current_password_required")
			}
		}
		d.FieldErrors = map[string]string{fieldErr.Field: msg}
	}
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
		if e, ok := errs.As(err); ok && e.Code == errs.EINVALID && (e.Field == "current_password" || e.Field == "password") {
			s.renderUser(w, r, http.StatusBadRequest, e)
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/users/"+strconv.FormatInt(id, 10))
}

type tokensData struct {
	Tokens []*auth.APIToken
	New    string
	Now    time.Time
}

func (s *Server) uiTokens(w http.ResponseWriter, r *http.Request) {
	ts, _, err := s.Auth.ListTokens(r.Context(), auth.TokenFilter{Limit: 1000}) // the newest 1,000; the API pages on
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "tokens", s.newPage(r, "tokens", "tokens.title", &tokensData{Tokens: ts, Now: time.Now()}))
}

func (s *Server) uiCreateToken(w http.ResponseWriter, r *http.Request) {
	var d time.Duration
	if v := strings.TrimSpace(r.PostFormValue("expires_in")); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			s.uiError(w, r, errs.Invalid("expires_in", "is not a duration such as 720h: %q", v))
			return
		}
	}
	_, secret, err := s.Auth.CreateToken(r.Context(), r.PostFormValue("name"), d)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ts, _, err := s.Auth.ListTokens(r.Context(), auth.TokenFilter{Limit: 1000}) // the newest 1,000; the API pages on
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	// The secret is shown once, in this response, never in a URL.
	s.render(w, r, http.StatusOK, "tokens", s.newPage(r, "tokens", "tokens.title", &tokensData{Tokens: ts, New: secret, Now: time.Now()}))
}

func (s *Server) uiRevokeToken(w http.ResponseWriter, r *http.Request) {
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
	Next    string
	Filter  url.Values
	Actions []auditActionChoice
}

func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	recs, next, err := audit.List(r.Context(), s.DB, f)
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
	q := r.URL.Query()
	q.Del("cursor")
	q.Del("flash")
	d := &auditData{Records: views, Next: encodeCursor(next), Filter: q}
	d.Actions = auditActions(lang, f.Action)
	s.render(w, r, http.StatusOK, "audit", s.newPage(r, "audit", "audit.title", d))
}
