package msrc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/internal/jsonskip"
	"vigil/internal/vuln/kb"
)

// flex is a JSON scalar read as text whatever its type: MSRC's JSON gives
// enums as numbers ("Type": 2) and scores as numbers, other producers as
// strings.
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flex(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		// {"Value": "..."} is how CVRF JSON wraps text; accept it wherever
		// a scalar is expected.
		var v struct {
			Value flex `json:"Value"`
		}
		if b[0] == '{' && json.Unmarshal(b, &v) == nil {
			*f = v.Value
			return nil
		}
		return fmt.Errorf("expected a value, got %.20s", b)
	}
	*f = flex(b)
	return nil
}

// ids reads a list of product ids given as strings or numbers, or a lone
// id.
type ids []string

func (p *ids) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '[' {
		var f flex
		if err := f.UnmarshalJSON(b); err != nil {
			return err
		}
		if f != "" {
			*p = ids{string(f)}
		}
		return nil
	}
	var fs []flex
	if err := json.Unmarshal(b, &fs); err != nil {
		return err
	}
	out := make(ids, 0, len(fs))
	for _, f := range fs {
		out = append(out, string(f))
	}
	*p = out
	return nil
}

// CVRF JSON, as api.msrc.microsoft.com serves it with Accept:
// application/json: the XML's element names, text wrapped in {"Value":..},
// enum attributes as numbers.
type cvrfJSONVuln struct {
	Title flex   `json:"Title"`
	CVE   string `json:"CVE"`
	Notes []struct {
		Title string `json:"Title"`
		Type  flex   `json:"Type"`
		Value string `json:"Value"`
	} `json:"Notes"`
	CWE []struct {
		ID string `json:"ID"`
	} `json:"CWE"`
	Threats []struct {
		Description flex `json:"Description"`
		ProductID   ids  `json:"ProductID"`
		Type        flex `json:"Type"`
	} `json:"Threats"`
	CVSSScoreSets []struct {
		BaseScore flex `json:"BaseScore"`
		Vector    flex `json:"Vector"`
		ProductID ids  `json:"ProductID"`
	} `json:"CVSSScoreSets"`
	Remediations []struct {
		Description  flex `json:"Description"`
		URL          flex `json:"URL"`
		Supercedence flex `json:"Supercedence"`
		ProductID    ids  `json:"ProductID"`
		Type         flex `json:"Type"`
		SubType      flex `json:"SubType"`
		FixedBuild   flex `json:"FixedBuild"`
	} `json:"Remediations"`
	RevisionHistory []struct {
		Date flex `json:"Date"`
	} `json:"RevisionHistory"`
	Ordinal flex `json:"Ordinal"`
}

// The CVRF 1.1 enumerations in the order of the schema, which is how the
// MSRC API numbers them; MSRC added Severity to threats and Known Issue to
// remediations after the standard's values.
var (
	threatTypes = []string{"Impact", "Exploit Status", "Target Set", "Severity"}
	remTypes    = []string{"Workaround", "Mitigation", "Vendor Fix", "None Available", "Will Not Fix", "Known Issue"}
	noteTypes   = []string{"General", "Details", "Description", "Summary", "FAQ", "Legal Disclaimer", "Other", "Tag", "CNA"}
)

func enum(f flex, names []string) string {
	s := strings.TrimSpace(string(f))
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 0 && n < len(names) {
			return names[n]
		}
		return ""
	}
	return s
}

