package scanimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type nucleiResult struct {
	TemplateID  string `json:"template-id"`
	TemplateID2 string `json:"templateID"`
	Info        struct {
		Name           string `json:"name"`
		Severity       string `json:"severity"`
		Description    string `json:"description"`
		Classification struct {
			CVEID     stringOrList `json:"cve-id"`
			CVSSScore flexFloat    `json:"cvss-score"`
		} `json:"classification"`
	} `json:"info"`
	MatcherName      string          `json:"matcher-name"`
	Type             string          `json:"type"`
	Host             string          `json:"host"`
	IP               string          `json:"ip"`
	Port             json.RawMessage `json:"port"`
	MatchedAt        string          `json:"matched-at"`
	Matched          string          `json:"matched"`
	ExtractedResults []string        `json:"extracted-results"`
	Extracted2       []string        `json:"extracted_results"`
	Timestamp        string          `json:"timestamp"`
}

// Nuclei severities: critical, high, medium, low as such, info skipped
// as information, unknown graded by the classification's CVSS or filed
// medium. The host is the match's ip, else the name in its host field; the
// port is the match's port, else the one its URL names or implies (https
// 443, http 80). The check is the template id (and matcher name).
//
// parseNuclei reads JSON lines (nuclei -jsonl) or a JSON array of the same
// objects (nuclei -json-export), one result at a time.
func parseNuclei(br *bufio.Reader, file string, sink Sink, first byte) (*Report, error) {
	rep := &Report{Format: FormatNuclei, Scanner: "Nuclei"}
	n := 0
	one := func(res *nucleiResult, line int) error {
		n++
		rec := &Record{N: n, Line: line, Title: res.Info.Name, Output: clip(res.Info.Description, maxOutput)}
		rec.CheckID = res.TemplateID
		if rec.CheckID == "" {
			rec.CheckID = res.TemplateID2
		}
		if res.MatcherName != "" {
			rec.CheckID += ":" + res.MatcherName
		}
		for _, c := range res.Info.Classification.CVEID {
			rec.addCVE(c)
		}
		rec.CVSS = float64(res.Info.Classification.CVSSScore)
		rec.Host, rec.Port = nucleiHost(res)
		where := res.MatchedAt
		if where == "" {
			where = res.Matched
		}
		if where != "" {
			rec.Output = clip(where+"\n"+rec.Output, maxOutput)
		}
		if at, err := time.Parse(time.RFC3339Nano, res.Timestamp); err == nil {
			rec.Host.ScanAt = at.UTC()
			if at.After(rep.ScanAt) {
				rep.ScanAt = at.UTC()
			}
		}
		sev, known := severityWord(res.Info.Severity)
		switch {
		case known && sev == "":
			rec.Skip = SkipInformational
		case known:
			rec.Severity = sev
		default:
			if rec.Severity = severityFromCVSS(rec.CVSS); rec.Severity == "" {
				rec.Severity = unknownSeverity
			}
		}
		if rec.Skip == "" && rec.Host.Key() != "" {
			h := rec.Host
			if err := sink.Host(&h); err != nil {
				return err
			}
		}
		return sink.Record(rec)
	}
	if first == '[' {
		j := newJSONReader(br, file)
		err := j.array(func() error {
			var res nucleiResult
			if err := j.decode(&res, recordName(n+1)); err != nil {
				return err
			}
			return one(&res, 0)
		})
		if err != nil {
			return nil, err
		}
		return rep, j.end()
	}
	line := 0
	for {
		b, err := readLine(br, MaxElement)
		if len(b) > 0 || err == nil {
			line++
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			var res nucleiResult
			if jerr := json.Unmarshal(t, &res); jerr != nil {
				if err == io.EOF {
					jerr = errors.New("the last line is cut short: truncated (" + jerr.Error() + ")")
				}
				return nil, fail(file, line, "", "", jerr)
			}
			if err := one(&res, line); err != nil {
				return nil, err
			}
		}
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, fail(file, line+1, "", "", err)
		}
	}
}

// readLine reads one line of at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > max {
			return nil, errors.New("a line is longer than " + strconv.Itoa(max>>20) + " MiB")
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

func nucleiHost(res *nucleiResult) (Host, string) {
	var h Host
	h.Addr = parseAddr(res.IP)
	raw := res.Host
	if raw == "" {
		raw = res.MatchedAt
	}
	var port, scheme, name string
	if strings.Contains(raw, "://") {
		if u, err := url.Parse(raw); err == nil {
			scheme, name, port = u.Scheme, u.Hostname(), u.Port()
		}
	} else if hp, p, ok := strings.Cut(raw, ":"); ok && !strings.Contains(p, ":") {
		name, port = hp, p
	} else {
		name = raw
	}
	if a := parseAddr(name); a != "" {
		if h.Addr == "" {
			h.Addr = a
		}
	} else {
		h.Name = cleanName(name)
	}
	if len(res.Port) > 0 {
		var p any
		if json.Unmarshal(res.Port, &p) == nil {
			switch v := p.(type) {
			case string:
				if v != "" {
					port = v
				}
			case float64:
				port = strconv.Itoa(int(v))
			}
		}
	}
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	proto := "tcp"
	if res.Type == "dns" {
		proto = "udp"
		if port == "" {
			port = "53"
		}
	}
	return h, portOf(port, proto)
}
