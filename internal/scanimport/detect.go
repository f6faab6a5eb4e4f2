package scanimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// sniffSize is how much of a file detection looks at.
const sniffSize = 64 << 10

// Detect tells a report's format from its first bytes (up to 64 KiB),
// never from its name: an XML document by its root element, a JSON one
// by its first keys.
func Detect(head []byte) (string, error) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return "", errors.New("the file is empty: not a scanner report")
	}
	switch t[0] {
	case '<':
		root := xmlRoot(t)
		switch root {
		case "NessusClientData_v2", "NessusClientData":
			return FormatNessus, nil
		case "nmaprun":
			return FormatNmap, nil
		case "NexposeReport":
			return FormatNexpose, nil
		case "ASSET_DATA_REPORT", "SCAN":
			return FormatQualys, nil
		case "report", "get_reports_response":
			return FormatOpenVAS, nil
		case "":
			return "", errors.New("an XML document whose root element cannot be found in its first 64 KiB")
		}
		return "", fmt.Errorf("an XML document with root <%s>, not a report Vigil reads (%s)", root, strings.Join(Formats, ", "))
	case '{', '[', 'n':
		if bytes.HasPrefix(t, []byte("null")) {
			return FormatTrivy, nil // Trivy's legacy report with no results
		}
		keys := jsonKeys(t)
		for _, k := range keys {
			switch k {
			case "SchemaVersion", "ArtifactName", "ArtifactType", "ClusterName", "Target", "Results", "Vulnerabilities", "VulnerabilityID":
				return FormatTrivy, nil
			case "matches", "descriptor", "distro":
				return FormatGrype, nil
			case "results", "experimental_config":
				return FormatOSV, nil
			case "template", "template-id", "templateID", "template-url", "template-path", "matcher-name", "matched-at", "matched":
				return FormatNuclei, nil
			}
		}
		if len(keys) == 0 && bytes.Equal(bytes.TrimSpace(t), []byte("[]")) {
			return "", errors.New("an empty JSON list: the report's format cannot be told; give the format")
		}
		return "", fmt.Errorf("a JSON document whose keys (%s) are not those of a report Vigil reads (%s)", strings.Join(first(keys, 6), ", "), strings.Join(Formats, ", "))
	}
	return "", fmt.Errorf("neither XML nor JSON (it starts with %q)", clip(string(first(t, 16)), 16))
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// xmlRoot finds the first element's name, past the declaration,
// processing instructions, comments and a DOCTYPE (with its internal
// subset), without expanding anything.
func xmlRoot(b []byte) string {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 || i+1 >= len(b) {
			return ""
		}
		b = b[i+1:]
		switch {
		case b[0] == '?':
			j := bytes.Index(b, []byte("?>"))
			if j < 0 {
				return ""
			}
			b = b[j+2:]
		case bytes.HasPrefix(b, []byte("!--")):
			j := bytes.Index(b, []byte("-->"))
			if j < 0 {
				return ""
			}
			b = b[j+3:]
		case b[0] == '!':
			// a DOCTYPE: skip its internal subset, if any
			j := bytes.IndexAny(b, "[>")
			if j < 0 {
				return ""
			}
			if b[j] == '[' {
				k := bytes.Index(b[j:], []byte("]"))
				if k < 0 {
					return ""
				}
				j += k
				k = bytes.IndexByte(b[j:], '>')
				if k < 0 {
					return ""
				}
				j += k
			}
			b = b[j+1:]
		default:
			end := bytes.IndexAny(b, " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := string(b[:end])
			if k := strings.IndexByte(name, ':'); k >= 0 {
				name = name[k+1:]
			}
			return name
		}
	}
}

// jsonKeys returns the first keys of the top-level object, or of the
// first object of a top-level list (or of the first JSON line).
func jsonKeys(b []byte) []string {
	d := json.NewDecoder(bytes.NewReader(b))
	tok, err := d.Token()
	if err != nil {
		return nil
	}
	if tok == json.Delim('[') {
		if tok, err = d.Token(); err != nil {
			return nil
		}
	}
	if tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for len(keys) < 20 && d.More() {
		tok, err := d.Token()
		if err != nil {
			break
		}
		k, ok := tok.(string)
		if !ok {
			break
		}
		keys = append(keys, k)
		var raw json.RawMessage
		if d.Decode(&raw) != nil {
			break
		}
	}
	return keys
}

// Parse reads a report of format (detected when "") and hands its hosts
// and records to sink as it goes. file names the input in errors.
func Parse(r io.Reader, file, format string, sink Sink) (*Report, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fail(file, 0, "", "", err)
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		head = head[3:]
	}
	if format == "" {
		if format, err = Detect(head); err != nil {
			return nil, fail(file, 0, "", "", err)
		}
	} else if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("unknown format %q (%s)", format, strings.Join(Formats, ", "))
	}
	fb := byte(0)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 {
		fb = t[0]
	}
	switch format {
	case FormatNessus:
		return parseNessus(br, file, sink)
	case FormatOpenVAS:
		return parseOpenVAS(br, file, sink)
	case FormatQualys:
		return parseQualys(br, file, sink)
	case FormatNexpose:
		return parseNexpose(br, file, sink)
	case FormatNmap:
		return parseNmap(br, file, sink)
	case FormatNuclei:
		return parseNuclei(br, file, sink, fb)
	}
	if fb == 0 {
		return nil, fail(file, 0, "", "", errors.New("the file is empty: not a scanner report"))
	}
	j := newJSONReader(br, file)
	switch format {
	case FormatTrivy:
		return parseTrivy(j, sink, fb)
	case FormatGrype:
		return parseGrype(j, sink)
	}
	return parseOSV(j, sink)
}
