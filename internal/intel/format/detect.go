package format

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// Detect names the format of a file from its first bytes (and its name's
// extension as a hint): "stix", "misp", "misp-manifest", "csv", "xlsx",
// or "paste" for plain values one per line.
func Detect(name string, head []byte) string {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	ext := strings.ToLower(path.Ext(name))
	switch {
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return "xlsx"
	case len(h) > 0 && (h[0] == '{' || h[0] == '['):
		return detectJSON(h)
	case len(h) == 0 && ext == ".xlsx":
		return "xlsx"
	}
	// Text: CSV when the first line is a header naming the columns or a
	// type,value row; pasted values otherwise.
	for _, line := range strings.Split(string(h), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		rec, err := splitCSV(line, nil)
		if err != nil || len(rec) < 2 {
			break
		}
		if _, header, err := headerLayout(name, 1, rec); header || err != nil {
			return "csv"
		}
		if _, ok := ParseKind(rec[0]); ok {
			return "csv"
		}
		break
	}
	if ext == ".csv" {
		return "csv"
	}
	return "paste"
}

var (
	mispManifestRE = regexp.MustCompile(`^\{\s*"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"\s*:\s*\{`)
	mispRE         = regexp.MustCompile(`"(Event|Attribute|response)"\s*:`)
	stixRE         = regexp.MustCompile(`"(type|spec_version|pattern|objects)"\s*:`)
)

func detectJSON(h []byte) string {
	switch {
	case mispManifestRE.Match(h):
		return "misp-manifest"
	case bytes.Contains(h, []byte(`"bundle"`)) || bytes.Contains(h, []byte(`"spec_version"`)):
		return "stix"
	case mispRE.Match(h):
		return "misp"
	case stixRE.Match(h):
		return "stix"
	case bytes.Contains(h, []byte(`"info"`)) || bytes.Contains(h, []byte(`"Orgc"`)):
		return "misp"
	}
	return "stix"
}

// detectSize is how much of a file Read looks at to tell its format.
const detectSize = 4096

// Read reads one file of any format Detect knows. The error is for a file
// that cannot be read at all (not JSON where JSON was expected, a cap
// exceeded); bad objects are Result.Skipped. A MISP feed manifest holds
// no indicators: Read refuses it (see ReadMISPManifest).
func Read(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	br := bufio.NewReaderSize(r, detectSize)
	head, _ := br.Peek(detectSize)
	f := Detect(name, head)
	if f == "misp-manifest" {
		return nil, refuse(name, 0, "", "", nil, reasonManifest)
	}
	return ReadAs(f, name, br, opt)
}

// ReadAs reads a file in the format given ("stix", "misp", "csv", "xlsx",
// "paste") whatever Detect would say: a text box of pasted values, say.
func ReadAs(format, name string, r io.Reader, opt ReadOptions) (res *Result, err error) {
	defer func() {
		// Never a panic on outside data: should a bug let one through, the
		// file is refused, the hub goes on.
		if p := recover(); p != nil {
			res, err = nil, refuse(name, 0, "", "", fmt.Errorf("internal error: %v", p), reasonInternal)
		}
	}()
	switch format {
	case "stix":
		return readSTIX(name, r, opt)
	case "misp":
		return readMISP(name, r, opt)
	case "csv":
		return readCSV(name, r, opt)
	case "xlsx":
		return readXLSX(name, r, opt)
	case "paste":
		return readPaste(name, r, opt)
	}
	return nil, refuse(name, 0, "", "", nil, reasonUnknownFormat, format)
}
