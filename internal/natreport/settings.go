package natreport

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// The IT Center's settings: the option lists and the forms' words. Both
// live in the database with the defaults of forms.go for what was never
// changed, so a list or a heading changes without a release.

// Limits on the settings.
const (
	maxOptions     = 50
	maxOptionLabel = 300
	maxTemplate    = 2000
	// MaxTemplateBytes bounds a template document (text import).
	MaxTemplateBytes = 256 << 10
)

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// rootPath is the path of the root unit ("" when there is none).
func rootPath(ctx context.Context, q store.Queryer) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("natreport: root unit: %w", err)
	}
	return path, nil
}

// ITCenter reports whether the caller edits the reporting settings: a
// user of the root unit who may write there.
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	root, err := rootPath(ctx, s.DB)
	if err != nil {
		return false, err
	}
	return root != "" && p.CanWrite(root), nil
}

func (s *Service) requireITCenter(ctx context.Context) error {
	if _, err := auth.Require(ctx); err != nil {
		return err
	}
	ok, err := s.ITCenter(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Forbidden("only the IT Center (the root unit's officers and administrators) changes the reporting settings")
	}
	return nil
}

// Options returns an option list as set (the defaults when never set).
func (s *Service) Options(ctx context.Context, kind string) ([]Option, error) {
	if !slices.Contains(OptionKinds, kind) {
		return nil, errs.Invalid("kind", "must be one of %s", strings.Join(OptionKinds, ", "))
	}
	return s.options(ctx, s.DB, kind)
}

func (s *Service) options(ctx context.Context, q store.Queryer, kind string) ([]Option, error) {
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT code, label_vi, label_en, with_text FROM natreport_options WHERE kind = ? ORDER BY position, code`), kind)
	if err != nil {
		return nil, fmt.Errorf("natreport: options %s: %w", kind, err)
	}
	defer rows.Close()
	var out []Option
	for rows.Next() {
		var o Option
		if err := rows.Scan(&o.Code, &o.LabelVI, &o.LabelEN, &o.WithText); err != nil {
			return nil, fmt.Errorf("natreport: options %s: %w", kind, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		out = slices.Clone(DefaultOptions[kind])
	}
	return out, nil
}

// SetOptions replaces an option list, as the IT Center. Reports already
// approved keep the labels they were approved with.
func (s *Service) SetOptions(ctx context.Context, kind string, opts []Option) ([]Option, error) {
	if err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	if !slices.Contains(OptionKinds, kind) {
		return nil, errs.Invalid("kind", "must be one of %s", strings.Join(OptionKinds, ", "))
	}
	if len(opts) == 0 {
		return nil, errs.Invalid("options", "a list needs at least one option")
	}
	if len(opts) > maxOptions {
		return nil, errs.Invalid("options", "a list holds at most %d options", maxOptions)
	}
	var seen []string
	for i := range opts {
		o := &opts[i]
		o.Code = strings.ToLower(strings.TrimSpace(o.Code))
		o.LabelVI = strings.TrimSpace(strings.ToValidUTF8(o.LabelVI, "\uFFFD"))
		o.LabelEN = strings.TrimSpace(strings.ToValidUTF8(o.LabelEN, "\uFFFD"))
		if !codeRE.MatchString(o.Code) {
			return nil, errs.Invalid("options", "option %d: the code %q must be lower-case letters, digits, _ or - (at most 40)", i+1, o.Code)
		}
		if slices.Contains(seen, o.Code) {
			return nil, errs.Invalid("options", "option %d: the code %q is used twice", i+1, o.Code)
		}
		seen = append(seen, o.Code)
		if o.LabelVI == "" {
			return nil, errs.Invalid("options", "option %d: the Vietnamese label is required", i+1)
		}
		if utf8.RuneCountInString(o.LabelVI) > maxOptionLabel || utf8.RuneCountInString(o.LabelEN) > maxOptionLabel {
			return nil, errs.Invalid("options", "option %d: a label is at most %d characters", i+1, maxOptionLabel)
		}
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.options(ctx, tx, kind)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM natreport_options WHERE kind = ?`, kind); err != nil {
			return fmt.Errorf("natreport: set options: %w", err)
		}
		for i, o := range opts {
			if _, err := tx.Exec(ctx, `INSERT INTO natreport_options (kind, code, label_vi, label_en, with_text, position) VALUES (?, ?, ?, ?, ?, ?)`,
				kind, o.Code, o.LabelVI, o.LabelEN, o.WithText, i); err != nil {
				return fmt.Errorf("natreport: set options: %w", err)
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.options", ObjectType: "natreport_options", ObjectID: kind, Before: before, After: opts})
	})
	if err != nil {
		return nil, err
	}
	return s.Options(ctx, kind)
}

