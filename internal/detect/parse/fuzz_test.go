package parse

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"vigil/internal/detect"
)

// seedLines adds every line of the given testdata files as a seed.
func seedLines(f *testing.F, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			f.Add(line)
		}
	}
}

// FuzzTextLine covers the syslog header parsers (RFC 3164, 5424) and the
// CEF and LEEF payload parsers behind them.
func FuzzTextLine(f *testing.F) {
	seedLines(f, "syslog.log", "access.log")
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev detect.Event
		_ = parseTextLine(&ev, line)
	})
}

// FuzzCEF targets the CEF parser directly, past the "CEF:" prefix.
func FuzzCEF(f *testing.F) {
	f.Add([]byte(`0|V|P|1|100|Name|5|src=192.0.2.1 msg=a\=b c\\d rt=1700000000000 cs1Label=x cs1=y z`))
	f.Add([]byte(`0|V\|x|P|1|1|N|5|`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev detect.Event
		_ = parseCEF(&ev, append([]byte("CEF:"), body...))
	})
}

// FuzzLEEF targets the LEEF parser directly, past the "LEEF:" prefix.
func FuzzLEEF(f *testing.F) {
	f.Add([]byte("1.0|V|P|1|E|src=192.0.2.1\tdst=198.51.100.1"))
	f.Add([]byte("2.0|V|P|1|E|x5E|a=1^b=2"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var ev detect.Event
		_ = parseLEEF(&ev, append([]byte("LEEF:"), body...))
	})
}

// FuzzJSONRecord covers the JSON decoder and every JSON shape (Windows,
// Winlogbeat, NXLog, Suricata, Zeek, Wazuh, generic).
func FuzzJSONRecord(f *testing.F) {
	seedLines(f, "winlogbeat.json", "nxlog.json", "eve.json", "zeek_dns.log", "wazuh_alerts.json", "generic.jsonl", "win_lines.jsonl", "win_xmltodict.json", "journal.json")
	f.Fuzz(func(t *testing.T, line []byte) {
		v, err := parseJSON(line)
		if err != nil {
			return
		}
		var ev detect.Event
		_ = (*shaper)(nil).mapJSON(&ev, &v)
	})
}

// FuzzFile covers format detection, gzip, and the readers' record loops
// (line splitting, JSON streams and arrays) on whole inputs.
func FuzzFile(f *testing.F) {
	for _, name := range []string{"win_array.json", "win_lines.jsonl.gz", "syslog.log", "generic.jsonl", "win_export.xml", "syslog.log.bz2", "iis.log"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := NewFile(bufio.NewReader(bytes.NewReader(data)), "fuzz")
		if err != nil {
			return
		}
		defer file.Close()
		var ev detect.Event
		for i := 0; i <= len(data)+1; i++ {
			if err := file.Next(&ev); err != nil {
				if err == io.EOF {
					return
				}
				return
			}
		}
		// gzip and bzip2 expand; a decompressed input may hold more records
		// than the compressed one has bytes, so no bound is asserted there.
		if !bytes.HasPrefix(data, gzipMagic) && !bytes.HasPrefix(data, []byte("BZh")) {
			t.Fatalf("more events than input bytes")
		}
	})
}

// FuzzParserLine covers one-record text parsing as the hub's pipeline
// calls it, reusing one Parser across inputs.
func FuzzParserLine(f *testing.F) {
	seedLines(f, "syslog.log", "access.log")
	f.Add([]byte("<13>1 - - - - - - CEF:0|V|P|1|100|N|5|src=192.0.2.1"))
	f.Add([]byte("Jan  1 00:00:00 fw LEEF:2.0|V|P|1|E|x5E|a=1^b=2"))
	p := NewParser()
	f.Fuzz(func(t *testing.T, line []byte) {
		var ev detect.Event
		if err := p.Line(&ev, line); err != nil && Reason(err) == "" {
			t.Fatal("error without a reason")
		}
	})
}

// FuzzParserJSON covers one-record JSON parsing, reusing one Parser.
func FuzzParserJSON(f *testing.F) {
	seedLines(f, "eve.json", "wazuh_alerts.json", "generic.jsonl", "win_lines.jsonl", "winlogbeat.json", "nxlog.json", "journal.json")
	p := NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev detect.Event
		if err := p.JSON(&ev, data); err != nil && Reason(err) == "" {
			t.Fatal("error without a reason")
		}
	})
}
