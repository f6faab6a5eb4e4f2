package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/readiness"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func vnLocation() *time.Location { return i18n.Location }

// uiRenderer holds one parsed template set per page, each page joined with
// the layout.
type uiRenderer struct {
	pages map[string]*template.Template
}

func newUIRenderer() (*uiRenderer, error) {
	funcs := template.FuncMap{
		"t":        func(lang, key string) string { return i18n.T(lang, key) },
		"date":     func(lang string, t time.Time) string { return i18n.FormatDate(t, lang) },
		"datetime": func(lang string, t time.Time) string { return i18n.FormatTime(t, lang) },
		"month":    func(lang, ym string) string { return i18n.FormatMonth(ym, lang) },
		"kind":     func(lang, k string) string { return i18n.T(lang, "kind."+k) },
		// who names the person who did something; the hub's own work
		// (jobs, demo data) reads as the system, in the reader's language.
		"who":         whoText,
		"monthWords":  monthWords,
		"word":        word,
		"fieldError":  fieldError,
		"invalid":     invalid,
		"formOther":   formOther,
		"unitChoices": unitChoices,
		"role":        func(lang string, r any) string { return i18n.T(lang, fmt.Sprint("role.", r)) },
		"indent":      func(n int) string { return strings.Repeat("\u00a0\u00a0\u00a0\u00a0", n) },
		"query":       func(v url.Values) string { return v.Encode() },
		"num":         func(lang string, n int) string { return i18n.Number(n, lang) },
		"why":         reasonText,
		"uptime":      uptimeText,   // health: "99,5% (2% unknown)"
		"duration":    durationText, // health: "2 giờ 5 phút"
		"secs":        func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) },
		"tf": func(lang, key string, args ...any) string {
			return fmt.Sprintf(i18n.T(lang, key), args...)
		},
		"pct": func(a, b int) string {
			if b == 0 {
				return "—"
			}
			return fmt.Sprintf("%.0f%%", 100*float64(a)/float64(b))
		},
		"list": func(v ...string) []string { return v },
		"deref": func(v any) any {
			switch x := v.(type) {
			case *bool:
				if x == nil {
					return false
				}
				return *x
			case *time.Time:
				if x == nil {
					return time.Time{}
				}
				return *x
			}
			return v
		},
		// The duty roster's: a stored day (yyyy-mm-dd), hours, a weekday.
		"day":   func(lang, d string) string { return dayText(d, lang) },
		"hours": func(lang string, h float64) string { return hoursText(h, lang) },
		"weekday": func(lang string, t time.Time) string {
			return i18n.T(lang, fmt.Sprintf("weekday.%d", t.In(i18n.Location).Weekday()))
		},
		"weekParam": func(t time.Time) string { return t.In(i18n.Location).Format("2006-01-02") },
		// Readiness (ui_readiness.go): a cell's value, target, label, objects.
		"rdValue":  func(lang string, c *readiness.Cell) string { return readiness.FormatValue(c, lang) },
		"rdTarget": func(lang string, c *readiness.Cell) string { return readiness.FormatTarget(c, lang) },
		"rdLabel":  func(lang string, c *readiness.Cell) string { return criterionLabel(c, lang) },
		"rdLink":   readinessLink,
		"has": func(s []string, x string) bool {
			for _, v := range s {
				if v == x {
					return true
				}
			}
			return false
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &uiRenderer{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, e)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", e, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// page is what every template receives.
type page struct {
	Lang    string
	Title   string
	Nav     string
	User    *auth.Principal
	CSRF    string
	Flash   string
	Error   string
	Path    string
	Query   url.Values
	SSO     bool
	Version string
	Data    any
}

// CanUseTokens and CanEnroll say whether the navigation offers the API
// token and agent enrolment pages (whose handlers refuse the others).
func (p *page) CanUseTokens() bool { return canUseTokens(p.User) }
func (p *page) CanEnroll() bool    { return canEnroll(p.User) }

func langOf(r *http.Request) string {
	if c, err := r.Cookie("vigil_lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "vi"
}

func (s *Server) newPage(r *http.Request, nav, titleKey string, data any) *page {
	lang := langOf(r)
	p := &page{Lang: lang, Nav: nav, Title: i18n.T(lang, titleKey), User: principalOf(r), Path: r.URL.Path, Query: r.URL.Query(), Version: s.Version, Data: data}
	if p.User != nil {
		p.CSRF = p.User.SessionCSRF
	}
	p.SSO = s.OIDC != nil
	if f := r.URL.Query().Get("flash"); f == "saved" {
		p.Flash = i18n.T(lang, "common.saved")
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := s.ui.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.Logger.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// uiError renders an error page (or redirects to sign-in) for err, inside
// the layout and in the reader's language.
func (s *Server) uiError(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.Code(err)
	if code == errs.EUNAUTHORIZED && principalOf(r) == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if e, ok := errs.As(err); ok {
		setRetryAfter(w, e)
	}
	lang := langOf(r)
	var msg string
	switch code {
	case errs.ENOTFOUND:
		msg = i18n.T(lang, "err.notfound")
	case errs.EFORBIDDEN:
		msg = i18n.T(lang, "err.forbidden") + " " + errorText(lang, err)
	case errs.EINTERNAL:
		s.Logger.Error("ui", "path", r.URL.Path, "err", err)
		msg = i18n.T(lang, "err.internal")
	default:
		msg = errorText(lang, err)
	}
	s.render(w, r, statusOf(code), "error", s.newPage(r, "", "err.title", msg))
}

// uiNotFound answers a page path the hub does not serve: the layout with
// a message in the reader's language, not the mux's plain English.
func (s *Server) uiNotFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", s.newPage(r, "", "err.title", i18n.T(langOf(r), "err.page")))
}

// messageOf is a service error's message in lang without its field: what
// a form shows beside the field. Every page's form errors pass through it
// (or errorText), so they are in the reader's language.
func messageOf(lang string, err error) string { return i18n.ErrorMessage(lang, err) }

// errorText is a service error's message in lang led by its field's name:
// what a page shows above a form or on an error page.
func errorText(lang string, err error) string { return i18n.ErrorText(lang, err) }

// uiAuth wraps a page handler that needs a signed-in user.
func (s *Server) uiAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if principalOf(r) == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

func (s *Server) setSessionCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) uiLoginPage(w http.ResponseWriter, r *http.Request) {
	if principalOf(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p := s.newPage(r, "login", "login.title", map[string]string{"Next": safeNext(r.URL.Query().Get("next")), "Email": ""})
	s.render(w, r, http.StatusOK, "login", p)
}

// safeNext keeps redirects on this site: a path starting with one slash,
// with no backslash or control character (browsers drop tabs and newlines,
// turning "/\t/evil.example" into "//evil.example"), no scheme and no host.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	prin, err := s.Auth.Login(r.Context(), email, password)
	if err != nil {
		p := s.newPage(r, "login", "login.title", map[string]string{"Next": next, "Email": email})
		if errs.Code(err) == errs.EUNAUTHORIZED && err == error(auth.ErrBadCredentials) {
			p.Error = i18n.T(p.Lang, "login.failed")
		} else {
			p.Error = errorText(p.Lang, err)
		}
		status := statusOf(errs.Code(err))
		if e, ok := errs.As(err); ok {
			setRetryAfter(w, e)
		}
		s.render(w, r, status, "login", p)
		return
	}
	sess, err := s.Auth.CreateSession(r.Context(), prin, r.UserAgent())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.setSessionCookie(w, sess.Token, int(auth.SessionLifetime.Seconds()))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) {
	s.setSessionCookie(w, "", -1)
	if c, err := r.Cookie(sessionCookie); err == nil {
		// A session the hub failed to end stays valid for whoever holds
		// its cookie: say so rather than pretend the sign-out worked.
		if err := s.Auth.EndSession(r.Context(), c.Value); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) uiSetLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "en" {
		lang = "vi"
	}
	http.SetCookie(w, &http.Cookie{Name: "vigil_lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
	back := safeNext(r.URL.Query().Get("back"))
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// redirectSaved sends the browser back with a flash message.
func redirectSaved(w http.ResponseWriter, r *http.Request, to string) {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	http.Redirect(w, r, to+sep+"flash=saved", http.StatusSeeOther)
}

// whoText names an actor: the system in words, a user by e-mail.
func whoText(lang, actor string) string {
	if actor == "system" {
		return i18n.T(lang, "audit.actor.system")
	}
	return actor
}

// monthWords is a month (YYYY-MM) in words: "tháng 12/2026", "12/2026".
func monthWords(lang, m string) string {
	return fmt.Sprintf(i18n.T(lang, "common.month_of"), monthText(m))
}
