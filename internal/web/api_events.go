package web

import (
	"net/http"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/ingest"
	"vigil/internal/sources"
)

// The events API: senders post events with their source's token
// (internal/ingest decodes and publishes them). The token is checked
// before the body is read, so an anonymous flood of bodies costs a hash
// and a cached lookup each.

// sourceBearer returns the source token of an "Authorization: Bearer
// vgs_..." header, or "".
func sourceBearer(r *http.Request) string {
	scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(secret, sources.TokenPrefix) {
		return ""
	}
	return secret
}

// eventSource checks the request's source token.
func (s *Server) eventSource(r *http.Request, transport string) (sources.Identity, error) {
	token := sourceBearer(r)
	if token == "" {
		s.Ingest.RefuseToken(transport, sources.Identity{}, sources.ReasonUnknownToken)
		return sources.Identity{}, errs.Errorf(errs.EUNAUTHORIZED, "event source token required: send Authorization: Bearer <the source's token>")
	}
	id, err := s.Sources.Authenticate(r.Context(), token)
	if reason := sources.ReasonOf(err); reason != "" {
		s.Ingest.RefuseToken(transport, id, reason)
	}
	return id, err
}

// eventsAccepted is the events API's answer (ingest.Result).
type eventsAccepted = ingest.Result

func (s *Server) apiPostEvents(w http.ResponseWriter, r *http.Request) {
	id, err := s.eventSource(r, ingest.TransportHTTP)
	if err != nil {
		writeError(w, r, err)
		return
	}
	text := false
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	switch {
	// application/x-www-form-urlencoded is what curl --data sends when
	// told nothing: taken as JSON, as the body says.
	case ct == "", strings.HasPrefix(ct, "application/json"), strings.HasPrefix(ct, "application/x-www-form-urlencoded"), strings.HasPrefix(ct, "application/x-ndjson"),
		strings.HasPrefix(ct, "application/jsonl"), strings.HasPrefix(ct, "application/x-jsonlines"):
	case strings.HasPrefix(ct, "text/plain"):
		text = true
	default:
		writeError(w, r, errs.Invalid("", "Content-Type must be application/json, application/x-ndjson or text/plain"))
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, s.Ingest.MaxBody)
	body, err := ingest.ReadBody(r.Body, r.Header.Get("Content-Encoding"), s.Ingest.MaxBody)
	if err != nil {
		if errs.Code(err) == errs.ETOOLARGE {
			s.Ingest.RefuseToken(ingest.TransportHTTP, id, sources.ReasonOversize)
		}
		writeError(w, r, err)
		return
	}
	res, err := s.Ingest.Receive(r.Context(), id, s.clientIP(r), body, text)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

func (s *Server) apiPostEVTX(w http.ResponseWriter, r *http.Request) {
	id, err := s.eventSource(r, ingest.TransportEVTX)
	if err != nil {
		writeError(w, r, err)
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, s.Ingest.MaxEVTX)
	res, err := s.Ingest.ReceiveEVTX(r.Context(), id, s.clientIP(r), r.Body, r.URL.Query().Get("file"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}
