package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
)

// maxIntelBytes bounds one intelligence file as sent; the indicator cap
// (--intel-max-indicators) usually stops a file first. It replaces the
// hub's general body limit for this route, as the scan import's does.
const maxIntelBytes = 256 << 20

func intelImportInput(r *http.Request) intel.ImportInput {
	q := r.URL.Query()
	name := q.Get("file")
	if name == "" {
		name = q.Get("name")
	}
	name = filepath.Base(name)
	if name == "" || name == "." || name == "/" {
		name = "indicators"
	}
	return intel.ImportInput{Name: name, List: q.Get("list"), Unit: q.Get("unit"), Source: q.Get("source"), TLP: q.Get("tlp"), Report: q.Get("report"),
		Action: q.Get("action"), Severity: q.Get("severity"), Reason: q.Get("reason")}
}

func (s *Server) apiIntelImport(w http.ResponseWriter, r *http.Request) {
	in := intelImportInput(r)
	// Permission first: a caller who may not import must not make the hub
	// read a large file.
	if err := s.Intel.CanImport(r.Context(), in); err != nil {
		writeError(w, r, err)
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(30 * time.Minute))
	_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Minute))
	r.Body = http.MaxBytesReader(w, r.Body, maxIntelBytes)
	in.Data = r.Body
	res, err := s.Intel.Import(r.Context(), in)
	if err != nil {
		writeError(w, r, intelFileError(in.Name, err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// intelFileError says a body over the limit in the API's words.
func intelFileError(name string, err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.Errorf(errs.ETOOLARGE, "%s: file larger than %d MiB; split it", name, maxIntelBytes>>20)
	}
	if e, ok := errs.As(err); ok && strings.Contains(e.Message, "request body too large") {
		return errs.Errorf(errs.ETOOLARGE, "%s: file larger than %d MiB; split it", name, maxIntelBytes>>20)
	}
	return err
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFound("warning list")
	}
	return id, nil
}

func intelIndicatorFilter(r *http.Request) (intel.IndicatorFilter, error) {
	q := r.URL.Query()
	f := intel.IndicatorFilter{Kind: q.Get("kind"), Source: q.Get("source"), TLP: q.Get("tlp"), Q: q.Get("q"), Status: q.Get("status")}
	if v := q.Get("list"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("list", "must be a list id")
		}
		f.List = id
	}
	return f, nil
}

func (s *Server) apiIntelIndicators(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, intel.IndicatorSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := intelIndicatorFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.Sort, f.Desc = lp.Sort, lp.Desc
	if lp.Format != "" {
		if err := s.exportIndicators(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	items, total, err := s.Intel.Indicators(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, items, total)
}

func (s *Server) apiIntelTemplate(w http.ResponseWriter, r *http.Request) {
	b, err := format.Template()
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="vigil-warning-list-template.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (s *Server) apiWatchlists(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, intel.ListSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := intel.ListFilter{Status: q.Get("status"), Month: q.Get("month"), Q: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc}
	if lp.Format != "" {
		if err := s.exportWatchlists(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	items, total, err := s.Intel.Lists(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, items, total)
}

func (s *Server) apiCreateWatchlist(w http.ResponseWriter, r *http.Request) {
	if from := r.URL.Query().Get("from"); from != "" {
		id, err := strconv.ParseInt(from, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, r, errs.Invalid("list", "must be a list id"))
			return
		}
		l, err := s.Intel.NewVersion(r.Context(), id)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, l)
		return
	}
	var in intel.ListInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.Intel.CreateList(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiGetWatchlist(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.Intel.GetList(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func entryFilter(r *http.Request) intel.EntryFilter {
	q := r.URL.Query()
	return intel.EntryFilter{Kind: q.Get("kind"), Unit: q.Get("unit"), Severity: q.Get("severity"), Action: q.Get("action"), Q: q.Get("q")}
}

func (s *Server) apiWatchlistEntries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, intel.EntrySortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := entryFilter(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	if lp.Format != "" {
		if err := s.exportEntries(w, r, lp, id, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	items, total, err := s.Intel.Entries(r.Context(), id, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, items, total)
}

func (s *Server) apiAddWatchlistEntries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in intel.EntryInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.Intel.AddEntries(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// removedBody answers a removal of entries.
type removedBody struct {
	Removed int `json:"removed"`
}

func (s *Server) apiRemoveWatchlistEntries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in intel.RemoveInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.Intel.RemoveEntries(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, removedBody{Removed: n})
}

func (s *Server) apiPublishWatchlist(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.Intel.Publish(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// withdrawBody is why a list is withdrawn (optional).
type withdrawBody struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) apiWithdrawWatchlist(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in withdrawBody
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
	}
	l, err := s.Intel.Withdraw(r.Context(), id, in.Reason)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiExportWatchlist(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.writeListExport(w, r, id, r.URL.Query().Get("format")); err != nil {
		writeError(w, r, err)
	}
}

// writeListExport sends list id's entries the caller reads in format f.
func (s *Server) writeListExport(w http.ResponseWriter, r *http.Request, id int64, f string) error {
	if f == "" {
		f = intel.ExportSTIX
	}
	if err := intel.CheckExportFormat(f); err != nil {
		return err
	}
	l, inds, err := s.Intel.ListIndicators(r.Context(), id)
	if err != nil {
		return err
	}
	mt, ext := intel.ExportMediaType(f)
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="warning-list-%s-v%d-%s.%s"`, l.Month, l.Version, f, ext))
	w.Header().Set("Cache-Control", "no-store")
	if err := intel.Export(w, f, l.Name, inds); err != nil {
		logger(r).Error("warning list export", "list", id, "format", f, "err", err)
	}
	return nil
}
