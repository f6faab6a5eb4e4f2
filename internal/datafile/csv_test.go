package datafile

import (
	"errors"
	"io"
	"strings"
	"testing"
)

var hostSpec = &Spec{Columns: []Column{
	{Name: "hostname", Aliases: []string{"host", "computer name", "tên máy"}, Required: true},
	{Name: "os_name", Aliases: []string{"os"}},
	{Name: "addresses", Aliases: []string{"ip"}},
	{Name: "comment"},
}}

// readAll returns the records as name=value lines, or the first error.
func readAll(in string, spec *Spec) ([]string, error) {
	c, err := NewCSV(strings.NewReader(in), "h.csv", spec)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		err := c.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var f []string
		for _, col := range spec.Columns {
			if c.Has(col.Name) {
				f = append(f, col.Name+"="+c.Get(col.Name))
			}
		}
		out = append(out, strings.Join(f, " "))
	}
}

func TestCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "hostname,os_name\nws-1,Debian\nws-2,Windows 11\n", []string{"hostname=ws-1 os_name=Debian", "hostname=ws-2 os_name=Windows 11"}},
		{"any order", "os_name,hostname\nDebian,ws-1\n", []string{"hostname=ws-1 os_name=Debian"}},
		{"aliases, case, spaces", "Computer Name,OS,IP\nws-1,Debian,10.0.0.1\n", []string{"hostname=ws-1 os_name=Debian addresses=10.0.0.1"}},
		{"underscores and dashes ignored", "HOST-NAME,Os_Name\nws-1,x\n", []string{"hostname=ws-1 os_name=x"}},
		{"vietnamese alias", "Tên máy\nws-1\n", []string{"hostname=ws-1"}},
		{"BOM", "\xef\xbb\xbfhostname,os_name\nws-1,Debian\n", []string{"hostname=ws-1 os_name=Debian"}},
		{"CRLF", "hostname,os_name\r\nws-1,Debian\r\n", []string{"hostname=ws-1 os_name=Debian"}},
		{"semicolons", "hostname;os_name\nws-1;Debian, 12\n", []string{"hostname=ws-1 os_name=Debian, 12"}},
		{"quoted separators and breaks", "hostname,comment\nws-1,\"a, b; \"\"c\"\"\nline 2\"\n", []string{"hostname=ws-1 comment=a, b; \"c\"\nline 2"}},
		{"short row reads empty", "hostname,os_name,addresses\nws-1\nws-2,Debian\n", []string{"hostname=ws-1 os_name= addresses=", "hostname=ws-2 os_name=Debian addresses="}},
		{"blank lines skipped", "hostname\n\nws-1\n   \n\nws-2\n", []string{"hostname=ws-1", "hostname=ws-2"}},
		{"trailing separators", "hostname,os_name,\nws-1,Debian,\nws-2,,,\n", []string{"hostname=ws-1 os_name=Debian", "hostname=ws-2 os_name="}},
		{"values trimmed", "hostname, os_name\n ws-1 ,  Debian \n", []string{"hostname=ws-1 os_name=Debian"}},
		{"header only", "hostname\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.in, hostSpec)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		spec         *Spec
		is           error
		line, column int
		field        string
		msg          string
	}{
		{"empty", "", hostSpec, ErrEmpty, 1, 0, "", "h.csv:1: empty file; the first line must name the columns (hostname, os_name, addresses, comment)"},
		{"unknown column", "hostname,colour\n", hostSpec, ErrUnknownColumn, 1, 2, "", `h.csv:1:2: unknown column "colour" (the columns are hostname, os_name, addresses, comment)`},
		{"missing required", "os_name\nDebian\n", hostSpec, ErrMissingColumn, 1, 0, "", `h.csv:1: missing required column "hostname" (the columns are`},
		{"missing two", "c\n", &Spec{Columns: []Column{{Name: "a", Required: true}, {Name: "b", Required: true}, {Name: "c"}}}, ErrMissingColumn, 1, 0, "", `h.csv:1: missing required columns "a", "b"`},
		{"duplicate", "hostname,os_name,hostname\n", hostSpec, ErrDuplicateColumn, 1, 3, "", `h.csv:1:3: column "hostname" appears twice (also column 1)`},
		{"duplicate by alias", "hostname,host\n", hostSpec, ErrDuplicateColumn, 1, 2, "", `h.csv:1:2: column "host" (another name for "hostname") appears twice (also column 1)`},
		{"too many fields", "hostname\nws-1,extra\n", hostSpec, ErrTooManyFields, 2, 2, "", "h.csv:2:2: 2 fields, but the header has 1"},
		{"bad quote", "hostname,os_name\nws-1,\"Debian\n", hostSpec, ErrSyntax, 2, 0, "", "h.csv:2: extraneous or missing \" in quoted-field"},
		{"bare quote", "hostname\nws\"1\n", hostSpec, ErrSyntax, 2, 0, "", "h.csv:2: bare \" in non-quoted-field (character 3)"},
		{"not UTF-8", "hostname,os_name\nws-1,\xff\xfe\n", hostSpec, ErrNotUTF8, 2, 2, "os_name", `h.csv:2:2: field "os_name": not valid UTF-8`},
		{"not UTF-8 header", "hostname,\xff\n", hostSpec, ErrNotUTF8, 1, 2, "", `h.csv:1:2: not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(tt.in, tt.spec)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if e.Line != tt.line || e.Column != tt.column || e.Field != tt.field {
				t.Errorf("position %d:%d field %q, want %d:%d %q (%v)", e.Line, e.Column, e.Field, tt.line, tt.column, tt.field, e)
			}
			if !strings.HasPrefix(e.Error(), tt.msg) {
				t.Errorf("message\n got %s\nwant %s...", e, tt.msg)
			}
		})
	}
}

func TestCSVAllowUnknownAndErrorf(t *testing.T) {
	spec := &Spec{Columns: []Column{{Name: "type", Required: true}, {Name: "value", Required: true}}, AllowUnknown: true}
	c, err := NewCSV(strings.NewReader("uuid,type,value,to_ids\n1,ip,10.0.0.1,1\n"), "misp.csv", spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Next(); err != nil {
		t.Fatal(err)
	}
	if c.Get("value") != "10.0.0.1" || c.Column("value") != 3 || c.Column("comment") != 0 || c.Line() != 2 {
		t.Errorf("value %q column %d line %d", c.Get("value"), c.Column("value"), c.Line())
	}
	e := c.Errorf("value", "not an address: %q", c.Get("value"))
	if e.Error() != `misp.csv:2:3: field "value": not an address: "10.0.0.1"` {
		t.Errorf("Errorf: %s", e)
	}
	if e := c.Error("", errors.New("row refused")); e.Error() != "misp.csv:2: row refused" {
		t.Errorf("Error: %s", e)
	}
	if err := c.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

func TestSpecMapLine(t *testing.T) {
	// Map is what readers of their own (the indicator loader) use on a
	// header line they split themselves.
	spec := &Spec{Columns: []Column{{Name: "type", Aliases: []string{"kind"}, Required: true}, {Name: "value", Required: true}}}
	h, err := spec.Map("f.csv", 1, []string{"Value", "Kind"})
	if err != nil || h.Index("type") != 1 || h.Index("value") != 0 || h.Index("comment") != -1 {
		t.Fatalf("%v %+v", err, h)
	}
	if _, err := spec.Map("f.csv", 1, []string{"value"}); err == nil || err.Error() != `f.csv:1: missing required column "type" (the columns are type, value)` {
		t.Errorf("missing: %v", err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add("hostname,os_name\nws-1,Debian\n")
	f.Add("\xef\xbb\xbfHost;OS\n\"a;b\";c\n")
	f.Add("hostname\nws\"1\n")
	f.Add("hostname,hostname\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := NewCSV(strings.NewReader(in), "f.csv", hostSpec)
		for err == nil {
			if err = c.Next(); err == nil {
				_ = c.Get("hostname") + c.Get("os_name")
			}
		}
		if err == io.EOF {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.File != "f.csv" || !strings.HasPrefix(e.Error(), "f.csv") {
			t.Fatalf("error is not a positioned *Error: %v (%T)", err, err)
		}
	})
}
