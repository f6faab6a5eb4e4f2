package web

import (
	"net/http"
	"strconv"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/phishing"
)

// Drill templates: the list with their use, a form to write one, change it
// or delete it (internal/phishing/template_edit.go).

func (s *Server) routesPhishingTemplates() {
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/phishing/templates/{id}", Tag: "phishing", Summary: "Change a drill template (its unit's officers; a built-in one: the IT Center); placeholders checked first",
		Body: phishing.TemplateInput{}, Result: phishing.Template{}, Status: http.StatusOK, Handler: s.apiUpdatePhishingTemplate})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/phishing/templates/{id}", Tag: "phishing", Summary: "Delete a drill template no drill used (409 when one did; built-in ones are kept)",
		Handler: s.apiDeletePhishingTemplate})
	s.mux.HandleFunc("GET /phishing/templates", s.uiAuth(s.uiPhishingTemplates))
	s.mux.HandleFunc("POST /phishing/templates", s.uiAuth(s.uiCreatePhishingTemplate))
	s.mux.HandleFunc("GET /phishing/templates/{id}", s.uiAuth(s.uiEditPhishingTemplate))
	s.mux.HandleFunc("POST /phishing/templates/{id}", s.uiAuth(s.uiSavePhishingTemplate))
	s.mux.HandleFunc("POST /phishing/templates/{id}/delete", s.uiAuth(s.uiDeletePhishingTemplate))
}

func (s *Server) apiUpdatePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in phishing.TemplateInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Phishing.UpdateTemplate(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiDeletePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Phishing.DeleteTemplate(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type phishingTemplatesData struct {
	Templates []*phishing.TemplateUse
	Template  *phishing.TemplateUse // the one edited; nil: a new one
	Form      *formState
	Deleted   bool
	MayWrite  bool // officers and administrators write templates
}

var phishingTemplateFields = []string{"name", "subject", "sender_name", "body", "landing"}

func drillTemplateInput(r *http.Request) phishing.TemplateInput {
	return phishing.TemplateInput{Name: r.PostFormValue("name"), Subject: r.PostFormValue("subject"), SenderName: r.PostFormValue("sender_name"),
		Body: r.PostFormValue("body"), Landing: r.PostFormValue("landing")}
}

func (s *Server) renderPhishingTemplates(w http.ResponseWriter, r *http.Request, status int, d *phishingTemplatesData) {
	var err error
	if d.Templates, err = s.Phishing.TemplateUses(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if p := principalOf(r); p != nil {
		d.MayWrite = p.Role == auth.RoleAdmin || p.Role == auth.RoleOfficer
	}
	s.render(w, r, status, "phishing_templates", s.newPage(r, "phishing", "ph.templates", d))
}

func (s *Server) uiPhishingTemplates(w http.ResponseWriter, r *http.Request) {
	s.renderPhishingTemplates(w, r, http.StatusOK, &phishingTemplatesData{Deleted: r.URL.Query().Get("deleted") != ""})
}

func (s *Server) uiCreatePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Phishing.CreateTemplate(r.Context(), drillTemplateInput(r)); err != nil {
		if !formError(err) || errs.Code(err) == errs.EFORBIDDEN {
			s.uiError(w, r, err)
			return
		}
		s.renderPhishingTemplates(w, r, statusOf(errs.Code(err)), &phishingTemplatesData{Form: newFormState(r, err, phishingTemplateFields...)})
		return
	}
	redirectSaved(w, r, "/phishing/templates")
}

func (s *Server) uiEditPhishingTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var t *phishing.TemplateUse
	if err == nil {
		t, err = s.Phishing.Template(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	fm := &formState{values: map[string]string{"name": t.Name, "subject": t.Subject, "sender_name": t.SenderName, "body": t.Body, "landing": t.Landing}}
	s.render(w, r, http.StatusOK, "phishing_template", s.newPage(r, "phishing", "ph.edit_template", &phishingTemplatesData{Template: t, Form: fm}))
}

func (s *Server) uiSavePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var t *phishing.TemplateUse
	if err == nil {
		t, err = s.Phishing.Template(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if _, err := s.Phishing.UpdateTemplate(r.Context(), id, drillTemplateInput(r)); err != nil {
		if !formError(err) || errs.Code(err) == errs.EFORBIDDEN {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "phishing_template", s.newPage(r, "phishing", "ph.edit_template",
			&phishingTemplatesData{Template: t, Form: newFormState(r, err, phishingTemplateFields...)}))
		return
	}
	redirectSaved(w, r, "/phishing/templates")
}

func (s *Server) uiDeletePhishingTemplate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Phishing.DeleteTemplate(r.Context(), id)
	}
	if err != nil {
		if errs.Code(err) != errs.ECONFLICT {
			s.uiError(w, r, err)
			return
		}
		s.renderPhishingTemplates(w, r, statusOf(errs.Code(err)), &phishingTemplatesData{Form: newFormState(r, err)})
		return
	}
	http.Redirect(w, r, "/phishing/templates?deleted="+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
