package intel

import (
	"slices"
	"testing"

	"vigil/internal/intel/format"
)

func TestLastOf(t *testing.T) {
	ind := func(kind, value string, unit int64) format.Indicator {
		return format.Indicator{Kind: kind, Value: value, Source: "s", ID: unit}
	}
	inds := []format.Indicator{
		ind("ip", "10.0.0.2", 1),                            // 0: replaced by 3
		ind("domain", "a.vn", 1),                            // 1
		ind("ip", "10.0.0.1", 2),                            // 2: replaced by 4 as an indicator, kept for unit 2
		ind("ip", "10.0.0.2", 1),                            // 3
		ind("ip", "10.0.0.1", 1),                            // 4
		ind("domain", "a.vn", 1),                            // 5: replaces 1
		{Kind: "ip", Value: "10.0.0.2", Source: "t", ID: 1}, // 6: another source
	}
	if got, want := lastOf(inds, false), []int{5, 4, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("identities: %v, want %v", got, want)
	}
	if got, want := lastOf(inds, true), []int{5, 4, 2, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("identities and units: %v, want %v", got, want)
	}
	if got := lastOf(nil, true); len(got) != 0 {
		t.Errorf("nothing: %v", got)
	}
}
