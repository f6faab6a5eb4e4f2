package msrc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/kb"
)

// maxText caps the characters kept of one element's text.
const maxText = 1 << 20

// maxItems caps the threats, scores, remediations and product ids one
// vulnerability may list.
const maxItems = 200000

// parseXML streams a CVRF 1.1 document. Elements are matched by local
// name: MSRC has served the same document with prefixes (cvrf:, vuln:,
// prod:) and with default namespaces.
func parseXML(r io.Reader, file string, h Handler) (Document, error) {
	xd := xml.NewDecoder(r)
	xd.Strict = true
	d := &tokenizer{d: xd}
	var (
		doc      Document
		docSent  bool
		n        int
		rootSeen bool
		products = map[string]bool{}
	)
	doc.Format = "cvrf-xml"
	fail := func(err error) (Document, error) {
		var de *datafile.Error
		if errors.As(err, &de) {
			return doc, err
		}
		line, _ := d.d.InputPos()
		return doc, &datafile.Error{File: file, Line: line, Err: err}
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
	for {
		tok, err := d.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if isDoctype(t) {
				return fail(ErrDoctype)
			}
		case xml.StartElement:
			if !rootSeen {
				rootSeen = true
				if t.Name.Local != "cvrfdoc" {
					return fail(fmt.Errorf("%w: the root element is <%s>, not <cvrfdoc>", ErrNotMSRC, t.Name.Local))
				}
				continue
			}
			switch t.Name.Local {
			case "DocumentTitle":
				s, err := text(d)
				if err != nil {
					return fail(err)
				}
				doc.Title = i18n.Clip(strings.TrimSpace(s), 256)
			case "DocumentTracking":
				if err := readTracking(d, &doc); err != nil {
					return fail(err)
				}
			case "FullProductName":
				id := attr(t, "ProductID")
				s, err := text(d)
				if err != nil {
					return fail(err)
				}
				if err := sendDoc(); err != nil {
					return doc, err
				}
				if id == "" {
					if err := skip(h, &datafile.Error{File: file, Record: "product " + i18n.Clip(strings.TrimSpace(s), 80), Field: "ProductID", Err: errors.New("missing")}); err != nil {
						return doc, err
					}
					continue
				}
				if products[id] || len(products) > maxItems {
					continue
				}
				products[id] = true
				if h.Product != nil {
					if err := h.Product(kb.Product{ID: i18n.Clip(id, 32), Name: i18n.Clip(strings.TrimSpace(s), 256)}); err != nil {
						return doc, err
					}
				}
			case "Vulnerability":
				n++
				if err := sendDoc(); err != nil {
					return doc, err
				}
				raw, err := readVuln(d, t)
				if err != nil {
					return fail(&datafile.Error{File: file, Record: raw.recordName(n), Err: err})
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
		}
	}
	if !rootSeen {
		return fail(fmt.Errorf("%w: no root element", ErrNotMSRC))
	}
	if err := sendDoc(); err != nil {
		return doc, err
	}
	return doc, nil
}

func skip(h Handler, err error) error {
	if h.Skip == nil {
		return err
	}
	return h.Skip(err)
}

func isDoctype(d xml.Directive) bool {
	s := bytes.TrimSpace(d)
	return len(s) >= 7 && strings.EqualFold(string(s[:7]), "DOCTYPE") || bytes.Contains(bytes.ToUpper(s), []byte("ENTITY"))
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// text reads the character data of the element just started, up to its
// end, ignoring child elements' tags (their text is kept), capped.
func text(d *tokenizer) (string, error) {
	var b strings.Builder
	depth := 1
	for depth > 0 {
		tok, err := d.next()
		if err != nil {
			if err == io.EOF {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if b.Len()+len(t) <= maxText {
				b.Write(t)
			}
		case xml.Directive:
			if isDoctype(t) {
				return "", ErrDoctype
			}
		}
	}
	return b.String(), nil
}

func readTracking(d *tokenizer, doc *Document) error {
	depth := 1
	var path []string
	for depth > 0 {
		tok, err := d.next()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "ID", "InitialReleaseDate", "CurrentReleaseDate":
				if len(path) <= 1 {
					s, err := text(d)
					if err != nil {
						return err
					}
					s = strings.TrimSpace(s)
					switch t.Name.Local {
					case "ID":
						doc.ID = i18n.Clip(s, 64)
					case "InitialReleaseDate":
						doc.Released, _ = parseTime(s)
					case "CurrentReleaseDate":
						doc.Updated, _ = parseTime(s)
					}
					continue
				}
			}
			depth++
			path = append(path, t.Name.Local)
		case xml.EndElement:
			depth--
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		}
	}
	return nil
}

// readVuln reads one <Vulnerability> element into a rawVuln, keeping only
// what the knowledge base uses.
func readVuln(d *tokenizer, start xml.StartElement) (rawVuln, error) {
	r := rawVuln{Ordinal: attr(start, "Ordinal")}
	var (
		path  []string // local names below <Vulnerability>
		buf   []byte
		items int
		noteT string
	)
	more := func() error {
		items++
		if items > maxItems {
			return fmt.Errorf("more than %d threats, scores, remediations and product ids", maxItems)
		}
		return nil
	}
	for {
		tok, err := d.next()
		if err != nil {
			if err == io.EOF {
				return r, io.ErrUnexpectedEOF
			}
			return r, err
		}
		switch t := tok.(type) {
		case xml.Directive:
			if isDoctype(t) {
				return r, ErrDoctype
			}
		case xml.StartElement:
			path = append(path, t.Name.Local)
			buf = buf[:0]
			switch pathKey(path) {
			case "Notes/Note":
				noteT = attr(t, "Type")
			case "Threats/Threat":
				if err := more(); err != nil {
					return r, err
				}
				r.Threats = append(r.Threats, rawThreat{Type: attr(t, "Type")})
			case "CVSSScoreSets/ScoreSet":
				if err := more(); err != nil {
					return r, err
				}
				r.Scores = append(r.Scores, rawScore{})
			case "Remediations/Remediation":
				if err := more(); err != nil {
					return r, err
				}
				r.Rems = append(r.Rems, rawRem{Type: attr(t, "Type")})
			case "CWE":
				if id := attr(t, "ID"); id != "" && len(r.CWE) < 16 {
					r.CWE = append(r.CWE, i18n.Clip(id, 32))
				}
			}
		case xml.CharData:
			if len(buf)+len(t) <= maxText {
				buf = append(buf, t...)
			}
		case xml.EndElement:
			if len(path) == 0 {
				// </Vulnerability>
				return r, nil
			}
			s := string(bytes.TrimSpace(buf))
			switch pathKey(path) {
			case "Title":
				r.Title = s
			case "CVE":
				r.CVE = s
			case "Notes/Note":
				if strings.EqualFold(noteT, "Description") && r.Description == "" {
					r.Description = s
				}
			case "Threats/Threat/Description":
				r.Threats[len(r.Threats)-1].Desc = s
			case "Threats/Threat/ProductID":
				if err := more(); err != nil {
					return r, err
				}
				th := &r.Threats[len(r.Threats)-1]
				th.Products = append(th.Products, s)
			case "CVSSScoreSets/ScoreSet/BaseScore":
				r.Scores[len(r.Scores)-1].Base = s
			case "CVSSScoreSets/ScoreSet/Vector":
				r.Scores[len(r.Scores)-1].Vector = s
			case "CVSSScoreSets/ScoreSet/ProductID":
				if err := more(); err != nil {
					return r, err
				}
				sc := &r.Scores[len(r.Scores)-1]
				sc.Products = append(sc.Products, s)
			case "Remediations/Remediation/Description":
				r.Rems[len(r.Rems)-1].Desc = s
			case "Remediations/Remediation/URL":
				r.Rems[len(r.Rems)-1].URL = s
			case "Remediations/Remediation/Supercedence":
				r.Rems[len(r.Rems)-1].Supercedence = s
			case "Remediations/Remediation/SubType":
				r.Rems[len(r.Rems)-1].SubType = s
			case "Remediations/Remediation/FixedBuild":
				r.Rems[len(r.Rems)-1].FixedBuild = s
			case "Remediations/Remediation/ProductID":
				if err := more(); err != nil {
					return r, err
				}
				rm := &r.Rems[len(r.Rems)-1]
				rm.Products = append(rm.Products, s)
			case "RevisionHistory/Revision/Date":
				if len(r.Dates) < 64 {
					r.Dates = append(r.Dates, s)
				} else {
					r.Dates[len(r.Dates)-1] = s
				}
			}
			path = path[:len(path)-1]
			buf = buf[:0]
		}
	}
}

// pathKey joins the path for the switch above; paths are short, so the
// allocation is cheap next to the decoder's own.
func pathKey(p []string) string {
	switch len(p) {
	case 1:
		return p[0]
	case 2:
		return p[0] + "/" + p[1]
	case 3:
		return p[0] + "/" + p[1] + "/" + p[2]
	}
	return ""
}

// tokenizer reads raw tokens — no namespace translation, which the reader
// does not need (it matches local names) and which costs encoding/xml a
// third of its time — and checks itself that end tags match start tags.
type tokenizer struct {
	d     *xml.Decoder
	stack []xml.Name
}

func (t *tokenizer) next() (xml.Token, error) {
	tok, err := t.d.RawToken()
	if err != nil {
		if err == io.EOF && len(t.stack) > 0 {
			return nil, fmt.Errorf("%w: <%s> not closed", io.ErrUnexpectedEOF, qname(t.stack[len(t.stack)-1]))
		}
		return nil, err
	}
	switch e := tok.(type) {
	case xml.StartElement:
		if len(t.stack) >= 256 {
			return nil, errors.New("elements nested more than 256 deep")
		}
		t.stack = append(t.stack, e.Name)
	case xml.EndElement:
		if len(t.stack) == 0 {
			return nil, fmt.Errorf("unexpected end element </%s>", qname(e.Name))
		}
		if top := t.stack[len(t.stack)-1]; top != e.Name {
			return nil, fmt.Errorf("element <%s> closed by </%s>", qname(top), qname(e.Name))
		}
		t.stack = t.stack[:len(t.stack)-1]
	}
	return tok, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
