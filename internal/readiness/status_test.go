package readiness

import (
	"strings"
	"testing"
)

// The scoreboard's order is the tree, siblings by code, whatever the ids.
func TestTreeOrder(t *testing.T) {
	units := []*target{
		{id: 1, code: "BHXHVN", path: "/1/"},
		{id: 46, code: "T46", path: "/1/46/"},
		{id: 47, code: "T46-01", path: "/1/46/47/"},
		{id: 5, code: "T01", path: "/1/5/"},
		{id: 6, code: "T01-02", path: "/1/5/6/"},
		{id: 9, code: "T01-01", path: "/1/5/9/"},
		{id: 2, code: "TTCNTT", path: "/1/2/"},
	}
	treeOrder(units)
	var got []string
	for _, u := range units {
		got = append(got, u.code)
	}
	if s := strings.Join(got, " "); s != "BHXHVN T01 T01-01 T01-02 T46 T46-01 TTCNTT" {
		t.Errorf("order %s", s)
	}
	// Ancestors outside the campaign keep their subtrees together.
	units = []*target{{id: 9, code: "Z", path: "/1/5/9/"}, {id: 7, code: "A", path: "/1/3/7/"}, {id: 8, code: "A1", path: "/1/3/7/8/"}}
	treeOrder(units)
	if units[0].code != "A" || units[1].code != "A1" || units[2].code != "Z" {
		t.Errorf("order %s %s %s", units[0].code, units[1].code, units[2].code)
	}
}
