package asset

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"vigil/internal/datafile"
)

// TestImportHostLimit: every form stops at the first host past the limit
// and says where, and a file at the limit is read whole.
func TestImportHostLimit(t *testing.T) {
	agent := func(i int) string { return fmt.Sprintf(`{"schema":1,"hostname":"vm%d"}`, i) }
	osq := func(i int) string {
		return fmt.Sprintf(`{"name":"pack_vigil_system_info","hostIdentifier":"h%d","unixTime":1700000000,"snapshot":[{"hostname":"h%d"}]}`, i, i)
	}
	forms := []struct {
		name, format string
		file         func(n int) string
		where        string
	}{
		{"csv", "csv", func(n int) string {
			var b strings.Builder
			b.WriteString("hostname\n")
			for i := range n {
				fmt.Fprintf(&b, "ws-%d\n", i)
			}
			return b.String()
		}, "f:5"},
		{"agent lines", "", func(n int) string {
			var b strings.Builder
			for i := range n {
				b.WriteString(agent(i) + "\n")
			}
			return b.String()
		}, "f: record 4"},
		{"agent array", "agent", func(n int) string {
			var s []string
			for i := range n {
				s = append(s, agent(i))
			}
			return "[" + strings.Join(s, ",") + "]"
		}, "f: record 4"},
		{"osquery log", "osquery", func(n int) string {
			var b strings.Builder
			for i := range n {
				b.WriteString(osq(i) + "\n")
			}
			return b.String()
		}, "f:4"},
	}
	for _, f := range forms {
		hosts, err := ParseImport(strings.NewReader(f.file(3)), "f", f.format, 3)
		if err != nil || len(hosts) != 3 {
			t.Errorf("%s at the limit: %d hosts, %v", f.name, len(hosts), err)
		}
		_, err = ParseImport(strings.NewReader(f.file(4)), "f", f.format, 3)
		var many *TooManyHostsError
		var de *datafile.Error
		if !errors.As(err, &many) || many.Limit != 3 || !errors.As(err, &de) || !strings.HasPrefix(err.Error(), f.where+": more than 3 hosts") {
			t.Errorf("%s past the limit: %v", f.name, err)
		}
	}
	if _, err := ParseImport(strings.NewReader("hostname\nx\n"), "f", "xml", 0); err == nil {
		t.Error("unknown format accepted")
	}
}
