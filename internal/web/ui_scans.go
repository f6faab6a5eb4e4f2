package web

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/scanimport"
)

// The /scans page: a form to upload a scanner's report into a unit, and
// the past imports in the caller's scope with what each did (CSV/XLSX
// through the list's export links). A report larger than the hub's body
// limit goes through `vigil import scan` (docs/vuln-scans.md).

type scanRow struct {
	*scanimport.Import
	SkippedText string
}

type scansData struct {
	Rows    []scanRow
	Pager   *pager
	Filter  scanimport.Filter
	Formats []string
	Names   map[string]string
	Units   []*org.Unit // units the caller may import into
	Form    *formState
	Done    *scanimport.Result
	DoneMsg string
}

func (s *Server) scansData(r *http.Request) (*scansData, error) {
	lang := langOf(r)
	lp, err := readList(r, scanimport.SortKeys)
	if err != nil {
		return nil, err
	}
	f := scanImportFilter(r)
	d := &scansData{Filter: f, Formats: scanimport.Formats, Names: scanimport.ScannerNames}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Scans.List(r.Context(), f)
	if err != nil {
		return nil, err
	}
	for _, x := range list {
		d.Rows = append(d.Rows, scanRow{Import: x, SkippedText: skippedText(x, lang)})
	}
	d.Pager = newPager(r, lp, len(list), total)
	units, err := s.allUnits(r, "")
	if err != nil {
		return nil, err
	}
	p := principalOf(r)
	for _, u := range units {
		if p.CanWrite(u.Path) {
			d.Units = append(d.Units, u)
		}
	}
	return d, nil
}

func (s *Server) uiScans(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, scanimport.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportScanImports(w, r, lp, scanImportFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.scansData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "scans", s.newPage(r, "scans", "scans.title", d))
}

func (s *Server) uiImportScan(w http.ResponseWriter, r *http.Request) {
	var res *scanimport.Result
	err := r.ParseMultipartForm(4 << 20)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errs.Invalid("report", "the page takes reports up to %d MiB; import larger ones with vigil import scan", s.BodyLimit>>20)
	case err != nil:
		err = errs.Invalid("report", "choose the report file to import")
	}
	if err == nil {
		file, hdr, ferr := r.FormFile("report")
		if ferr != nil {
			err = errs.Invalid("report", "choose the report file to import")
		} else {
			res, err = s.Scans.Import(r.Context(), scanimport.Options{Unit: r.PostFormValue("unit"), File: filepath.Base(hdr.Filename),
				Format: r.PostFormValue("format"), Host: r.PostFormValue("host")}, file)
			file.Close()
		}
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.scansData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		if e, ok := errs.As(err); ok && e.Field == "" && e.Code == errs.EINVALID {
			e.Field = "report" // a report's own fault shows beside the file
		}
		d.Form, status = newFormState(r, err, "unit", "format", "host", "report"), statusOf(errs.Code(err))
	} else {
		lang := langOf(r)
		d.Done = res
		d.DoneMsg = fmt.Sprintf(i18n.T(lang, "scans.imported"), res.File, i18n.Number(res.Read, lang), i18n.Number(res.HostsNew, lang), i18n.Number(res.FindNew, lang), i18n.Number(res.FindClose, lang))
	}
	s.render(w, r, status, "scans", s.newPage(r, "scans", "scans.title", d))
}
