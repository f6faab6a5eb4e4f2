package web

import (
	"net/http"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/training"
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
		err := errs.Errorf(errs.EUNAUTHORIZED, "the identity provider said: %s", e)
		if flow.Purpose == auth.FlowLearner {
			s.renderLearn(w, r, http.StatusUnauthorized, "learn", "learn.title", &learnPage{Error: errorText(langOf(r), err), SSO: true})
			return
		}
		s.loginFailed(w, r, err)
		return
	}
	if flow.Purpose == auth.FlowLearner {
		s.learnSSOFinish(w, r, flow)
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

// uiLearnSSO starts an employee's SSO sign-in: the same provider and
// callback as officers', the flow marked for a learner.
func (s *Server) uiLearnSSO(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.learnError(w, r, errs.NotFound("single sign-on"))
		return
	}
	url, flow := s.OIDC.StartFor(auth.FlowLearner)
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: flow.Encode(), Path: "/auth/oidc/", MaxAge: int(auth.FlowCookieMaxAge.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, url, http.StatusFound)
}

// learnSSOFinish ends an employee's SSO sign-in: the verified identity
// (with its groups claim) becomes a learner session, never an officer's.
func (s *Server) learnSSOFinish(w http.ResponseWriter, r *http.Request, flow auth.Flow) {
	fail := func(err error) {
		if code := errs.Code(err); code == errs.EINTERNAL || code == "" {
			s.learnError(w, r, err)
			return
		}
		s.renderLearn(w, r, statusOf(errs.Code(err)), "learn", "learn.title", &learnPage{Error: errorText(langOf(r), err), SSO: true})
	}
	claim, err := s.Training.GroupsClaim(r.Context())
	if err != nil {
		fail(err)
		return
	}
	id, err := s.OIDC.FinishIdentity(r.Context(), flow, r.URL.Query().Get("state"), r.URL.Query().Get("code"), claim)
	if err != nil {
		fail(err)
		return
	}
	cookie, _, err := s.Training.SSOSignIn(r.Context(), training.SSOIdentity{Subject: id.Subject, Email: id.Email, Name: id.Name, Groups: id.Groups})
	if err != nil {
		fail(err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: learnCookie, Value: cookie, Path: "/learn", MaxAge: int(training.SessionLifetime.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/learn", http.StatusSeeOther)
}
