package taxii

import (
	"strings"
	"testing"
)

// FuzzReadManifest: a MISP feed's manifest.json comes from outside; any
// input is read or refused, never a panic, and what is read has no
// negative timestamps from digits.
func FuzzReadManifest(f *testing.F) {
	f.Add(`{"5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c01":{"info":"one","timestamp":"1700000000"},"5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c02":{"timestamp":1700000001}}`)
	f.Add(`{"x":{}}`)
	f.Add(`[]`)
	f.Add(`{"a":{"timestamp":"-1"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := readManifest(strings.NewReader(s))
		if err == nil && m == nil {
			t.Fatal("no manifest and no error")
		}
	})
}

// FuzzRequest: the parts of a TAXII request read before and after
// authentication (Accept, the opaque next) take any bytes.
func FuzzRequest(f *testing.F) {
	f.Add("application/taxii+json;version=2.1", cursor{added: 1, key: 2, set: true}.encode())
	f.Add("application/json, application/taxii+json; q=0.5", "bm9wZQ")
	f.Add(";;;,,,=", "")
	f.Fuzz(func(t *testing.T, accept, next string) {
		acceptable([]string{accept})
		if c, err := decodeCursor(next); err == nil {
			if again, err := decodeCursor(c.encode()); err != nil || again != c {
				t.Fatalf("cursor %q does not round-trip: %+v %+v %v", next, c, again, err)
			}
		}
	})
}