// TemplateEntry is one word of a form as set, with its default.
type TemplateEntry struct {
	Key     string `json:"key"`
	Text    string `json:"text"`
	Default string `json:"default"`
	Changed bool   `json:"changed"`
}

func checkForm(form Form) error {
	if !slices.Contains(Forms, form) {
		return errs.Invalid("form", "must be initial, final or summary")
	}
	return nil
}

// Template returns a form's words as set (defaults for what was never
// changed), in the document's order.
func (s *Service) Template(ctx context.Context, form Form) ([]TemplateEntry, error) {
	if err := checkForm(form); err != nil {
		return nil, err
	}
	words, err := s.words(ctx, s.DB, form)
	if err != nil {
		return nil, err
	}
	var out []TemplateEntry
	for _, k := range TemplateKeys(form) {
		d := DefaultTemplates[form][k]
		out = append(out, TemplateEntry{Key: k, Text: words[k], Default: d, Changed: words[k] != d})
	}
	return out, nil
}

// words is a form's words: the defaults overlaid with the IT Center's.
func (s *Service) words(ctx context.Context, q store.Queryer, form Form) (map[string]string, error) {
	out := merge(DefaultTemplates[form], nil)
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT name, text FROM natreport_templates WHERE form = ?`), string(form))
	if err != nil {
		return nil, fmt.Errorf("natreport: template %s: %w", form, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("natreport: template %s: %w", form, err)
		}
		if _, ok := out[k]; ok {
			out[k] = v
		}
	}
	return out, rows.Err()
}

// SetTemplate changes a form's words, as the IT Center: each key given
// takes its text; an empty text or the default's goes back to the default.
func (s *Service) SetTemplate(ctx context.Context, form Form, words map[string]string) ([]TemplateEntry, error) {
	if err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	if err := checkForm(form); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(words))
	for k, v := range words {
		if _, ok := DefaultTemplates[form][k]; !ok {
			return nil, errs.Invalid("template", "the form has no word %q", k)
		}
		if utf8.RuneCountInString(v) > maxTemplate {
			return nil, errs.Invalid("template", "%s: at most %d characters", k, maxTemplate)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	p := auth.FromContext(ctx)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.words(ctx, tx, form)
		if err != nil {
			return err
		}
		changed := map[string]string{}
		for _, k := range keys {
			v := strings.TrimSpace(strings.ToValidUTF8(words[k], "\uFFFD"))
			if before[k] == v || (v == "" && before[k] == DefaultTemplates[form][k]) {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM natreport_templates WHERE form = ? AND name = ?`, string(form), k); err != nil {
				return fmt.Errorf("natreport: set template: %w", err)
			}
			if v != "" && v != DefaultTemplates[form][k] {
				if _, err := tx.Exec(ctx, `INSERT INTO natreport_templates (form, name, text, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)`,
					string(form), k, v, p.Email, store.Micros(s.now())); err != nil {
					return fmt.Errorf("natreport: set template: %w", err)
				}
			}
			if v == "" {
				v = DefaultTemplates[form][k]
			}
			changed[k] = v
		}
		if len(changed) == 0 {
			return nil
		}
		old := map[string]string{}
		for k := range changed {
			old[k] = before[k]
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.template", ObjectType: "natreport_template", ObjectID: string(form), Before: old, After: changed})
	})
	if err != nil {
		return nil, err
	}
	return s.Template(ctx, form)
}

// TemplateError is a template or option document's mistake and the line
// it is on; Err is the message (an errs.Invalid naming the line, in the
// reader's language on a page).
type TemplateError struct {
	Line int
	Err  error
}

func (e *TemplateError) Error() string { return e.Err.Error() }
func (e *TemplateError) Unwrap() error { return e.Err }

func lineErr(n int, format string, args ...any) *TemplateError {
	return &TemplateError{Line: n, Err: errs.Invalid("template", "line %d: "+format, append([]any{n}, args...)...)}
}

