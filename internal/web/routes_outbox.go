package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/outbox"
)

// The outbox (internal/outbox): the deliveries of national reports by
// e-mail and HTTP, their attempts and "retry now" (/outbox), and the
// recipients per purpose the IT Center configures (/settings/outbox).

func (s *Server) routesOutbox() {
	if s.Outbox == nil {
		return
	}
	s.api(apiRoute{Method: "GET", Path: "/api/v1/outbox", Tag: "outbox", Summary: "Deliveries of national reports in scope (by e-mail and HTTP), newest first, with their status, attempts and last error",
		Result: outbox.Delivery{}, Paged: true, Sorts: outbox.SortKeys, Query: []string{"status", "purpose", "channel", "unit", "object_type", "object_id", "q"}, Handler: s.apiListOutbox})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/outbox/settings", Tag: "outbox", Summary: "The recipients of each purpose (incident_initial, incident_final, incident_summary); an endpoint's secret only as its last four characters",
		Result: outbox.Recipients{}, List: true, Handler: s.apiOutboxSettings})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/outbox/settings/{purpose}", Tag: "outbox", Summary: "Replace the recipients of a purpose (the IT Center); an empty secret keeps the endpoint's",
		Body: outbox.RecipientsInput{}, Result: outbox.Recipients{}, Status: http.StatusOK, Handler: s.apiSetOutboxSettings})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/outbox/{id}", Tag: "outbox", Summary: "A delivery with every attempt", Result: outbox.Delivery{}, Handler: s.apiGetOutbox})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/outbox/{id}/retry", Tag: "outbox", Summary: "Send a pending or failed delivery now (a failed one is retried for another give-up span)",
		Result: outbox.Delivery{}, Status: http.StatusOK, Handler: s.apiRetryOutbox})

	s.mux.HandleFunc("GET /outbox", s.uiAuth(s.uiOutbox))
	s.mux.HandleFunc("GET /outbox/{id}", s.uiAuth(s.uiOutboxDelivery))
	s.mux.HandleFunc("POST /outbox/{id}/retry", s.uiAuth(s.uiRetryOutbox))
	s.mux.HandleFunc("GET /settings/outbox", s.uiAuth(s.uiOutboxSettings))
	s.mux.HandleFunc("POST /settings/outbox", s.uiAuth(s.uiSaveOutboxSettings))
}

func outboxFilter(r *http.Request) outbox.Filter {
	q := r.URL.Query()
	return outbox.Filter{Statuses: q["status"], Purpose: q.Get("purpose"), Channel: q.Get("channel"), Unit: q.Get("unit"),
		ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), Query: q.Get("q")}
}

