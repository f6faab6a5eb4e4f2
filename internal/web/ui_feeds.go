package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/vuln"
)

// The knowledge base page (/feeds): what each vulnerability feed has
// loaded, from where, how old it is and its last error; the MSRC
// documents loaded; the latest imports; and a CVE lookup.

type feedView struct {
	vuln.FeedStatus
	Age   time.Duration // since the last load; 0 when never loaded
	Stale bool          // older than the feed's expected refresh
}

type feedsData struct {
	Now       time.Time
	Version   int64
	Feeds     []feedView
	Documents []vuln.Document
	Imports   []vuln.Import
	CanImport bool
	CVE       string          // the id looked up
	Detail    *vuln.CVEDetail // what is known of it
	CVEError  string          // why the lookup found nothing
	EPSSPct   string          // the looked-up CVE's EPSS as a percentage
	// SubTypes says MSRC's kinds of update in the reader's language.
	SubTypes map[string]string
}

// msrcSubTypes are MSRC's remediation sub-types and their words' keys.
var msrcSubTypes = map[string]string{
	"Security Update":          "feeds.subtype.security_update",
	"Monthly Rollup":           "feeds.subtype.monthly_rollup",
	"Security Only":            "feeds.subtype.security_only",
	"Security Hotpatch Update": "feeds.subtype.hotpatch",
	"IE Cumulative":            "feeds.subtype.ie_cumulative",
}

func (s *Server) uiFeeds(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, err := s.Vuln.Status(ctx)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	now := time.Now()
	d := &feedsData{Now: now, Version: st.Version, Documents: st.Documents, Imports: st.Imports, CanImport: vuln.CanImport(principalOf(r))}
	for _, f := range st.Feeds {
		v := feedView{FeedStatus: f}
		if !f.LoadedAt.IsZero() {
			v.Age = now.Sub(f.LoadedAt)
		}
		v.Stale = f.LoadedAt.IsZero() || v.Age > vuln.MaxAge[f.Feed]
		d.Feeds = append(d.Feeds, v)
	}
	if id := strings.TrimSpace(r.URL.Query().Get("cve")); id != "" {
		d.CVE = id
		det, err := s.Vuln.CVE(ctx, id)
		switch {
		case err == nil:
			d.Detail = det
			d.SubTypes = map[string]string{}
			for _, f := range det.Fixes {
				if key, ok := msrcSubTypes[f.SubType]; ok {
					d.SubTypes[f.SubType] = i18n.T(langOf(r), key)
				} else if f.SubType != "" {
					d.SubTypes[f.SubType] = i18n.T(langOf(r), "feeds.subtype.other")
				}
			}
			if det.EPSS != nil {
				d.EPSSPct = epssPercent(det.EPSS.Score, langOf(r))
			}
		case errs.Code(err) == errs.EINVALID || errs.Code(err) == errs.ENOTFOUND:
			d.CVEError = i18n.ErrorMessage(langOf(r), err)
		default:
			s.uiError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "feeds", s.newPage(r, "feeds", "feeds.title", d))
}

// epssPercent writes a probability as a percentage with one decimal, the
// decimal mark of the language ("12,3%" in Vietnamese).
func epssPercent(p float64, lang string) string {
	s := strconv.FormatFloat(p*100, 'f', 1, 64)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}
