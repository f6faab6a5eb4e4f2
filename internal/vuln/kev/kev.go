// Package kev reads CISA's Known Exploited Vulnerabilities catalog (the
// JSON at cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json),
// one entry at a time.
package kev

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/internal/jsonskip"
	"vigil/internal/vuln/kb"
)

// Header is what the catalog says of itself.
type Header struct {
	Title    string
	Version  string    // catalogVersion, "2025.08.25"
	Released time.Time // dateReleased: the data's own date
	Count    int       // the catalog's own count of entries
}

// Handler receives the header (once the entries begin) and the entries.
// See msrc.Handler for Skip.
type Handler struct {
	Header func(Header) error
	Entry  func(kb.KEV) error
	Skip   func(error) error
}

// ErrNotKEV says the input is not the KEV catalog.
var ErrNotKEV = errors.New("not the CISA KEV catalog (no \"vulnerabilities\" array of cveID entries)")

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

type entry struct {
	CVE        string `json:"cveID"`
	Vendor     string `json:"vendorProject"`
	Product    string `json:"product"`
	Name       string `json:"vulnerabilityName"`
	Added      string `json:"dateAdded"`
	Action     string `json:"requiredAction"`
	Due        string `json:"dueDate"`
	Ransomware string `json:"knownRansomwareCampaignUse"`
}

// Parse reads the catalog from r; file names it in errors. It returns the
// header.
func Parse(r io.Reader, file string, h Handler) (Header, error) {
	d := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	var hdr Header
	n := 0
	fail := func(err error) (Header, error) {
		var de *datafile.Error
		if errors.As(err, &de) {
			return hdr, err
		}
		rec := fmt.Sprintf("byte %d", d.InputOffset())
		if n > 0 {
			rec = fmt.Sprintf("entry %d", n)
		}
		return hdr, &datafile.Error{File: file, Record: rec, Err: err}
	}
	tok, err := d.Token()
	if err != nil {
		if err == io.EOF {
			err = errors.New("empty input")
		}
		return fail(err)
	}
	if tok != json.Delim('{') {
		return fail(ErrNotKEV)
	}
	saw := false
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		switch key {
		case "title", "catalogVersion", "dateReleased":
			var s string
			if err := d.Decode(&s); err != nil {
				return fail(fmt.Errorf("%s: %w", key, err))
			}
			switch key {
			case "title":
				hdr.Title = i18n.Clip(s, 200)
			case "catalogVersion":
				hdr.Version = i18n.Clip(s, 64)
			case "dateReleased":
				hdr.Released, _ = parseTime(s)
			}
		case "count":
			if err := d.Decode(&hdr.Count); err != nil {
				return fail(fmt.Errorf("count: %w", err))
			}
		case "vulnerabilities":
			saw = true
			if h.Header != nil {
				if err := h.Header(hdr); err != nil {
					return hdr, err
				}
			}
			if tok, err := d.Token(); err != nil {
				return fail(err)
			} else if tok != json.Delim('[') {
				return fail(errors.New("\"vulnerabilities\" is not an array"))
			}
			for d.More() {
				n++
				var e entry
				if err := d.Decode(&e); err != nil {
					var te *json.UnmarshalTypeError
					if errors.As(err, &te) {
						if err := skip(h, &datafile.Error{File: file, Record: fmt.Sprintf("entry %d", n), Field: te.Field, Err: err}); err != nil {
							return hdr, err
						}
						continue
					}
					return fail(err)
				}
				k, err := build(file, n, &e)
				if err != nil {
					if err := skip(h, err); err != nil {
						return hdr, err
					}
					continue
				}
				if h.Entry != nil {
					if err := h.Entry(k); err != nil {
						return hdr, err
					}
				}
			}
			if _, err := d.Token(); err != nil {
				return fail(err)
			}
		default:
			if err := jsonskip.Value(d); err != nil {
				return fail(err)
			}
		}
	}
	if _, err := d.Token(); err != nil {
		return fail(err)
	}
	if !saw {
		return fail(ErrNotKEV)
	}
	return hdr, nil
}

func skip(h Handler, err error) error {
	if h.Skip == nil {
		return err
	}
	return h.Skip(err)
}

func build(file string, n int, e *entry) (kb.KEV, error) {
	id := strings.TrimSpace(e.CVE)
	rec := fmt.Sprintf("entry %d", n)
	if id != "" {
		rec = fmt.Sprintf("entry %d (%s)", n, i18n.Clip(id, 40))
	}
	bad := func(field string, err error) error {
		return &datafile.Error{File: file, Record: rec, Field: field, Err: err}
	}
	if !cveRe.MatchString(id) {
		return kb.KEV{}, bad("cveID", fmt.Errorf("%q is not a CVE id (CVE-YYYY-NNNN)", i18n.Clip(id, 40)))
	}
	k := kb.KEV{
		CVE: id, Vendor: i18n.Clip(e.Vendor, 128), Product: i18n.Clip(e.Product, 128), Name: i18n.Clip(e.Name, 256),
		Action: i18n.Clip(e.Action, 1024), Ransomware: strings.EqualFold(strings.TrimSpace(e.Ransomware), "Known"),
	}
	var ok bool
	if k.Added, ok = parseTime(e.Added); !ok {
		return kb.KEV{}, bad("dateAdded", fmt.Errorf("%q is not a date (YYYY-MM-DD)", i18n.Clip(e.Added, 40)))
	}
	if strings.TrimSpace(e.Due) != "" {
		if k.Due, ok = parseTime(e.Due); !ok {
			return kb.KEV{}, bad("dueDate", fmt.Errorf("%q is not a date (YYYY-MM-DD)", i18n.Clip(e.Due, 40)))
		}
	}
	return k, nil
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Sniff says whether the start of an input looks like the KEV catalog.
func Sniff(head []byte) bool {
	s := string(head)
	if strings.Contains(s, `"$schema"`) {
		return false // the catalog's JSON schema names the same keys
	}
	return strings.Contains(s, `"catalogVersion"`) || (strings.Contains(s, `"cveID"`) && strings.Contains(s, `"dateAdded"`))
}