func (s *Server) apiListOutbox(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, outbox.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := outboxFilter(r)
	if lp.Format != "" {
		if err := s.exportOutbox(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Outbox.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiGetOutbox(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var d *outbox.Delivery
		if d, err = s.Outbox.Get(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, d)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiRetryOutbox(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var d *outbox.Delivery
		if d, err = s.Outbox.Retry(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, d)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiOutboxSettings(w http.ResponseWriter, r *http.Request) {
	list, err := s.Outbox.Settings(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) apiSetOutboxSettings(w http.ResponseWriter, r *http.Request) {
	var in outbox.RecipientsInput
	if err := s.decodeJSONLimit(w, r, &in, 64<<10); err != nil {
		writeError(w, r, err)
		return
	}
	rc, err := s.Outbox.SetRecipients(r.Context(), r.PathValue("purpose"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

// Pages.

type outboxData struct {
	Rows     []*outbox.Delivery
	Pager    *pager
	Filter   url.Values
	Units    []*org.Unit
	Statuses []string
	Purposes []string
	Channels []string
	CanRetry map[int64]bool
	ITCenter bool
	Back     string
}

func (s *Server) uiOutbox(w http.ResponseWriter, r *http.Request) {
	if s.Outbox == nil {
		s.uiError(w, r, errs.NotFound("outbox"))
		return
	}
	lp, err := readList(r, outbox.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := outboxFilter(r)
	if lp.Format != "" {
		if err := s.exportOutbox(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Outbox.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &outboxData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), Statuses: outbox.Statuses,
		Purposes: outbox.Purposes, Channels: outbox.Channels, CanRetry: map[int64]bool{}, Back: r.URL.RequestURI()}
	for _, x := range list {
		d.CanRetry[x.ID] = s.Outbox.CanRetry(r.Context(), x)
	}
	if d.ITCenter, err = s.Outbox.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "outbox", s.newPage(r, "outbox", "outbox.title", d))
}

// uiRetryOutbox is the "retry now" button of the outbox and of a case's
// deliveries; it comes back to the page it was pressed on.
func (s *Server) uiRetryOutbox(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	if _, err := s.Outbox.Retry(r.Context(), id); err != nil {
		s.uiError(w, r, err)
		return
	}
	back := safeNext(r.PostForm.Get("back"))
	if back == "/" {
		back = "/outbox"
	}
	redirectSaved(w, r, back)
}

type outboxSettingsData struct {
	Items    []outboxSettingsItem
	CanWrite bool
}

// outboxSettingsItem is one purpose's form: as stored, or as typed when
// it came back refused.
type outboxSettingsItem struct {
	*outbox.Recipients
	Form *formState
}

var outboxSettingsFields = []string{"owner_name", "owner_emails", "coordinator_name", "coordinator_emails", "specialised_name", "specialised_emails", "http_url", "secret"}

func (s *Server) renderOutboxSettings(w http.ResponseWriter, r *http.Request, status int, formFor string, fm *formState) {
	if s.Outbox == nil {
		s.uiError(w, r, errs.NotFound("outbox"))
		return
	}
	list, err := s.Outbox.Settings(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &outboxSettingsData{}
	for _, rc := range list {
		it := outboxSettingsItem{Recipients: rc, Form: fm}
		if fm == nil || formFor != rc.Purpose {
			it.Form = &formState{values: map[string]string{"owner_name": rc.OwnerName, "owner_emails": strings.Join(rc.OwnerEmails, ", "),
				"coordinator_name": rc.CoordinatorName, "coordinator_emails": strings.Join(rc.CoordinatorEmails, ", "),
				"specialised_name": rc.SpecialisedName, "specialised_emails": strings.Join(rc.SpecialisedEmails, ", "), "http_url": rc.HTTPURL}}
		}
		d.Items = append(d.Items, it)
	}
	if d.CanWrite, err = s.Outbox.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "outbox_settings", s.newPage(r, "outbox", "outbox.settings", d))
}

func (s *Server) uiOutboxSettings(w http.ResponseWriter, r *http.Request) {
	s.renderOutboxSettings(w, r, http.StatusOK, "", nil)
}

func (s *Server) uiSaveOutboxSettings(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	purpose := r.PostForm.Get("purpose")
	in := outbox.RecipientsInput{OwnerName: r.PostForm.Get("owner_name"), OwnerEmails: []string{r.PostForm.Get("owner_emails")},
		CoordinatorName: r.PostForm.Get("coordinator_name"), CoordinatorEmails: []string{r.PostForm.Get("coordinator_emails")},
		SpecialisedName: r.PostForm.Get("specialised_name"), SpecialisedEmails: []string{r.PostForm.Get("specialised_emails")},
		HTTPURL: r.PostForm.Get("http_url"), Secret: r.PostForm.Get("secret"), ClearSecret: r.PostForm.Get("clear_secret") != ""}
	if _, err := s.Outbox.SetRecipients(r.Context(), purpose, in); err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderOutboxSettings(w, r, statusOf(errs.Code(err)), purpose, newFormState(r, err, outboxSettingsFields...))
		return
	}
	redirectSaved(w, r, "/settings/outbox#"+purpose)
}

// exportOutbox writes the deliveries the filters select as CSV or XLSX.
func (s *Server) exportOutbox(w http.ResponseWriter, r *http.Request, lp listParams, f outbox.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	t := func(x *outbox.Delivery) string {
		if x.DeliveredAt == nil {
			return ""
		}
		return i18n.FormatTime(*x.DeliveredAt, lang)
	}
	cols := []exportColumn[*outbox.Delivery]{
		{"outbox.id", func(x *outbox.Delivery) string { return strconv.FormatInt(x.ID, 10) }},
		{"outbox.created", func(x *outbox.Delivery) string { return i18n.FormatTime(x.CreatedAt, lang) }},
		{"outbox.purpose", func(x *outbox.Delivery) string { return i18n.T(lang, "outbox.purpose."+x.Purpose) }},
		{"outbox.object", func(x *outbox.Delivery) string { return x.ObjectType + " " + x.ObjectID }},
		{"common.unit", func(x *outbox.Delivery) string { return x.Unit }},
		{"outbox.channel", func(x *outbox.Delivery) string { return i18n.T(lang, "outbox.channel."+x.Channel) }},
		{"outbox.recipient", func(x *outbox.Delivery) string { return strings.TrimSpace(x.Recipient + " " + x.Target) }},
		{"outbox.subject", func(x *outbox.Delivery) string { return x.Subject }},
		{"common.status", func(x *outbox.Delivery) string { return i18n.T(lang, "outbox.status."+x.Status) }},
		{"outbox.attempts", func(x *outbox.Delivery) string { return strconv.Itoa(x.Attempts) }},
		{"outbox.last_error", func(x *outbox.Delivery) string { return x.LastError }},
		{"outbox.delivered", t},
	}
	return exportList(w, r, lp, "outbox", cols, func(offset, limit int) ([]*outbox.Delivery, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Outbox.List(r.Context(), f)
	})
}

type outboxDeliveryData struct {
	D        *outbox.Delivery
	CanRetry bool
	Back     string
}

// uiOutboxDelivery is one delivery with every attempt.
func (s *Server) uiOutboxDelivery(w http.ResponseWriter, r *http.Request) {
	if s.Outbox == nil {
		s.uiError(w, r, errs.NotFound("outbox"))
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.Outbox.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := s.newPage(r, "outbox", "outbox.delivery", &outboxDeliveryData{D: d, CanRetry: s.Outbox.CanRetry(r.Context(), d), Back: r.URL.Path})
	p.Title = i18n.T(p.Lang, "outbox.delivery") + " #" + strconv.FormatInt(d.ID, 10)
	s.render(w, r, http.StatusOK, "outbox_delivery", p)
}
