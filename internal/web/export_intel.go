package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/intel"
)

// The CSV/XLSX exports of the intelligence lists (what the pages show,
// filters and order applied).

func dateOrEmpty(t interface{ IsZero() bool }, s func() string) string {
	if t.IsZero() {
		return ""
	}
	return s()
}

func (s *Server) exportIndicators(w http.ResponseWriter, r *http.Request, lp listParams, f intel.IndicatorFilter) error {
	lang := exportLang(r)
	now := s.Intel.Now
	cols := []exportColumn[intel.Indicator]{
		{"common.id", func(x intel.Indicator) string { return strconv.FormatInt(x.ID, 10) }},
		{"intel.kind", func(x intel.Indicator) string { return i18n.T(lang, "intel.kind."+x.Kind) }},
		{"intel.value", func(x intel.Indicator) string { return x.Value }},
		{"intel.source", func(x intel.Indicator) string { return x.Source }},
		{"intel.confidence", func(x intel.Indicator) string { return strconv.Itoa(x.Confidence) }},
		{"intel.tlp", func(x intel.Indicator) string { return i18n.T(lang, "intel.tlp."+x.TLP) }},
		{"intel.first_seen", func(x intel.Indicator) string { return i18n.FormatTime(x.FirstSeen, lang) }},
		{"intel.last_seen", func(x intel.Indicator) string { return i18n.FormatTime(x.LastSeen, lang) }},
		{"intel.valid_until", func(x intel.Indicator) string {
			return dateOrEmpty(x.ValidUntil, func() string { return i18n.FormatDate(x.ValidUntil, lang) })
		}},
		{"intel.status", func(x intel.Indicator) string {
			return i18n.T(lang, "intel.status."+intel.IndicatorStatus(x, nowOr(now)))
		}},
		{"intel.tags", func(x intel.Indicator) string { return strings.Join(x.Tags, ", ") }},
		{"intel.report", func(x intel.Indicator) string { return x.Report }},
		{"intel.comment", func(x intel.Indicator) string { return x.Comment }},
		{"intel.stix_id", func(x intel.Indicator) string { return x.STIXID }},
	}
	return exportList(w, r, lp, "indicators", cols, func(offset, limit int) ([]intel.Indicator, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Intel.Indicators(r.Context(), f)
	})
}

func (s *Server) exportWatchlists(w http.ResponseWriter, r *http.Request, lp listParams, f intel.ListFilter) error {
	lang := exportLang(r)
	cols := []exportColumn[*intel.List]{
		{"common.id", func(x *intel.List) string { return strconv.FormatInt(x.ID, 10) }},
		{"intel.list_name", func(x *intel.List) string { return x.Name }},
		{"intel.month", func(x *intel.List) string { return monthText(x.Month) }},
		{"intel.version", func(x *intel.List) string { return strconv.Itoa(x.Version) }},
		{"intel.issuer", func(x *intel.List) string { return x.Issuer }},
		{"common.status", func(x *intel.List) string { return i18n.T(lang, "intel.list_status."+x.Status) }},
		{"intel.status_since", func(x *intel.List) string { return i18n.FormatTime(x.StatusSince, lang) }},
		{"intel.entries", func(x *intel.List) string { return strconv.Itoa(x.Entries) }},
		{"intel.published_by", func(x *intel.List) string { return whoText(lang, x.PublishedBy) }},
		{"intel.published_at", func(x *intel.List) string {
			return dateOrEmpty(x.PublishedAt, func() string { return i18n.FormatTime(x.PublishedAt, lang) })
		}},
		{"intel.description", func(x *intel.List) string { return x.Description }},
	}
	return exportList(w, r, lp, "warning-lists", cols, func(offset, limit int) ([]*intel.List, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Intel.Lists(r.Context(), f)
	})
}

func (s *Server) exportEntries(w http.ResponseWriter, r *http.Request, lp listParams, id int64, f intel.EntryFilter) error {
	lang := exportLang(r)
	cols := []exportColumn[intel.Entry]{
		{"intel.kind", func(x intel.Entry) string { return i18n.T(lang, "intel.kind."+x.Kind) }},
		{"intel.value", func(x intel.Entry) string { return x.Value }},
		{"intel.target", func(x intel.Entry) string { return targetText(lang, x.Unit, x.UnitName) }},
		{"intel.action", func(x intel.Entry) string { return entryActionText(lang, x.Action) }},
		{"intel.severity", func(x intel.Entry) string { return i18n.T(lang, "severity."+x.Severity) }},
		{"intel.reason", func(x intel.Entry) string { return x.Reason }},
		{"intel.source", func(x intel.Entry) string { return x.Source }},
		{"intel.tlp", func(x intel.Entry) string { return i18n.T(lang, "intel.tlp."+x.TLP) }},
		{"intel.valid_until", func(x intel.Entry) string {
			return dateOrEmpty(x.ValidUntil, func() string { return i18n.FormatDate(x.ValidUntil, lang) })
		}},
		{"intel.comment", func(x intel.Entry) string { return x.Comment }},
		{"intel.added_at", func(x intel.Entry) string { return i18n.FormatTime(x.AddedAt, lang) }},
	}
	return exportList(w, r, lp, "warning-list-"+strconv.FormatInt(id, 10), cols, func(offset, limit int) ([]intel.Entry, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Intel.Entries(r.Context(), id, f)
	})
}

// monthText is "12/2026" for "2026-12".
func monthText(m string) string {
	if len(m) == 7 {
		return m[5:] + "/" + m[:4]
	}
	return m
}

// targetText names an entry's target: every unit, or a unit.
func targetText(lang, code, name string) string {
	if code == "" {
		return i18n.T(lang, "intel.all_units")
	}
	if name == "" {
		return code
	}
	return code + " — " + name
}
