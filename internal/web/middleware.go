package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/attach"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/hosts"
	"vigil/internal/sources"
	"vigil/internal/taxii"
)

const sessionCookie = "vigil_session"

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// apiCatchAll is the pattern that answers unknown API paths with a JSON
// 404, pageCatchAll unknown pages with a page; metrics count those as
// unmatched.
const (
	apiCatchAll  = "/api/"
	pageCatchAll = "/"
)

// routeKey carries a *string through the middleware to the mux, which
// fills it with the pattern that served the request: the middleware pass
// the mux a copy of the request (WithContext), so observe's own r.Pattern
// stays empty.
type routeKey struct{}

// recordRoute wraps the mux and reports the pattern it chose to observe.
func recordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = r.Pattern
		}
	})
}

// observe logs each request and feeds the metrics, labelled by the route
// pattern ("GET /api/v1/hosts/{id}"); requests no route matched (404s,
// the API's catch-all included) are "unmatched". Query strings are not
// logged: they may carry search terms about people.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var route string
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, &route)))
		d := time.Since(start)
		if route == "" || route == apiCatchAll || route == pageCatchAll {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
		s.latency.WithLabelValues(route).Observe(d.Seconds())
		if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
			s.Logger.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", d)
		}
	})
}

// recoverPanic is the outermost middleware: it also gives every request
// the server's logger (see logger).
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), loggerKey{}, s.Logger))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, r, errs.Errorf(errs.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only our own scripts and styles: no inline
// script, no eval, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// hsts is sent whenever the hub is reached over HTTPS: served with TLS, or
// behind a TLS-terminating proxy (--secure-cookies says so). Two years and
// subdomains, as the HSTS preload list asks.
const hsts = "max-age=63072000; includeSubDomains"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.TLS != nil || s.SecureCookies {
			h.Set("Strict-Transport-Security", hsts)
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate resolves the caller from a bearer token or the session
// cookie and puts it, with the client address, in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithClientIP(r.Context(), s.clientIP(r))
		if strings.HasPrefix(r.URL.Path, taxii.Root) {
			// The TAXII 2.1 server authenticates its callers itself: HTTP
			// Basic or Bearer with API tokens, never the session cookie.
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		var p *auth.Principal
		var err error
		if h := r.Header.Get("Authorization"); h != "" && r.URL.Path != "/metrics" {
			// (/metrics checks its own token, which is no one's identity.)
			scheme, secret, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || secret == "" {
				writeError(w, r, errs.Errorf(errs.EUNAUTHORIZED, "Authorization must be \"Bearer <token>\""))
				return
			}
			secret = strings.TrimSpace(secret)
			if strings.HasPrefix(secret, sources.TokenPrefix) {
				// A source token admits to the events API, which checks
				// it (api_events.go); it is no one's identity either.
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			if strings.HasPrefix(secret, hosts.EnrollmentTokenPrefix) {
				// An enrolment token admits to one endpoint, which
				// checks it (apiEnroll); it is no one's identity.
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			p, err = s.bearerPrincipal(r, secret)
			if err != nil {
				writeError(w, r, err)
				return
			}
			if p == nil {
				writeError(w, r, errs.Errorf(errs.EUNAUTHORIZED, "the token is unknown, expired or revoked"))
				return
			}
		} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && !notOfficerPage(r.URL.Path) {
			p, err = s.Auth.SessionPrincipal(ctx, c.Value)
			if err != nil {
				writeError(w, r, err)
				return
			}
		}
		if p != nil {
			p.IP = auth.ClientIP(ctx)
			ctx = auth.WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// notOfficerPage tells the pages that are no officer's: the learner's
// pages (their own cookie and CSRF token, ui_learn.go) and what a drill
// message points at (routes_phishing.go). An officer signed in in the same
// browser sends the officer's cookie there too; resolving it would make the
// csrf middleware demand the officer's token from the employee's form (and
// would put the officer's name on the employee's actions), so it is not
// read there.
func notOfficerPage(path string) bool {
	return path == "/learn" || strings.HasPrefix(path, "/learn/") || strings.HasPrefix(path, "/p/") || path == "/phish/report"
}

// bearerPrincipal resolves a bearer secret: an endpoint agent's
// credentials ("agent.<id>.<secret>") or an API token.
func (s *Server) bearerPrincipal(r *http.Request, secret string) (*auth.Principal, error) {
	if strings.HasPrefix(secret, "agent.") {
		id, sec, err := agentapi.ParseBearer("Bearer " + secret)
		if err != nil {
			return nil, nil
		}
		return s.Hosts.AgentPrincipal(r.Context(), id, sec)
	}
	return s.Auth.TokenPrincipal(r.Context(), secret)
}

// csrf refuses state-changing requests authenticated by the session cookie
// unless they carry the session's CSRF token (form field or header). Bearer
// requests carry no ambient credentials and need none.
func (s *Server) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		p := auth.FromContext(r.Context())
		if p == nil || p.Via != "session" {
			next.ServeHTTP(w, r)
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" && isForm(r) {
			r.Body = http.MaxBytesReader(w, r.Body, s.formLimit(r))
			if isMultipart(r) {
				token = peekMultipartField(r, "csrf")
			}
			if token == "" {
				token = r.PostFormValue("csrf")
			}
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(p.SessionCSRF)) != 1 {
			writeError(w, r, errs.Forbidden("missing or wrong CSRF token; reload the page and try again"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// uploadSlack is what an upload form may carry besides its file: the
// other fields and the multipart framing.
const uploadSlack = 1 << 20

// uploadRoutes are the page forms that take an evidence file: their body
// may be as large as attach.MaxSize allows (plus uploadSlack), not just
// BodyLimit, so a file between the two reaches the handler, which keeps
// the form and says beside the field when the file is too large.
var uploadRoutes = func() *http.ServeMux {
	m := http.NewServeMux()
	for _, p := range []string{
		"POST /incidents/{id}/evidence",
		"POST /readiness/{id}/units/{unit}/attest",
		"POST /watchlist/hits/{id}",
	} {
		m.Handle(p, http.NotFoundHandler())
	}
	return m
}()

// formLimit is the largest form body r's route takes.
func (s *Server) formLimit(r *http.Request) int64 {
	if isMultipart(r) {
		if _, pattern := uploadRoutes.Handler(r); pattern != "" {
			return max(s.BodyLimit, attach.MaxSize+uploadSlack)
		}
	}
	return s.BodyLimit
}

// peekMultipartField reads a multipart body's leading text fields up to
// the first file (at most 64 KiB) and returns the value of the field
// called name, if found there. The body is put back as it was: the
// handler still reads the whole form, under its own size limit, so a
// page form's CSRF token (its first field) is checked without reading a
// large file first.
func peekMultipartField(r *http.Request, name string) string {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return ""
	}
	var seen bytes.Buffer
	body := r.Body
	mr := multipart.NewReader(io.TeeReader(io.LimitReader(body, 64<<10), &seen), params["boundary"])
	var value string
	for i := 0; i < 16; i++ {
		part, err := mr.NextPart()
		if err != nil || part.FileName() != "" {
			break
		}
		if part.FormName() == name {
			v, _ := io.ReadAll(io.LimitReader(part, 1<<10))
			value = string(v)
			break
		}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(&seen, body), body}
	return value
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}
