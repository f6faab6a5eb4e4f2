package web

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/errs"
)

const oidcFlowCookie = "vigil_oidc"

func (s *Server) uiOIDCLogin(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.uiError(w, r, errs.NotFound("single sign-on"))
		return
	}
	url, flow := s.OIDC.Start()
	// Lax so the cookie comes back on the provider's top-level redirect.
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: flow.Encode(), Path: "/auth/oidc/", MaxAge: int(auth.FlowCookieMaxAge.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, url, http.StatusFound)
}

func (s *Server) uiOIDCCallback(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.uiError(w, r, errs.NotFound("single sign-on"))
		return
	}
	c, err := r.Cookie(oidcFlowCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: "", Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies})
	if err != nil {
		s.loginFailed(w, r, errs.Errorf(errs.EUNAUTHORIZED, "the sign-in took too long or cookies are blocked; start again"))
		return
	}
	flow, ok := auth.DecodeFlow(c.Value)
	if !ok {
		s.loginFailed(w, r, errs.Errorf(errs.EUNAUTHORIZED, "bad sign-in state; start again"))
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		s.loginFailed(w, r, errs.Errorf(errs.EUNAUTHORIZED, "the identity provider said: %s", e))
		return
	}
	claims, err := s.OIDC.Finish(r.Context(), flow, r.URL.Query().Get("state"), r.URL.Query().Get("code"))
	if err == nil {
		var p *auth.Principal
		p, err = s.Auth.SSOPrincipal(r.Context(), claims)
		if err == nil {
			sess, err := s.Auth.CreateSession(r.Context(), p, r.UserAgent())
			if err != nil {
				s.uiError(w, r, err)
				return
			}
			s.setSessionCookie(w, sess.Token, int(auth.SessionLifetime.Seconds()))
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
	}
	s.loginFailed(w, r, err)
}

func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, err error) {
	p := s.newPage(r, "login", "login.title", map[string]string{"Next": "/", "Email": ""})
	p.Error = err.Error()
	s.render(w, r, statusOf(errs.Code(err)), "login", p)
}
