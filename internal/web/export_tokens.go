package web

import (
	"net/http"
	"strconv"
	"time"

	"vigil/internal/auth"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
)

// Lists of tokens: API tokens and agent enrolment tokens, on the API and
// their pages, with their exports.

// tokenFilter reads the API token list's filters.
func tokenFilter(r *http.Request) auth.TokenFilter {
	return auth.TokenFilter{All: r.URL.Query().Get("all") == "1"}
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, auth.TokenSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := tokenFilter(r)
	if lp.Format != "" {
		if err := s.exportTokens(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Auth.ListTokens(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, ts, total)
}

// tokenPage reads the tokens page's list.
func (s *Server) tokenPage(r *http.Request) ([]*auth.APIToken, *pager, error) {
	lp, err := readList(r, auth.TokenSortKeys)
	if err != nil {
		return nil, nil, err
	}
	f := tokenFilter(r)
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Auth.ListTokens(r.Context(), f)
	if err != nil {
		return nil, nil, err
	}
	return ts, newPager(r, lp, len(ts), total), nil
}

// exportTokens writes the API tokens f selects as CSV or XLSX (their
// prefixes, never their secrets, which Vigil does not keep).
func (s *Server) exportTokens(w http.ResponseWriter, r *http.Request, lp listParams, f auth.TokenFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*auth.APIToken]{
		{"common.name", func(t *auth.APIToken) string { return t.Name }},
		{"tokens.prefix", func(t *auth.APIToken) string { return t.Prefix }},
		{"tokens.owner", func(t *auth.APIToken) string { return t.UserEmail }},
		{"common.created", func(t *auth.APIToken) string { return i18n.FormatTime(t.CreatedAt, lang) }},
		{"common.expires", func(t *auth.APIToken) string { return i18n.FormatTime(t.ExpiresAt, lang) }},
		{"common.last_used", func(t *auth.APIToken) string { return i18n.FormatTime(t.LastUsedAt, lang) }},
		{"common.status", func(t *auth.APIToken) string {
			switch {
			case !t.RevokedAt.IsZero():
				return i18n.T(lang, "tokens.revoked")
			case t.Active():
				return i18n.T(lang, "users.active")
			}
			return i18n.T(lang, "tokens.expired")
		}},
	}
	return exportList(w, r, lp, "api-tokens", cols, func(offset, limit int) ([]*auth.APIToken, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Auth.ListTokens(r.Context(), f)
	})
}

// enrollmentFilter reads the enrolment token list's filters.
func enrollmentFilter(r *http.Request) hosts.EnrollmentTokenFilter {
	return hosts.EnrollmentTokenFilter{Unit: r.URL.Query().Get("unit")}
}

func (s *Server) apiListEnrollmentTokens(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, hosts.EnrollmentTokenSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := enrollmentFilter(r)
	if lp.Format != "" {
		if err := s.exportEnrollmentTokens(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Hosts.ListEnrollmentTokens(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, ts, total)
}

// exportEnrollmentTokens writes the enrolment tokens f selects as CSV or
// XLSX (prefixes only; the secrets are not kept).
func (s *Server) exportEnrollmentTokens(w http.ResponseWriter, r *http.Request, lp listParams, f hosts.EnrollmentTokenFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	now := time.Now()
	cols := []exportColumn[*hosts.EnrollmentToken]{
		{"tokens.prefix", func(t *hosts.EnrollmentToken) string { return t.Prefix }},
		{"common.unit", func(t *hosts.EnrollmentToken) string { return t.Unit }},
		{"common.created", func(t *hosts.EnrollmentToken) string { return i18n.FormatTime(t.CreatedAt, lang) }},
		{"common.expires", func(t *hosts.EnrollmentToken) string { return i18n.FormatTime(t.ExpiresAt, lang) }},
		{"hosts.uses", func(t *hosts.EnrollmentToken) string { return strconv.Itoa(t.Uses) }},
		{"hosts.max_uses", func(t *hosts.EnrollmentToken) string { return strconv.Itoa(t.MaxUses) }},
		{"common.status", func(t *hosts.EnrollmentToken) string {
			switch {
			case !t.RevokedAt.IsZero():
				return i18n.T(lang, "tokens.revoked")
			case t.Active(now):
				return i18n.T(lang, "users.active")
			case t.Uses >= t.MaxUses:
				return i18n.T(lang, "tokens.used_up")
			}
			return i18n.T(lang, "tokens.expired")
		}},
	}
	return exportList(w, r, lp, "enrolment-tokens", cols, func(offset, limit int) ([]*hosts.EnrollmentToken, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Hosts.ListEnrollmentTokens(r.Context(), f)
	})
}
