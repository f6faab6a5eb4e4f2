package web

import (
	"net/http"
	"strconv"

	"vigil/internal/i18n"
	"vigil/internal/org"
)

// Exports of the organisation's lists: units and users.

// exportUnits writes the units f selects, in lp's order, as CSV or XLSX.
func (s *Server) exportUnits(w http.ResponseWriter, r *http.Request, lp listParams, f org.UnitFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*org.Unit]{
		{"common.code", func(u *org.Unit) string { return u.Code }},
		{"common.name", func(u *org.Unit) string { return u.Name }},
		{"common.kind", func(u *org.Unit) string { return i18n.T(lang, "kind."+u.Kind) }},
		{"common.parent", func(u *org.Unit) string { return u.Parent }},
		{"common.created", func(u *org.Unit) string { return i18n.FormatTime(u.CreatedAt, lang) }},
	}
	return exportList(w, r, lp, "units", cols, func(offset, limit int) ([]*org.Unit, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Org.ListUnits(r.Context(), f)
	})
}

// exportUsers writes the users f selects, in lp's order, as CSV or XLSX.
func (s *Server) exportUsers(w http.ResponseWriter, r *http.Request, lp listParams, f org.UserFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*org.User]{
		{"common.id", func(u *org.User) string { return strconv.FormatInt(u.ID, 10) }},
		{"common.name", func(u *org.User) string { return u.Name }},
		{"common.email", func(u *org.User) string { return u.Email }},
		{"common.role", func(u *org.User) string { return i18n.T(lang, "role."+string(u.Role)) }},
		{"common.unit", func(u *org.User) string { return u.Unit + " " + u.UnitName }},
		{"common.status", func(u *org.User) string {
			switch {
			case u.Disabled:
				return i18n.T(lang, "users.disabled")
			case u.Locked:
				return i18n.T(lang, "users.locked")
			}
			return i18n.T(lang, "users.active")
		}},
		{"users.last_login", func(u *org.User) string { return i18n.FormatTime(u.LastLoginAt, lang) }},
		{"common.created", func(u *org.User) string { return i18n.FormatTime(u.CreatedAt, lang) }},
	}
	return exportList(w, r, lp, "users", cols, func(offset, limit int) ([]*org.User, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Org.ListUsers(r.Context(), f)
	})
}

// exportContacts writes a unit's contacts, in lp's order, as CSV or XLSX.
func (s *Server) exportContacts(w http.ResponseWriter, r *http.Request, lp listParams, f org.ContactFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*org.Contact]{
		{"common.unit", func(c *org.Contact) string { return c.Unit }},
		{"common.name", func(c *org.Contact) string { return c.Name }},
		{"common.position", func(c *org.Contact) string { return c.Position }},
		{"common.phone", func(c *org.Contact) string { return c.Phone }},
		{"common.email", func(c *org.Contact) string { return c.Email }},
		{"common.created", func(c *org.Contact) string { return i18n.FormatTime(c.CreatedAt, lang) }},
	}
	return exportList(w, r, lp, "contacts-"+f.Unit, cols, func(offset, limit int) ([]*org.Contact, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Org.Contacts(r.Context(), f)
	})
}
