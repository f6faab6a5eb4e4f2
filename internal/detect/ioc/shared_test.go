package ioc

import (
	"testing"

	"vigil/internal/detect/internal/testdatadir"
)

// TestSharedSTIX loads the shared STIX 2.0 (Unit 42) and 2.1 (OASIS)
// bundles: each must parse, and the playbooks must yield many indicators.
func TestSharedSTIX(t *testing.T) {
	dir := testdatadir.Shared(t, "stix")
	b := NewBuilder()
	var total LoadStats
	for _, path := range testdatadir.Files(t, dir, ".json") {
		st, err := b.AddFile(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		total.Added += st.Added
		total.Bad += st.Bad
		total.Skipped += st.Skipped
		for _, e := range st.Errors {
			t.Logf("bad: %v", e)
		}
	}
	s := b.Build()
	t.Logf("STIX: %d indicators added (%d distinct), %d bad, %d comparisons of unsupported kinds", total.Added, s.Len(), total.Bad, total.Skipped)
	if s.Count(KindSHA256) < 1000 || s.Count(KindDomain) < 500 {
		t.Errorf("too few indicators: sha256 %d, domain %d", s.Count(KindSHA256), s.Count(KindDomain))
	}
}
