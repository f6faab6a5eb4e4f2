package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/datafile"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

func principalOf(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// loggerKey carries the server's configured logger in a request's context.
type loggerKey struct{}

// logger returns the server's configured logger (Config.Logger), which the
// outermost middleware puts in every request's context; slog.Default only
// for a handler called without the server's middleware.
func logger(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// tokenRequest exchanges a password for an API token (for the CLI).
type tokenRequest struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	Name      string `json:"name,omitempty"`
	ExpiresIn string `json:"expires_in,omitempty"` // days ("1"), the last day ("31/12/2026") or a duration ("24h"); default 1 day
}

type tokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

type me struct {
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Role  auth.Role `json:"role"`
	Unit  string    `json:"unit"`
	Via   string    `json:"via"`
}

type tokenCreate struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expires_in"` // days ("30"), the last day ("31/12/2026") or a duration ("720h"); default 90 days
}

// signInBodyLimit bounds the anonymous sign-in body: an e-mail, a
// password and a token name fit many times over, and a flood of large
// bodies costs the hub no more than this each.
const signInBodyLimit = 16 << 10

func (s *Server) apiLoginToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := s.decodeJSONLimit(w, r, &req, signInBodyLimit); err != nil {
		writeError(w, r, err)
		return
	}
	ctx := r.Context()
	p, err := s.Auth.Login(ctx, req.Email, req.Password)
	if err != nil {
		writeError(w, r, err)
		return
	}
	expires := 24 * time.Hour
	if strings.TrimSpace(req.ExpiresIn) != "" {
		if expires, err = tokenLifetime(req.ExpiresIn); err != nil {
			writeError(w, r, err)
			return
		}
	}
	name := req.Name
	if name == "" {
		name = "sign-in " + time.Now().UTC().Format("2006-01-02 15:04")
	}
	t, secret, err := s.Auth.CreateToken(auth.WithPrincipal(ctx, p), name, expires)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenResponse{Token: secret, ExpiresAt: t.ExpiresAt})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	writeJSON(w, http.StatusOK, me{Email: p.Email, Name: p.Name, Role: p.Role, Unit: p.UnitCode, Via: p.Via})
}

// unitFilter reads the units list's filters.
func unitFilter(r *http.Request) org.UnitFilter {
	q := r.URL.Query()
	return org.UnitFilter{Query: q.Get("q"), Kind: q.Get("kind"), Parent: q.Get("parent"), Under: q.Get("under")}
}

