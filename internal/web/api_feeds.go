package web

import (
	"errors"
	"net/http"
	"path/filepath"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/errs"
	"vigil/internal/vuln"
)

// The vulnerability knowledge base's API: load a feed file (MSRC, NVD,
// KEV, EPSS; the hub detects which and parses it as it arrives), see what
// is loaded, look a CVE up.

// maxFeedBytes bounds one feed upload as sent (a gzip NVD year, an EPSS
// day, the whole KEV catalog fit easily); the service caps it again once
// decompressed.
const maxFeedBytes = 1 << 30

func (s *Server) apiImportFeed(w http.ResponseWriter, r *http.Request) {
	if !vuln.CanImport(principalOf(r)) {
		writeError(w, r, errs.Forbidden("only administrators and the SOC may load vulnerability feeds"))
		return
	}
	file := filepath.Base(r.URL.Query().Get("file"))
	if file == "" || file == "." || file == "/" {
		file = "feed"
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	// A large feed takes longer than the server's default read and write
	// deadlines; this request gets its own.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(time.Hour))
	_ = rc.SetWriteDeadline(time.Now().Add(time.Hour))
	r.Body = http.MaxBytesReader(w, r.Body, maxFeedBytes)
	res, err := s.Vuln.Import(r.Context(), r.Body, file)
	if err != nil {
		var mbe *http.MaxBytesError
		var ie *datafile.Error
		switch {
		case errors.As(err, &mbe):
			err = errs.Errorf(errs.ETOOLARGE, "%s: feed file larger than %d MiB; split it", file, maxFeedBytes>>20)
		case errors.As(err, &ie):
			err = &errs.Error{Code: errs.EINVALID, Field: ie.Field, Message: err.Error()}
		}
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiFeedStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.Vuln.Status(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiGetCVE(w http.ResponseWriter, r *http.Request) {
	d, err := s.Vuln.CVE(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
