package taxii

import (
	"testing"
)

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
