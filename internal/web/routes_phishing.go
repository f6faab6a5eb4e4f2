package web

import (
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/phishing"
)

// routesPhishing lists the API routes and pages of phishing drills
// (internal/phishing), and the public addresses a drill's messages point
// at: the tracked link and its landing page (/p/{token}), the open pixel
// (/p/o/{token}.gif) and the report address (/phish/report).
func (s *Server) routesPhishing() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/phishing/templates", Tag: "phishing", Summary: "Drill templates: the built-in ones and those of the caller's units",
		Result: phishing.Template{}, Paged: true, Handler: s.apiPhishingTemplates})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/phishing/templates", Tag: "phishing", Summary: "Save a drill template (placeholders {name} {email} {position} {department} {unit} {link} {date}; a broken one is refused)",
		Body: phishing.TemplateInput{}, Result: phishing.Template{}, Handler: s.apiCreatePhishingTemplate})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/phishing/campaigns", Tag: "phishing", Summary: "Schedule a drill to a unit's own employees, spread over a window",
		Body: phishing.CampaignInput{}, Result: phishing.Campaign{}, Handler: s.apiCreatePhishingCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/phishing/campaigns", Tag: "phishing", Summary: "Drills in scope with their results, newest first",
		Result: phishing.Campaign{}, Paged: true, Handler: s.apiPhishingCampaigns})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/phishing/campaigns/{id}", Tag: "phishing", Summary: "A drill and its results",
		Result: phishing.Campaign{}, Handler: s.apiPhishingCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/phishing/campaigns/{id}/results", Tag: "phishing", Summary: "A drill's counts: sent, opened, clicked, submitted, reported (scanner requests apart)",
		Result: phishing.Results{}, Handler: s.apiPhishingResults})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/phishing/campaigns/{id}/recipients", Tag: "phishing", Summary: "What each person did, with times (export with ?format=xlsx)",
		Result: phishing.Recipient{}, Paged: true, Handler: s.apiPhishingRecipients})

	s.routesPhishingTemplates()
	s.mux.HandleFunc("GET /phishing", s.uiAuth(s.uiPhishing))
	s.mux.HandleFunc("POST /phishing", s.uiAuth(s.uiCreatePhishing))
	s.mux.HandleFunc("GET /phishing/{id}", s.uiAuth(s.uiPhishingCampaign))

	// Public: what a drill message points at.
	s.mux.HandleFunc("GET /p/o/{token}", s.phishPixel)
	s.mux.HandleFunc("GET /p/{token}", s.phishLanding)
	s.mux.HandleFunc("POST /p/{token}", s.phishSubmit)
	s.mux.HandleFunc("POST /phish/report", s.phishReport)
}

func (s *Server) apiPhishingTemplates(w http.ResponseWriter, r *http.Request) {
	list, err := s.Phishing.Templates(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, listParams{Limit: len(list)}, list, len(list))
}

