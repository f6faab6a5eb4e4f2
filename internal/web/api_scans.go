package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/scanimport"
)

// apiImportScan reads a scanner's report from the body (streamed, never
// held whole) and files it in the unit (?unit=CODE; ?file= names it,
// ?format= overrides detection, ?host= names the machine of a package
// scanner's report).
func (s *Server) apiImportScan(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	// Permission first: a caller who may not import must not make the hub
	// read a large file.
	if err := s.Scans.CanImport(r.Context(), q.Get("unit")); err != nil {
		writeError(w, r, err)
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	res, err := s.Scans.Import(r.Context(), scanimport.Options{Unit: q.Get("unit"), File: q.Get("file"), Format: q.Get("format"), Host: q.Get("host")}, r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func scanImportFilter(r *http.Request) scanimport.Filter {
	q := r.URL.Query()
	return scanimport.Filter{Unit: q.Get("unit"), Format: q.Get("scanner"), Status: q.Get("status")}
}

func (s *Server) apiListScanImports(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, scanimport.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := scanImportFilter(r)
	if lp.Format != "" {
		if err := s.exportScanImports(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Scans.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// skippedText says why records were skipped, in lang.
func skippedText(im *scanimport.Import, lang string) string {
	var parts []string
	for _, sk := range im.Skipped {
		parts = append(parts, i18n.T(lang, "scans.skip."+sk.Reason)+": "+i18n.Number(sk.Count, lang))
	}
	return strings.Join(parts, "; ")
}

func (s *Server) exportScanImports(w http.ResponseWriter, r *http.Request, lp listParams, f scanimport.Filter) error {
	lang := exportLang(r)
	n := func(v int) string { return strconv.Itoa(v) }
	cols := []exportColumn[*scanimport.Import]{
		{"common.id", func(x *scanimport.Import) string { return strconv.FormatInt(x.ID, 10) }},
		{"scans.started", func(x *scanimport.Import) string { return i18n.FormatTime(x.Started, lang) }},
		{"common.unit", func(x *scanimport.Import) string { return x.Unit + " " + x.UnitName }},
		{"scans.scanner", func(x *scanimport.Import) string { return x.Scanner }},
		{"scans.file", func(x *scanimport.Import) string { return x.File }},
		{"common.status", func(x *scanimport.Import) string { return i18n.T(lang, "scans.status."+x.Status) }},
		{"scans.scan_at", func(x *scanimport.Import) string {
			if x.ScanAt.IsZero() {
				return ""
			}
			return i18n.FormatTime(x.ScanAt, lang)
		}},
		{"scans.records_read", func(x *scanimport.Import) string { return n(x.Read) }},
		{"scans.records_loaded", func(x *scanimport.Import) string { return n(x.Loaded) }},
		{"scans.records_skipped", func(x *scanimport.Import) string { return n(x.Skip) }},
		{"scans.skipped_why", func(x *scanimport.Import) string { return skippedText(x, lang) }},
		{"scans.hosts_new", func(x *scanimport.Import) string { return n(x.HostsNew) }},
		{"scans.hosts_updated", func(x *scanimport.Import) string { return n(x.HostsUpd) }},
		{"scans.findings_new", func(x *scanimport.Import) string { return n(x.FindNew) }},
		{"scans.findings_updated", func(x *scanimport.Import) string { return n(x.FindUpd + x.FindReop) }},
		{"scans.findings_closed", func(x *scanimport.Import) string { return n(x.FindClose) }},
		{"scans.sha256", func(x *scanimport.Import) string { return x.SHA256 }},
		{"scans.by", func(x *scanimport.Import) string { return x.By }},
		{"scans.error", func(x *scanimport.Import) string { return x.Error }},
	}
	return exportList(w, r, lp, "scan-imports", cols, func(offset, limit int) ([]*scanimport.Import, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Scans.List(r.Context(), f)
	})
}
