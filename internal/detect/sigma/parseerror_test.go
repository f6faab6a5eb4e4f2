package sigma

import (
	"errors"
	"strings"
	"testing"

	"vigil/internal/datafile"
)

// TestParseErrorPosition checks a rule file's errors read like every
// other reader's (file:line: rule id: what) and give their position to
// errors.As as a *datafile.Error.
func TestParseErrorPosition(t *testing.T) {
	rule := "title: t\nid: 5f0e8f0e-0000-4000-8000-00000000abcd\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image: x\n"
	_, errs := Parse([]byte(rule), "rules/x.yml")
	if len(errs) != 1 {
		t.Fatalf("errs = %v", errs)
	}
	err := errs[0]
	if !strings.HasPrefix(err.Error(), "rules/x.yml:6: rule 5f0e8f0e-0000-4000-8000-00000000abcd: ") {
		t.Errorf("message %q", err)
	}
	var de *datafile.Error
	if !errors.As(err, &de) || de.File != "rules/x.yml" || de.Line != 6 {
		t.Errorf("errors.As: %+v", de)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.ID != "5f0e8f0e-0000-4000-8000-00000000abcd" {
		t.Errorf("ParseError: %+v", pe)
	}
	_, errs = Parse([]byte("a: [\n"), "bad.yml")
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "bad.yml: yaml: ") {
		t.Errorf("yaml error: %v", errs)
	}
}