func (s *Server) apiListUnits(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, org.UnitSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := unitFilter(r)
	if lp.Format != "" {
		if err := s.exportUnits(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	units, total, err := s.Org.ListUnits(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, units, total)
}

func (s *Server) apiCreateUnit(w http.ResponseWriter, r *http.Request) {
	var in org.UnitInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.Org.CreateUnit(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) apiImportUnits(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.BodyLimit)
	file := r.URL.Query().Get("file")
	if file == "" {
		file = "units.csv"
	}
	rows, err := org.ParseUnitsCSV(file, r.Body)
	if err == nil {
		var res *org.ImportResult
		res, err = s.Org.ImportUnits(r.Context(), file, rows)
		if err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	var ie *datafile.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errs.Errorf(errs.ETOOLARGE, "CSV is larger than the limit of %d bytes", s.BodyLimit)
	case errors.As(err, &ie):
		err = &errs.Error{Code: errs.EINVALID, Field: ie.Field, Message: ie.Error() + "; nothing was imported"}
	}
	writeError(w, r, err)
}

func (s *Server) apiGetUnit(w http.ResponseWriter, r *http.Request) {
	u, err := s.Org.GetUnit(r.Context(), r.PathValue("code"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiUpdateUnit(w http.ResponseWriter, r *http.Request) {
	var patch org.UnitPatch
	if err := s.decodeJSON(w, r, &patch); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.Org.UpdateUnit(r.Context(), r.PathValue("code"), patch)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiDeleteUnit(w http.ResponseWriter, r *http.Request) {
	if err := s.Org.DeleteUnit(r.Context(), r.PathValue("code")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiListContacts(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, org.ContactSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := org.ContactFilter{Unit: r.PathValue("code")}
	if lp.Format != "" {
		if err := s.exportContacts(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	cs, total, err := s.Org.Contacts(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, cs, total)
}

func (s *Server) apiAddContact(w http.ResponseWriter, r *http.Request) {
	var in org.ContactInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Org.AddContact(r.Context(), r.PathValue("code"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiDeleteContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Org.DeleteContact(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// userFilter reads the users list's filters.
func userFilter(r *http.Request) org.UserFilter {
	q := r.URL.Query()
	return org.UserFilter{Query: q.Get("q"), Role: q.Get("role"), Unit: q.Get("unit")}
}

func (s *Server) apiListUsers(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, org.UserSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := userFilter(r)
	if lp.Format != "" {
		if err := s.exportUsers(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	users, total, err := s.Org.ListUsers(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, users, total)
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	var in org.UserInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.Org.CreateUser(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) apiGetUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var u *org.User
	if err == nil {
		u, err = s.Org.GetUser(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var patch org.UserPatch
	if err := s.decodeJSON(w, r, &patch); err != nil {
		writeError(w, r, err)
		return
	}
	u, err := s.Org.UpdateUser(r.Context(), id, patch)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var in tokenCreate
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	d, err := tokenLifetime(in.ExpiresIn)
	if err != nil {
		writeError(w, r, err)
		return
	}
	t, secret, err := s.Auth.CreateToken(r.Context(), in.Name, d)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenResponse{Token: secret, ExpiresAt: t.ExpiresAt})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Auth.RevokeToken(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	lp, f, err := auditList(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	lang, err := apiLang(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAudit(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	recs, total, err := audit.List(r.Context(), s.DB, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	views, err := audit.Describe(r.Context(), s.DB, recs, lang)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePageCapped(w, lp, auditItems(views), total.N, total.Capped)
}

// auditList reads the audit log's list parameters (50 rows a page unless
// ?limit= says) and filters.
func auditList(r *http.Request) (listParams, audit.Filter, error) {
	q := r.URL.Query()
	lp, err := readList(r, audit.SortKeys)
	if err != nil {
		return lp, audit.Filter{}, err
	}
	if q.Get("limit") == "" {
		lp.Limit = 50
	}
	f := audit.Filter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), ObjectType: q.Get("object_type"),
		ObjectID: q.Get("object_id"), UnitCode: strings.TrimSpace(q.Get("unit")),
		Oldest: lp.Sort == "at" && !lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	if f.ActorKind, err = auditActorKind(q); err != nil {
		return lp, f, err
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := parseDateParam(v)
		if err != nil {
			return lp, f, errs.Invalid(p.name, "must be a date (dd/mm/yyyy or yyyy-mm-dd) or RFC 3339 time")
		}
		*p.dst = t
	}
	return lp, f, nil
}

// parseDateParam accepts RFC 3339, yyyy-mm-dd and dd/mm/yyyy (dates at
// midnight in Asia/Ho_Chi_Minh).
func parseDateParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, v, vnLocation()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("bad date")
}

// tokenLifetime reads an API token's expires_in: days ("30", "30 ngày"),
// the last day ("31/12/2026") or, as before, a Go duration ("720h"); ""
// leaves the default to auth.
func tokenLifetime(v string) (time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	d, ok := i18n.ParseLifetime(v, time.Now())
	if !ok {
		return 0, errs.Invalid("expires_in", "%q is not a number of days (30), a last day (31/12/2026) or a duration (720h)", v)
	}
	if d <= 0 {
		return 0, errs.Invalid("expires_in", "must be from 1 minute to %d days", int(auth.MaxTokenLifetime/(24*time.Hour)))
	}
	return d, nil
}