func (s *Server) apiCreatePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	var in phishing.TemplateInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Phishing.CreateTemplate(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) apiCreatePhishingCampaign(w http.ResponseWriter, r *http.Request) {
	var in phishing.CampaignInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Phishing.CreateCampaign(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiPhishingCampaigns(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, total, err := s.Phishing.Campaigns(r.Context(), lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiPhishingCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var c *phishing.Campaign
		if c, err = s.Phishing.Campaign(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiPhishingResults(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var res phishing.Results
		if res, err = s.Phishing.Results(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiPhishingRecipients(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportRecipients(w, r, lp, id); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Phishing.Recipients(r.Context(), id, lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportRecipients(w http.ResponseWriter, r *http.Request, lp listParams, id int64) error {
	lang := exportLang(r)
	cols := []exportColumn[*phishing.Recipient]{
		{"tr.f.name", func(x *phishing.Recipient) string { return x.Name }},
		{"tr.f.email", func(x *phishing.Recipient) string { return x.Email }},
		{"tr.f.department", func(x *phishing.Recipient) string { return x.Department }},
		{"common.unit", func(x *phishing.Recipient) string { return x.Unit }},
		{"common.status", func(x *phishing.Recipient) string { return i18n.T(lang, "ph.status."+x.Status) }},
		{"ph.sent", func(x *phishing.Recipient) string { return timeOrEmpty(x.SentAt, lang) }},
		{"ph.opened", func(x *phishing.Recipient) string { return timeOrEmpty(x.OpenedAt, lang) }},
		{"ph.clicked", func(x *phishing.Recipient) string { return timeOrEmpty(x.ClickedAt, lang) }},
		{"ph.submitted", func(x *phishing.Recipient) string { return timeOrEmpty(x.SubmittedAt, lang) }},
		{"ph.reported", func(x *phishing.Recipient) string { return timeOrEmpty(x.ReportedAt, lang) }},
	}
	return exportList(w, r, lp, "phishing", cols, func(offset, limit int) ([]*phishing.Recipient, int, error) {
		return s.Phishing.Recipients(r.Context(), id, offset, limit)
	})
}

func timeOrEmpty(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	return i18n.FormatTime(t, lang)
}

type phishingData struct {
	Campaigns []*phishing.Campaign
	Templates []*phishing.Template
	Units     []*org.Unit
	Form      *formState
}

func (s *Server) uiPhishing(w http.ResponseWriter, r *http.Request) {
	s.renderPhishing(w, r, http.StatusOK, nil)
}

func (s *Server) renderPhishing(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	d := &phishingData{Form: fm}
	var err error
	if d.Campaigns, _, err = s.Phishing.Campaigns(r.Context(), 0, 100); err == nil {
		if d.Templates, err = s.Phishing.Templates(r.Context()); err == nil {
			d.Units, err = s.allUnits(r, "")
		}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "phishing", s.newPage(r, "phishing", "ph.title", d))
}

func (s *Server) uiCreatePhishing(w http.ResponseWriter, r *http.Request) {
	in := phishing.CampaignInput{Unit: r.PostFormValue("unit"), Department: r.PostFormValue("department"), Name: r.PostFormValue("name")}
	var err error
	if in.Template, err = strconv.ParseInt(r.PostFormValue("template"), 10, 64); err != nil {
		err = errs.Invalid("template", "choose a template")
	}
	if v := strings.TrimSpace(r.PostFormValue("window_minutes")); v != "" && err == nil {
		if in.WindowMinutes, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("window_minutes", "must be from 0 to %d minutes (a week)", 7*24*60)
		}
	}
	var c *phishing.Campaign
	if err == nil {
		c, err = s.Phishing.CreateCampaign(r.Context(), in)
	}
	if err != nil {
		if errs.Code(err) == errs.EINTERNAL || errs.Code(err) == "" {
			s.uiError(w, r, err)
			return
		}
		s.renderPhishing(w, r, statusOf(errs.Code(err)), newFormState(r, err, "template", "unit", "department", "name", "window_minutes"))
		return
	}
	redirectSaved(w, r, "/phishing/"+strconv.FormatInt(c.ID, 10))
}

type phishingCampaignData struct {
	Campaign *phishing.Campaign
	Rows     []*phishing.Recipient
	Pager    *pager
}

func (s *Server) uiPhishingCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, nil)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportRecipients(w, r, lp, id); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d := &phishingCampaignData{}
	if d.Campaign, err = s.Phishing.Campaign(r.Context(), id); err != nil {
		s.uiError(w, r, err)
		return
	}
	var total int
	if d.Rows, total, err = s.Phishing.Recipients(r.Context(), id, lp.Offset, lp.Limit); err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Pager = newPager(r, lp, len(d.Rows), total)
	p := s.newPage(r, "phishing", "ph.title", d)
	p.Title = d.Campaign.Name
	s.render(w, r, http.StatusOK, "phishing_campaign", p)
}

// hit describes a request to a tracked address.
func (s *Server) hit(r *http.Request, kind string) phishing.Hit {
	return phishing.Hit{Kind: kind, Method: r.Method, UserAgent: r.UserAgent(), IP: s.clientIP(r)}
}

// The open pixel: a 1×1 transparent GIF, whatever the token.
var pixelGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func (s *Server) phishPixel(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimSuffix(r.PathValue("token"), ".gif")
	if _, err := s.Phishing.Track(r.Context(), tok, s.hit(r, "open")); err != nil && err != phishing.ErrUnknown {
		logger(r).Error("phishing pixel", "err", err)
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pixelGIF)
}

// landingPage is the drill's landing page: on its own, without the hub's
// layout (it plays a sign-in page), and a form whose fields have no name,
// so nothing typed is even sent.
var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main" class="landing">
{{if .Caught}}<h1 id="drill-caught">Đây là bài diễn tập phòng chống lừa đảo</h1>
<p>Thư bạn vừa mở là thư giả do bộ phận an toàn thông tin của đơn vị gửi để luyện tập. Không có thông tin nào bạn nhập được gửi đi hay lưu lại.</p>
<p>Lần sau, hãy để ý: người gửi lạ, lời thúc giục, đường dẫn không thuộc tên miền của cơ quan. Khi nghi ngờ, đừng bấm — hãy báo cáo thư cho bộ phận CNTT.</p>
<p>Bạn đã được giao bài học ngắn về nhận diện thư lừa đảo: <a href="/learn">vào học</a>.</p>
<hr><p lang="en">This was a phishing drill run by your unit. Nothing you typed was sent or kept. A short lesson has been assigned to you: <a href="/learn">open your training</a>.</p>
{{else}}<h1>{{.Title}}</h1>
<form method="post" action="/p/{{.Token}}" id="landing-form" autocomplete="off">
<label>Tài khoản <input type="text" autocomplete="off"></label>
<label>Mật khẩu <input type="password" autocomplete="off"></label>
<button type="submit">Đăng nhập</button>
</form>{{end}}
</main></body></html>`))

type landingData struct {
	Title, Token string
	Caught       bool
}

func (s *Server) renderLanding(w http.ResponseWriter, status int, d landingData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Robots-Tag", "noindex")
	w.WriteHeader(status)
	landingPage.Execute(w, d)
}

func (s *Server) phishLanding(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	title, err := s.Phishing.Track(r.Context(), tok, s.hit(r, "click"))
	if err == phishing.ErrUnknown {
		s.uiNotFound(w, r)
		return
	}
	if err != nil {
		logger(r).Error("phishing click", "err", err)
	}
	if title == "" {
		title = "Đăng nhập"
	}
	s.renderLanding(w, http.StatusOK, landingData{Title: title, Token: url.PathEscape(tok)})
}

// phishSubmit records that the landing form was sent. The body is thrown
// away unread: what was typed is never parsed, logged or stored.
func (s *Server) phishSubmit(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
	r.Body.Close()
	_, err := s.Phishing.Track(r.Context(), r.PathValue("token"), s.hit(r, "submit"))
	if err == phishing.ErrUnknown {
		s.uiNotFound(w, r)
		return
	}
	if err != nil {
		logger(r).Error("phishing submit", "err", err)
	}
	s.renderLanding(w, http.StatusOK, landingData{Caught: true, Title: "Diễn tập"})
}

// phishReport takes a reported message (from the report button or the
// report mailbox's forwarding) and counts it; it answers 202 whatever it
// held, so it tells nothing about tokens.
func (s *Server) phishReport(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := s.Phishing.Report(r.Context(), string(b), s.clientIP(r), r.UserAgent()); err != nil {
		logger(r).Error("phishing report", "err", err)
	}
	w.WriteHeader(http.StatusAccepted)
}
