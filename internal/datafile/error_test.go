package datafile

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	cause := errors.New("not a date")
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "hosts.csv", Line: 12, Column: 3, Field: "os_name", Err: cause}, `hosts.csv:12:3: field "os_name": not a date`},
		{Error{File: "hosts.csv", Line: 12, Err: cause}, `hosts.csv:12: not a date`},
		{Error{File: "hosts.csv", Column: 3, Err: cause}, `hosts.csv: not a date`}, // a column without a line says nothing
		{Error{Line: 2, Err: cause}, `input:2: not a date`},
		{Error{File: "feed.json", Record: "object 4", Field: "pattern", Err: cause}, `feed.json: object 4: field "pattern": not a date`},
		{Error{File: "r.yml", Line: 7, Record: "rule 5f1e", Err: cause}, `r.yml:7: rule 5f1e: not a date`},
		{Error{File: "x.csv", Line: 1, Field: "tên máy", Err: cause}, `x.csv:1: field "tên máy": not a date`},
		{Error{File: "gone.evtx", Err: fs.ErrNotExist}, `gone.evtx: file does not exist`},
		{Error{File: "x"}, `x`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v:\n got %s\nwant %s", tt.e, got, tt.want)
		}
	}
}

func TestErrorIsAs(t *testing.T) {
	sentinel := errors.New("bad value")
	inner := &Error{File: "f.csv", Line: 3, Column: 2, Field: "value", Err: fmt.Errorf("%w: %q", sentinel, "zz")}
	wrapped := fmt.Errorf("import: %w", inner)
	tests := []struct {
		name   string
		err    error
		target error
	}{
		{"direct", inner, sentinel},
		{"wrapped", wrapped, sentinel},
		{"csv sentinel", &Error{File: "f.csv", Err: errorf(ErrUnknownColumn, "unknown column %q", "x")}, ErrUnknownColumn},
		{"fs", fmt.Errorf("hunt: %w", &Error{File: "a", Err: fs.ErrPermission}), fs.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.target) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.target)
			}
			var e *Error
			if !errors.As(tt.err, &e) || e.File == "" {
				t.Errorf("errors.As(%v) = %v", tt.err, e)
			}
		})
	}
	var e *Error
	if errors.As(wrapped, &e); e.Line != 3 || e.Column != 2 || e.Field != "value" {
		t.Errorf("As lost the position: %+v", e)
	}
	if errors.Is(inner, ErrUnknownColumn) {
		t.Error("Is matched an unrelated sentinel")
	}
}