func (v *cvrfJSONVuln) raw() rawVuln {
	r := rawVuln{Ordinal: string(v.Ordinal), CVE: v.CVE, Title: string(v.Title)}
	for _, n := range v.Notes {
		if r.Description == "" && (strings.EqualFold(n.Title, "Description") || enum(n.Type, noteTypes) == "Description") {
			r.Description = n.Value
		}
	}
	for _, c := range v.CWE {
		if c.ID != "" && len(r.CWE) < 16 {
			r.CWE = append(r.CWE, i18n.Clip(c.ID, 32))
		}
	}
	for _, t := range v.Threats {
		r.Threats = append(r.Threats, rawThreat{Type: enum(t.Type, threatTypes), Desc: string(t.Description), Products: t.ProductID})
	}
	for _, s := range v.CVSSScoreSets {
		r.Scores = append(r.Scores, rawScore{Base: string(s.BaseScore), Vector: string(s.Vector), Products: s.ProductID})
	}
	for _, m := range v.Remediations {
		r.Rems = append(r.Rems, rawRem{
			Type: enum(m.Type, remTypes), Desc: string(m.Description), URL: string(m.URL),
			Supercedence: string(m.Supercedence), SubType: string(m.SubType), FixedBuild: string(m.FixedBuild),
			Products: m.ProductID,
		})
	}
	for _, h := range v.RevisionHistory {
		if len(r.Dates) < 64 {
			r.Dates = append(r.Dates, string(h.Date))
		}
	}
	return r
}

// CSAF 2.0 (OASIS), as Microsoft publishes it under msrc.microsoft.com/csaf.
type csafVuln struct {
	CVE   string `json:"cve"`
	Title string `json:"title"`
	Notes []struct {
		Category string `json:"category"`
		Title    string `json:"title"`
		Text     string `json:"text"`
	} `json:"notes"`
	CWE *struct {
		ID string `json:"id"`
	} `json:"cwe"`
	Threats []struct {
		Category   string `json:"category"`
		Details    string `json:"details"`
		ProductIDs ids    `json:"product_ids"`
	} `json:"threats"`
	Scores []struct {
		CVSSv3 *struct {
			BaseScore    flex   `json:"baseScore"`
			VectorString string `json:"vectorString"`
		} `json:"cvss_v3"`
		CVSSv2 *struct {
			BaseScore    flex   `json:"baseScore"`
			VectorString string `json:"vectorString"`
		} `json:"cvss_v2"`
		Products ids `json:"products"`
	} `json:"scores"`
	Remediations []struct {
		Category   string `json:"category"`
		Details    string `json:"details"`
		URL        string `json:"url"`
		ProductIDs ids    `json:"product_ids"`
		// Not in the CSAF standard; read when a producer adds them.
		SubType      string `json:"sub_type"`
		FixedBuild   string `json:"fixed_build"`
		Supercedence string `json:"supercedence"`
	} `json:"remediations"`
	ReleaseDate string `json:"release_date"`
}

func (v *csafVuln) raw() rawVuln {
	r := rawVuln{CVE: v.CVE, Title: v.Title}
	for _, n := range v.Notes {
		if r.Description == "" && (n.Category == "description" || strings.EqualFold(n.Title, "Description")) {
			r.Description = n.Text
		}
	}
	if v.CWE != nil && v.CWE.ID != "" {
		r.CWE = []string{i18n.Clip(v.CWE.ID, 32)}
	}
	for _, t := range v.Threats {
		typ := ""
		switch t.Category {
		case "exploit_status":
			typ = "Exploit Status"
		case "impact", "severity":
			// Microsoft gives the severity as an impact threat whose
			// details are "Critical", "Important", ...
			if Severity(t.Details) != "" {
				typ = "Severity"
			} else {
				typ = "Impact"
			}
		default:
			typ = t.Category
		}
		r.Threats = append(r.Threats, rawThreat{Type: typ, Desc: t.Details, Products: t.ProductIDs})
	}
	for _, s := range v.Scores {
		switch {
		case s.CVSSv3 != nil:
			r.Scores = append(r.Scores, rawScore{Base: string(s.CVSSv3.BaseScore), Vector: s.CVSSv3.VectorString, Products: s.Products})
		case s.CVSSv2 != nil:
			r.Scores = append(r.Scores, rawScore{Base: string(s.CVSSv2.BaseScore), Vector: s.CVSSv2.VectorString, Products: s.Products})
		}
	}
	for _, m := range v.Remediations {
		typ := m.Category
		if typ == "vendor_fix" {
			typ = "Vendor Fix"
		}
		r.Rems = append(r.Rems, rawRem{Type: typ, Desc: m.Details, URL: m.URL, SubType: m.SubType, FixedBuild: m.FixedBuild, Supercedence: m.Supercedence, Products: m.ProductIDs})
	}
	if v.ReleaseDate != "" {
		r.Dates = []string{v.ReleaseDate}
	}
	return r
}

