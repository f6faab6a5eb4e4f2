package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/hosts"
	"vigil/internal/i18n"
)

// A host's own lists: its inventory changes and its agent's tasks, paged,
// sorted and exported like every list.

func (s *Server) apiHostChanges(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, hosts.ChangeSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := hosts.ChangeFilter{HostID: id}
	if lp.Format != "" {
		if err := s.exportChanges(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	cs, total, err := s.Hosts.Changes(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, cs, total)
}

// exportChanges writes a host's changes, in lp's order, as CSV or XLSX.
func (s *Server) exportChanges(w http.ResponseWriter, r *http.Request, lp listParams, f hosts.ChangeFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[hosts.ChangeRecord]{
		{"export.change.at", func(c hosts.ChangeRecord) string { return i18n.FormatTime(c.At, lang) }},
		{"common.kind", func(c hosts.ChangeRecord) string { return viewChange(lang, c).What }},
		{"export.change.subject", func(c hosts.ChangeRecord) string { return viewChange(lang, c).Subject }},
		{"export.change.old", func(c hosts.ChangeRecord) string { return viewChange(lang, c).Old }},
		{"export.change.new", func(c hosts.ChangeRecord) string { return viewChange(lang, c).New }},
	}
	return exportList(w, r, lp, "host-"+strconv.FormatInt(f.HostID, 10)+"-changes", cols, func(offset, limit int) ([]hosts.ChangeRecord, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Hosts.Changes(r.Context(), f)
	})
}

func (s *Server) apiHostTasks(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, hosts.TaskSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := hosts.TaskFilter{HostID: id}
	if lp.Format != "" {
		if err := s.exportTasks(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Hosts.ListTasks(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, ts, total)
}

// exportTasks writes a host's tasks, in lp's order, as CSV or XLSX.
func (s *Server) exportTasks(w http.ResponseWriter, r *http.Request, lp listParams, f hosts.TaskFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*hosts.Task]{
		{"common.id", func(t *hosts.Task) string { return t.ID }},
		{"common.created", func(t *hosts.Task) string { return i18n.FormatTime(t.CreatedAt, lang) }},
		{"export.task.by", func(t *hosts.Task) string { return t.CreatedBy }},
		{"common.kind", func(t *hosts.Task) string { return word(lang, "task", t.Kind) }},
		{"hosts.scan_paths", func(t *hosts.Task) string {
			if t.Scan == nil {
				return ""
			}
			return strings.Join(t.Scan.Paths, " ")
		}},
		{"common.status", func(t *hosts.Task) string { return word(lang, "task", t.Status) }},
		{"export.task.files", func(t *hosts.Task) string {
			if t.Report == nil {
				return ""
			}
			return strconv.FormatInt(t.Report.Files, 10)
		}},
		{"hosts.findings", func(t *hosts.Task) string {
			if t.Report == nil {
				return ""
			}
			return strconv.Itoa(len(t.Report.Findings))
		}},
		{"export.task.error", func(t *hosts.Task) string { return t.Error }},
		{"export.task.updated", func(t *hosts.Task) string { return i18n.FormatTime(t.UpdatedAt, lang) }},
	}
	return exportList(w, r, lp, "host-"+strconv.FormatInt(f.HostID, 10)+"-tasks", cols, func(offset, limit int) ([]*hosts.Task, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Hosts.ListTasks(r.Context(), f)
	})
}
