package taxii

import (
	"encoding/json"
	"time"

	"vigil/internal/intel/format"
)

// The TLP 2.0 marking definitions a collection carries ahead of its
// indicators (format.STIXMarking: OASIS's fixed ids, created 1 October
// 2022, the date they are paged under).
var markingCreated = time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)

type marking struct {
	id, created string
	json        json.RawMessage
}

var markings = func() map[string]marking {
	out := map[string]marking{}
	for _, tlp := range format.TLPs {
		b, err := format.STIXMarking(tlp)
		if err != nil {
			panic(err) // a marking format.TLPs names and format cannot write
		}
		out[tlp] = marking{id: topString(b, "id"), created: topString(b, "created"), json: b}
	}
	return out
}()

// buildSTIX writes one indicator as the STIX 2.1 indicator object the
// collection pages.
var buildSTIX = format.STIXIndicator
