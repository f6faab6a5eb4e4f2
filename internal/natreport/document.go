package natreport

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Document is a report laid out for rendering: the form's words
// resolved, each field's value as the form prints it, in order. The PDF,
// the DOCX, the JSON and the text for IRLab are all written from it, so
// they say the same thing.
type Document struct {
	Form        Form              `json:"form"`
	Code        string            `json:"template"` // "Mẫu 03"
	Nation      string            `json:"-"`
	Motto       string            `json:"-"`
	Basis       string            `json:"basis"`
	Title       string            `json:"title"`
	To          string            `json:"to"`
	Number      string            `json:"number,omitempty"`
	Version     int               `json:"version"`
	Status      string            `json:"status"`
	Date        string            `json:"date,omitempty"` // the approval date, dd/mm/yyyy
	Case        int64             `json:"case_id,omitempty"`
	CaseRef     string            `json:"case_number,omitempty"`
	Unit        string            `json:"unit"`
	Period      *Period           `json:"period,omitempty"`
	Sections    []DocSection      `json:"sections"`
	Table       *DocTable         `json:"table,omitempty"`
	Sign        string            `json:"-"`
	Mandatory   string            `json:"-"`
	NumberWord  string            `json:"-"`
	VersionWord string            `json:"-"`
	ApprovedBy  string            `json:"approved_by,omitempty"`
	ApprovedAt  time.Time         `json:"approved_at,omitzero"`
	Fields      map[string]string `json:"fields"`
	report      *Report
	words       map[string]string
}

// DocSection is a numbered block.
type DocSection struct {
	Key   string    `json:"key"`
	Title string    `json:"title"`
	Items []DocItem `json:"items,omitempty"`
}

// DocItem is one field as printed.
type DocItem struct {
	Key       string      `json:"key"`
	Label     string      `json:"label"`
	Mandatory bool        `json:"mandatory"`
	Value     string      `json:"value"` // the value as printed (labels for choices)
	Choices   []DocChoice `json:"choices,omitempty"`
}

// DocChoice is one option of a choice field, ticked or not.
type DocChoice struct {
	Code    string `json:"code"`
	Label   string `json:"label"`
	Checked bool   `json:"checked"`
}

// DocTable is Mẫu 05's table: a header and rows of cells.
type DocTable struct {
	Head []string   `json:"head"`
	Rows [][]string `json:"rows"`
	Data []Row      `json:"data"`
}

// Document lays a report out with its words (frozen at approval, the
// current ones before) and option lists.
func (s *Service) Document(ctx context.Context, r *Report) (*Document, error) {
	words, err := s.Labels(ctx, r)
	if err != nil {
		return nil, err
	}
	opts := map[string][]Option{}
	if r.labels == nil {
		if opts, err = s.allOptions(ctx); err != nil {
			return nil, err
		}
	} else {
		// Approved: the options as they were, from the frozen labels.
		for k, v := range r.labels {
			if rest, ok := strings.CutPrefix(k, "opt."); ok {
				kind, code, _ := strings.Cut(rest, ".")
				opts[kind] = append(opts[kind], Option{Code: code, LabelVI: v})
			}
		}
		for kind := range opts {
			order := DefaultOptions[kind]
			slices.SortStableFunc(opts[kind], func(a, b Option) int {
				return indexOpt(order, a.Code) - indexOpt(order, b.Code)
			})
		}
	}
	return Layout(r, words, opts), nil
}

func indexOpt(list []Option, code string) int {
	for i, o := range list {
		if o.Code == code {
			return i
		}
	}
	return len(list)
}

// Layout builds a report's document from its words and option lists.
func Layout(r *Report, words map[string]string, opts map[string][]Option) *Document {
	w := func(k string) string { return words[k] }
	d := &Document{Form: r.Form, Code: w("code"), Nation: w("nation"), Motto: w("motto"), Basis: w("basis"), Title: w("title"), To: w("to"),
		Number: r.Number, Version: r.Version, Status: r.Status, Case: r.CaseID, CaseRef: r.CaseNumber, Unit: r.Unit,
		Sign: w("sign"), Mandatory: w("mandatory"), NumberWord: w("number"), VersionWord: w("version"),
		ApprovedBy: r.ApprovedBy, ApprovedAt: r.ApprovedAt, Fields: r.Fields, report: r, words: words}
	if !r.ApprovedAt.IsZero() {
		d.Date = vnTime(r.ApprovedAt, "02/01/2006")
	}
	if r.Form == FormSummary {
		d.Period = &Period{From: r.PeriodFrom, To: r.PeriodTo}
	}
	for _, s := range schemas[r.Form] {
		sec := DocSection{Key: s.Key, Title: w("s." + s.Key)}
		for _, fl := range s.Fields {
			sec.Items = append(sec.Items, item(fl, r.Fields, words, opts))
		}
		if s.Key == "table" {
			d.Table = table(r.Rows, words)
		}
		d.Sections = append(d.Sections, sec)
	}
	return d
}