// ParseTemplate reads a form's words written as text, one "key = text" a
// line ('#' starts a comment line; a text continues on lines starting
// with a space or a tab) — the format FormatTemplate writes, for editing
// the words in one box or a file. A mistake is a *TemplateError naming
// the line.
func ParseTemplate(form Form, r io.Reader) (map[string]string, error) {
	if err := checkForm(form); err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, MaxTemplateBytes+1))
	sc.Buffer(make([]byte, 0, 64<<10), MaxTemplateBytes+1)
	n, size, last := 0, 0, ""
	lineOf := map[string]int{}
	for sc.Scan() {
		n++
		line := sc.Text()
		size += len(line) + 1
		if size > MaxTemplateBytes {
			return nil, lineErr(n, "the document is larger than %d KiB", MaxTemplateBytes>>10)
		}
		if !utf8.ValidString(line) {
			return nil, lineErr(n, "not UTF-8 text")
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				return nil, lineErr(n, "a continuation line with no key before it")
			}
			out[last] += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, lineErr(n, `expected "key = text"`)
		}
		k = strings.TrimSpace(k)
		if _, known := DefaultTemplates[form][k]; !known {
			return nil, lineErr(n, "the form has no word %q", k)
		}
		if _, dup := out[k]; dup {
			return nil, lineErr(n, "%q is set twice", k)
		}
		out[k] = strings.TrimSpace(v)
		last = k
		lineOf[k] = n
	}
	if err := sc.Err(); err != nil {
		return nil, lineErr(n+1, "a line is too long")
	}
	for k, v := range out {
		if utf8.RuneCountInString(v) > maxTemplate {
			return nil, lineErr(lineOf[k], "%s: at most %d characters", k, maxTemplate)
		}
	}
	return out, nil
}

// FormatTemplate writes a form's words as ParseTemplate reads them.
func FormatTemplate(entries []TemplateEntry) string {
	var b strings.Builder
	for _, e := range entries {
		lines := strings.Split(e.Text, "\n")
		b.WriteString(e.Key + " = " + lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString("  " + l + "\n")
		}
	}
	return b.String()
}

// ParseOptions reads an option list written as text, one option a line:
// "code | Vietnamese label | English label | text" (the last two
// optional; "text" marks an option that takes a text, like "other").
// A mistake is a *TemplateError naming the line.
func ParseOptions(r io.Reader) ([]Option, error) {
	var out []Option
	sc := bufio.NewScanner(io.LimitReader(r, MaxTemplateBytes+1))
	sc.Buffer(make([]byte, 0, 64<<10), MaxTemplateBytes+1)
	n, size := 0, 0
	for sc.Scan() {
		n++
		line := sc.Text()
		size += len(line) + 1
		if size > MaxTemplateBytes {
			return nil, lineErr(n, "the document is larger than %d KiB", MaxTemplateBytes>>10)
		}
		if !utf8.ValidString(line) {
			return nil, lineErr(n, "not UTF-8 text")
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) < 2 || len(parts) > 4 {
			return nil, lineErr(n, `expected "code | Vietnamese label | English label | text"`)
		}
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		o := Option{Code: strings.ToLower(parts[0]), LabelVI: parts[1]}
		if len(parts) > 2 {
			o.LabelEN = parts[2]
		}
		if len(parts) > 3 {
			switch strings.ToLower(parts[3]) {
			case "text":
				o.WithText = true
			case "":
			default:
				return nil, lineErr(n, `the fourth column is "text" or empty`)
			}
		}
		if !codeRE.MatchString(o.Code) {
			return nil, lineErr(n, "the code %q must be lower-case letters, digits, _ or - (at most 40)", o.Code)
		}
		if o.LabelVI == "" {
			return nil, lineErr(n, "the Vietnamese label is required")
		}
		if slices.ContainsFunc(out, func(x Option) bool { return x.Code == o.Code }) {
			return nil, lineErr(n, "the code %q is used twice", o.Code)
		}
		out = append(out, o)
		if len(out) > maxOptions {
			return nil, lineErr(n, "a list holds at most %d options", maxOptions)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, lineErr(n+1, "a line is too long")
	}
	return out, nil
}

// FormatOptions writes an option list as ParseOptions reads it.
func FormatOptions(opts []Option) string {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(o.Code + " | " + o.LabelVI + " | " + o.LabelEN)
		if o.WithText {
			b.WriteString(" | text")
		}
		b.WriteString("\n")
	}
	return b.String()
}