// jsonProducts collects a product tree's names from either form: CVRF's
// {"FullProductName":[{"ProductID","Value"}], "Branch":[{"Items":[...]}]}
// and CSAF's {"full_product_names":[{"product_id","name"}],
// "branches":[{"branches":[...],"product":{...}}], "relationships":[...]}.
type jsonProduct struct {
	ProductID flex `json:"ProductID"`
	Value     flex `json:"Value"`
	ID        flex `json:"product_id"`
	Name      flex `json:"name"`
}

type jsonBranch struct {
	Items    []jsonBranch  `json:"Items"`
	Branches []jsonBranch  `json:"branches"`
	Product  *jsonProduct  `json:"product"`
	Full     []jsonProduct `json:"FullProductName"`
	// A CVRF JSON branch leaf is itself a product.
	ProductID flex `json:"ProductID"`
	Value     flex `json:"Value"`
}

type jsonTree struct {
	Full          []jsonProduct `json:"FullProductName"`
	Branch        []jsonBranch  `json:"Branch"`
	FullCSAF      []jsonProduct `json:"full_product_names"`
	Branches      []jsonBranch  `json:"branches"`
	Relationships []struct {
		Full jsonProduct `json:"full_product_name"`
	} `json:"relationships"`
}

func (t *jsonTree) products() []kb.Product {
	var out []kb.Product
	seen := map[string]bool{}
	add := func(p jsonProduct) {
		id, name := string(p.ProductID), string(p.Value)
		if id == "" {
			id, name = string(p.ID), string(p.Name)
		}
		id, name = strings.TrimSpace(id), strings.TrimSpace(name)
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		out = append(out, kb.Product{ID: i18n.Clip(id, 32), Name: i18n.Clip(name, 256)})
	}
	var walk func(bs []jsonBranch, depth int)
	walk = func(bs []jsonBranch, depth int) {
		if depth > 32 {
			return
		}
		for _, b := range bs {
			if b.ProductID != "" {
				add(jsonProduct{ProductID: b.ProductID, Value: b.Value})
			}
			if b.Product != nil {
				add(*b.Product)
			}
			for _, p := range b.Full {
				add(p)
			}
			walk(b.Items, depth+1)
			walk(b.Branches, depth+1)
		}
	}
	for _, p := range t.Full {
		add(p)
	}
	for _, p := range t.FullCSAF {
		add(p)
	}
	walk(t.Branch, 0)
	walk(t.Branches, 0)
	for _, r := range t.Relationships {
		add(r.Full)
	}
	return out
}