func item(fl Field, v map[string]string, words map[string]string, opts map[string][]Option) DocItem {
	val := strings.TrimSpace(v[fl.Key])
	it := DocItem{Key: fl.Key, Label: words["f."+fl.Key], Mandatory: fl.Mandatory, Value: val}
	switch fl.Kind {
	case KindYesNo:
		switch val {
		case "yes":
			it.Value = words["yes"]
		case "no":
			it.Value = words["no"]
		}
	case KindChoice, KindMulti:
		codes := splitCodes(val)
		var labels []string
		for _, o := range opts[fl.Options] {
			on := slices.Contains(codes, o.Code)
			it.Choices = append(it.Choices, DocChoice{Code: o.Code, Label: o.LabelVI, Checked: on})
			if on {
				labels = append(labels, o.LabelVI)
			}
		}
		for _, c := range codes { // a code no longer in the list still prints
			if !slices.ContainsFunc(opts[fl.Options], func(o Option) bool { return o.Code == c }) {
				labels = append(labels, c)
				it.Choices = append(it.Choices, DocChoice{Code: c, Label: c, Checked: true})
			}
		}
		it.Value = strings.Join(labels, "; ")
	}
	return it
}

// FormatVND writes an amount with dots between thousands: 12.500.000.
func FormatVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func table(rows []Row, words map[string]string) *DocTable {
	t := &DocTable{Head: []string{"TT", words["col.category"]}, Data: rows}
	for _, c := range Columns {
		t.Head = append(t.Head, words["col."+c])
	}
	if len(rows) == 0 {
		rows = Tally(nil)
		t.Data = rows
	}
	for i, r := range rows {
		n := strconv.Itoa(i + 1)
		if r.Category == "total" {
			n = ""
		}
		t.Rows = append(t.Rows, []string{n, words["row."+r.Category], strconv.Itoa(r.Count), strconv.Itoa(r.Self), strconv.Itoa(r.Domestic),
			strconv.Itoa(r.Foreign), strconv.Itoa(r.VNCERT), FormatVND(r.Damage)})
	}
	return t
}

// NumberLine is "Số: 007/BC-A" (a draft has no number yet: "Số: …").
func (d *Document) NumberLine() string {
	n := d.Number
	if n == "" {
		n = "……"
	}
	s := d.NumberWord + ": " + n
	if d.Version > 1 {
		s += " (" + d.VersionWord + " " + strconv.Itoa(d.Version) + ")"
	}
	return s
}

// DateLine is "ngày 04/12/2026" (the approval date), empty for a draft.
func (d *Document) DateLine() string {
	if d.Date == "" {
		return ""
	}
	f := d.words["date_line"]
	if !strings.Contains(f, "%s") {
		return f + " " + d.Date
	}
	return fmt.Sprintf(f, d.Date)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileBase names the report's files: "007-BC-A-mau03-v1".
func (d *Document) FileBase() string {
	n := d.Number
	if n == "" {
		n = "du-thao"
		if d.report != nil && d.report.ID > 0 {
			n += "-" + strconv.FormatInt(d.report.ID, 10)
		}
	}
	code := map[Form]string{FormInitial: "mau03", FormFinal: "mau04", FormSummary: "mau05"}[d.Form]
	return strings.Trim(unsafeName.ReplaceAllString(n, "-"), "-") + "-" + code + "-v" + strconv.Itoa(max(d.Version, 1))
}

// Subject is the e-mail subject: an initial report's starts with "[TBSC]"
// as Circular 20/2017 asks.
func (d *Document) Subject() string {
	org := d.Fields["org_name"]
	num := ""
	if d.Number != "" {
		num = " số " + d.Number
	}
	switch d.Form {
	case FormInitial:
		s := "[TBSC] Báo cáo ban đầu sự cố mạng" + num + " — " + org
		if d.report != nil && d.report.CaseTitle != "" {
			s += ": " + d.report.CaseTitle
		}
		return s
	case FormFinal:
		return "Báo cáo kết thúc ứng phó sự cố" + num + " — " + org
	}
	return "Báo cáo tổng hợp tình hình sự cố " + d.Fields["period"] + num + " — " + org
}

// Text is the filled form as plain text, in the form's order, ready to
// paste into IRLab field by field or into a letter.
func (d *Document) Text() string {
	var b strings.Builder
	line := func(s string) {
		if s != "" {
			b.WriteString(s + "\n")
		}
	}
	line(d.Code)
	line(d.Title)
	line(d.NumberLine())
	line(d.DateLine())
	line(d.To)
	b.WriteString("\n")
	for _, s := range d.Sections {
		line(s.Title)
		for _, it := range s.Items {
			v := it.Value
			if v == "" {
				v = "—"
			}
			if strings.Contains(v, "\n") {
				b.WriteString("- " + it.Label + ":\n")
				for _, l := range strings.Split(v, "\n") {
					b.WriteString("    " + l + "\n")
				}
			} else {
				b.WriteString("- " + it.Label + ": " + v + "\n")
			}
		}
		if s.Key == "table" && d.Table != nil {
			for _, r := range d.Table.Rows {
				b.WriteString("  ")
				for i, c := range r {
					if i > 0 {
						b.WriteString(" | ")
					}
					b.WriteString(c)
				}
				b.WriteString("\n")
			}
			b.WriteString("  (" + strings.Join(d.Table.Head[2:], " | ") + ")\n")
		}
		b.WriteString("\n")
	}
	line(d.Mandatory)
	return b.String()
}

// JSON is the document as JSON: the layout (labels and printed values)
// and the raw fields.
func (d *Document) JSON() ([]byte, error) {
	return json.MarshalIndent(d, "", "  ")
}
