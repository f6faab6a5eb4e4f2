package taxii

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// maxManifestEvents caps the events of a MISP feed's manifest.
const maxManifestEvents = 200000

// readManifest reads a MISP feed's manifest.json: event uuid -> the
// event's timestamp (seconds; a number or a string of digits). It is used
// until internal/intel/format's ReadMISPManifest is there.
func readManifest(r io.Reader) (map[string]int64, error) {
	var raw map[string]struct {
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a MISP manifest (a JSON object of events by uuid): %v", err)
	}
	if len(raw) > maxManifestEvents {
		return nil, fmt.Errorf("%d events, more than the cap of %d", len(raw), maxManifestEvents)
	}
	out := make(map[string]int64, len(raw))
	for id, ev := range raw {
		var ts int64
		s := string(ev.Timestamp)
		if uq, err := strconv.Unquote(s); err == nil {
			s = uq
		}
		if s != "" && s != "null" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("event %s: timestamp %s is not a number of seconds", id, string(ev.Timestamp))
			}
			ts = n
		}
		out[id] = ts
	}
	return out, nil
}