// parseJSON streams a CVRF JSON or CSAF document: the top-level object's
// members are read one by one, and the vulnerability array one element at
// a time.
func parseJSON(r io.Reader, file string, h Handler) (Document, error) {
	d := json.NewDecoder(r)
	d.UseNumber()
	doc := Document{}
	docSent := false
	n := 0
	known := false
	fail := func(err error) (Document, error) {
		var de *datafile.Error
		if errors.As(err, &de) {
			return doc, err
		}
		return doc, &datafile.Error{File: file, Record: fmt.Sprintf("byte %d", d.InputOffset()), Err: err}
	}
	sendDoc := func() error {
		if docSent {
			return nil
		}
		docSent = true
		if h.Document != nil {
			return h.Document(doc)
		}
		return nil
	}
	if tok, err := d.Token(); err != nil {
		return fail(err)
	} else if tok != json.Delim('{') {
		return fail(ErrNotMSRC)
	}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		switch key {
		case "DocumentTitle":
			known = true
			doc.Format = "cvrf-json"
			var f flex
			if err := d.Decode(&f); err != nil {
				return fail(fmt.Errorf("DocumentTitle: %w", err))
			}
			doc.Title = i18n.Clip(strings.TrimSpace(string(f)), 256)
		case "DocumentTracking":
			known = true
			doc.Format = "cvrf-json"
			var t struct {
				Identification struct {
					ID flex `json:"ID"`
				} `json:"Identification"`
				InitialReleaseDate flex `json:"InitialReleaseDate"`
				CurrentReleaseDate flex `json:"CurrentReleaseDate"`
			}
			if err := d.Decode(&t); err != nil {
				return fail(fmt.Errorf("DocumentTracking: %w", err))
			}
			doc.ID = i18n.Clip(strings.TrimSpace(string(t.Identification.ID)), 64)
			doc.Released, _ = parseTime(string(t.InitialReleaseDate))
			doc.Updated, _ = parseTime(string(t.CurrentReleaseDate))
		case "document":
			known = true
			doc.Format = "csaf"
			var t struct {
				CSAFVersion string `json:"csaf_version"`
				Title       string `json:"title"`
				Tracking    struct {
					ID                 string `json:"id"`
					InitialReleaseDate string `json:"initial_release_date"`
					CurrentReleaseDate string `json:"current_release_date"`
				} `json:"tracking"`
			}
			if err := d.Decode(&t); err != nil {
				return fail(fmt.Errorf("document: %w", err))
			}
			doc.Title = i18n.Clip(strings.TrimSpace(t.Title), 256)
			doc.ID = i18n.Clip(strings.TrimSpace(t.Tracking.ID), 64)
			doc.Released, _ = parseTime(t.Tracking.InitialReleaseDate)
			doc.Updated, _ = parseTime(t.Tracking.CurrentReleaseDate)
		case "ProductTree", "product_tree":
			known = true
			var t jsonTree
			if err := d.Decode(&t); err != nil {
				return fail(fmt.Errorf("%s: %w", key, err))
			}
			if err := sendDoc(); err != nil {
				return doc, err
			}
			for _, p := range t.products() {
				if h.Product != nil {
					if err := h.Product(p); err != nil {
						return doc, err
					}
				}
			}
		case "Vulnerability", "vulnerabilities":
			known = true
			if err := sendDoc(); err != nil {
				return doc, err
			}
			if tok, err := d.Token(); err != nil {
				return fail(err)
			} else if tok != json.Delim('[') {
				if tok == nil {
					continue
				}
				return fail(fmt.Errorf("%s: expected an array", key))
			}
			for d.More() {
				n++
				var raw rawVuln
				var derr error
				if key == "Vulnerability" {
					var v cvrfJSONVuln
					derr = d.Decode(&v)
					raw = v.raw()
				} else {
					var v csafVuln
					derr = d.Decode(&v)
					raw = v.raw()
				}
				if derr != nil {
					var te *json.UnmarshalTypeError
					if errors.As(derr, &te) {
						// A value of the wrong type inside one record: the
						// decoder has consumed it, so skip the record.
						if err := skip(h, &datafile.Error{File: file, Record: fmt.Sprintf("vulnerability %d", n), Field: te.Field, Err: derr}); err != nil {
							return doc, err
						}
						continue
					}
					return fail(&datafile.Error{File: file, Record: fmt.Sprintf("vulnerability %d", n), Err: derr})
				}
				v, err := build(&doc, file, n, &raw)
				if err != nil {
					if err := skip(h, err); err != nil {
						return doc, err
					}
					continue
				}
				if h.Vulnerability != nil {
					if err := h.Vulnerability(v); err != nil {
						return doc, err
					}
				}
			}
			if _, err := d.Token(); err != nil { // ]
				return fail(err)
			}
		default:
			if err := jsonskip.Value(d); err != nil {
				return fail(err)
			}
		}
	}
	if _, err := d.Token(); err != nil { // }
		return fail(err)
	}
	if !known {
		return fail(ErrNotMSRC)
	}
	if err := sendDoc(); err != nil {
		return doc, err
	}
	return doc, nil
}
