package web

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/org"
)

// formState is a form the hub refused, shown again: what the person typed
// (passwords excepted) and the message, beside the field it is about when
// the form has that field, above the form otherwise. Every page form
// comes back this way instead of on an error page that loses the input.
type formState struct {
	values map[string]string
	// Field is the field the message is beside ("" for above the form).
	Field string
	Error string
	// Other is the message when it is about no field of this form.
	Other string
}

// secretFields are never sent back to the browser.
var secretFields = map[string]bool{"password": true, "current_password": true, "csrf": true, "secret": true, "bind_password": true}

// formError reports whether err is about the form's input (a bad value, a
// clash, a choice the caller may not make) rather than a failure: only
// those re-render the form.
func formError(err error) bool {
	switch errs.Code(err) {
	case errs.EINVALID, errs.ECONFLICT, errs.EFORBIDDEN, errs.ETOOLARGE:
		return true
	}
	return false
}

// newFormState keeps r's posted values and err's message in the reader's
// language; fields are the names of the inputs the form shows.
func newFormState(r *http.Request, err error, fields ...string) *formState {
	f := &formState{values: map[string]string{}}
	for name, v := range r.PostForm {
		if !secretFields[name] && len(v) > 0 {
			f.values[name] = v[0]
		}
	}
	if err == nil {
		return f
	}
	lang := langOf(r)
	e, _ := errs.As(err)
	field := ""
	if e != nil {
		field = e.Field
		if i := strings.IndexByte(field, '['); i > 0 { // paths[3] is the paths box
			field = field[:i]
		}
	}
	if field != "" && slices.Contains(fields, field) {
		f.Field, f.Error = field, messageOf(lang, err)
	} else {
		f.Other, f.Error = errorText(lang, err), errorText(lang, err)
	}
	return f
}

// Get is the value typed into name, "" when there is no form to show
// again.
func (f *formState) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.values[name]
}

// Or is the value typed into name, or def when name was not sent (a
// fresh form, or another form of the page).
func (f *formState) Or(name, def string) string {
	if f == nil {
		return def
	}
	if v, ok := f.values[name]; ok {
		return v
	}
	return def
}

// ErrorFor is the message to show beside name, if any.
func (f *formState) ErrorFor(name string) string {
	if f == nil || f.Field != name {
		return ""
	}
	return f.Error
}

// fieldError is the message beside a field, or nothing: for templates
// ({{fieldError .Data.Form "name"}}), with an id the input's
// aria-describedby names (see invalid).
func fieldError(f *formState, name string) template.HTML {
	msg := f.ErrorFor(name)
	if msg == "" {
		return ""
	}
	return template.HTML(`<span class="field-error" id="` + template.HTMLEscapeString(name) + `-error" role="alert">` + template.HTMLEscapeString(msg) + `</span>`)
}

// invalid marks an input whose value was refused, for assistive
// technology: <input name="x"{{invalid .Data.Form "x"}}>.
func invalid(f *formState, name string) template.HTMLAttr {
	if f.ErrorFor(name) == "" {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(name) + `-error"`)
}

// formOther is the message of a refused form that is about none of its
// fields, shown above it.
func formOther(f *formState) template.HTML {
	if f == nil || f.Other == "" {
		return ""
	}
	return template.HTML(`<p class="error" role="alert">` + template.HTMLEscapeString(f.Other) + `</p>`)
}

// unitChoice is a unit in a drop-down: its code and its name placed in
// the tree ("  └ Bảo hiểm xã hội huyện Krông Pắc").
type unitChoice struct {
	Code, Label string
}

// unitChoices labels units (in tree order) for a <select>: each below
// the shallowest one shown gets a branch mark, indented by non-breaking
// spaces so the whole name stays on its line.
func unitChoices(units []*org.Unit) []unitChoice {
	top := -1
	for _, u := range units {
		if top < 0 || u.Depth < top {
			top = u.Depth
		}
	}
	out := make([]unitChoice, 0, len(units))
	for _, u := range units {
		label := u.Name
		if n := u.Depth - top; n > 0 {
			label = strings.Repeat("\u00a0\u00a0\u00a0", n-1) + "└\u00a0" + u.Name
		}
		out = append(out, unitChoice{Code: u.Code, Label: label})
	}
	return out
}
