// Package epss reads FIRST's EPSS scores CSV (epss_scores-YYYY-MM-DD.csv,
// usually gzip-compressed): an optional comment line
// "#model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000", then
// the header "cve,epss,percentile" and one row per CVE.
package epss

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/kb"
)

// Header is what the comment line says.
type Header struct {
	Model string    // "v2023.03.01"
	Date  time.Time // score_date: the data's own date
}

// Handler receives the header and the scores; see msrc.Handler for Skip.
type Handler struct {
	Header func(Header) error
	Score  func(kb.EPSS) error
	Skip   func(error) error
}

var spec = &datafile.Spec{Columns: []datafile.Column{
	{Name: "cve", Required: true, Aliases: []string{"cve_id"}},
	{Name: "epss", Required: true},
	{Name: "percentile", Required: true},
}, AllowUnknown: true}

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// Parse reads the CSV from r; file names it in errors.
func Parse(r io.Reader, file string, h Handler) (Header, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	var hdr Header
	offset := 0 // lines consumed before the CSV reader starts
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '#' {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return hdr, &datafile.Error{File: file, Line: 1, Err: err}
		}
		if len(line) > 4096 {
			return hdr, &datafile.Error{File: file, Line: 1, Err: errors.New("comment line too long")}
		}
		offset = 1
		for _, part := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "#")), ",") {
			k, v, _ := strings.Cut(part, ":")
			switch strings.TrimSpace(k) {
			case "model_version":
				hdr.Model = strings.TrimSpace(v)
			case "score_date":
				v = strings.TrimSpace(v)
				for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02"} {
					if t, err := time.Parse(layout, v); err == nil {
						hdr.Date = t.UTC()
						break
					}
				}
				if hdr.Date.IsZero() {
					return hdr, &datafile.Error{File: file, Line: 1, Field: "score_date", Err: fmt.Errorf("%q is not a date", i18n.Clip(v, 40))}
				}
			}
		}
	}
	shift := func(err error) error {
		var de *datafile.Error
		if errors.As(err, &de) && de.Line > 0 {
			de.Line += offset
		}
		return err
	}
	c, err := datafile.NewCSV(br, file, spec)
	if err != nil {
		return hdr, shift(err)
	}
	if h.Header != nil {
		if err := h.Header(hdr); err != nil {
			return hdr, err
		}
	}
	for {
		err := c.Next()
		if err == io.EOF {
			return hdr, nil
		}
		if err != nil {
			return hdr, shift(err)
		}
		s, err := row(c, hdr.Date)
		if err != nil {
			if h.Skip == nil {
				return hdr, shift(err)
			}
			if err := h.Skip(shift(err)); err != nil {
				return hdr, err
			}
			continue
		}
		if h.Score != nil {
			if err := h.Score(s); err != nil {
				return hdr, err
			}
		}
	}
}

func row(c *datafile.CSV, date time.Time) (kb.EPSS, error) {
	id := strings.TrimSpace(c.Get("cve"))
	if !cveRe.MatchString(id) {
		return kb.EPSS{}, c.Errorf("cve", "%q is not a CVE id (CVE-YYYY-NNNN)", i18n.Clip(id, 40))
	}
	score, err := strconv.ParseFloat(strings.TrimSpace(c.Get("epss")), 64)
	if err != nil || score < 0 || score > 1 {
		return kb.EPSS{}, c.Errorf("epss", "%q is not a probability from 0 to 1", i18n.Clip(c.Get("epss"), 40))
	}
	pct, err := strconv.ParseFloat(strings.TrimSpace(c.Get("percentile")), 64)
	if err != nil || pct < 0 || pct > 1 {
		return kb.EPSS{}, c.Errorf("percentile", "%q is not a fraction from 0 to 1", i18n.Clip(c.Get("percentile"), 40))
	}
	return kb.EPSS{CVE: id, Score: score, Percentile: pct, Date: date}, nil
}

// Sniff says whether the start of an input looks like an EPSS CSV.
func Sniff(head []byte) bool {
	s := strings.ToLower(string(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))))
	if strings.HasPrefix(s, "#model_version") || strings.HasPrefix(s, "#") && strings.Contains(s, "score_date") {
		return true
	}
	first, _, _ := strings.Cut(s, "\n")
	return strings.HasPrefix(strings.TrimSpace(first), "cve,epss")
}
