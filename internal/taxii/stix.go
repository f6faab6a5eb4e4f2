package taxii

import (
	"encoding/json"
	"strings"
	"time"

	"vigil/internal/intel/format"
)

// The TLP 2.0 marking definitions, as OASIS publishes them (the STIX
// common objects' TLP 2.0 extension): fixed ids, fixed created.
const tlpExtension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

var markingCreated = time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)

type marking struct {
	id, name, created string
	json              json.RawMessage
}

var markings = func() map[string]marking {
	ids := map[string]string{
		format.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		format.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		format.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		format.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		format.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	out := map[string]marking{}
	for tlp, id := range ids {
		m := marking{id: id, name: "TLP:" + strings.ToUpper(tlp), created: "2022-10-01T00:00:00.000Z"}
		m.json, _ = json.Marshal(map[string]any{
			"type": "marking-definition", "spec_version": "2.1", "id": id, "created": m.created, "name": m.name,
			"extensions": map[string]any{tlpExtension: map[string]any{"extension_type": "property-extension", "tlp_2_0": tlp}},
		})
		out[tlp] = m
	}
	return out
}()

// buildSTIX writes one indicator as a STIX 2.1 indicator object.
// (Switches to format.STIXIndicator when the format helper lands it.)
var buildSTIX = stixIndicator

// stixTime is a STIX timestamp (milliseconds, UTC).
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// stixIndicator is the server's own writer of an indicator object, used
// until internal/intel/format's STIXIndicator is there.
func stixIndicator(ind format.Indicator) ([]byte, error) {
	quote := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	var pattern string
	v := quote(ind.Value)
	switch ind.Kind {
	case format.KindIP:
		if strings.Contains(ind.Value, ":") {
			pattern = "[ipv6-addr:value = " + v + "]"
		} else {
			pattern = "[ipv4-addr:value = " + v + "]"
		}
	case format.KindDomain:
		pattern = "[domain-name:value = " + v + "]"
	case format.KindURL:
		pattern = "[url:value = " + v + "]"
	case format.KindMD5:
		pattern = "[file:hashes.MD5 = " + v + "]"
	case format.KindSHA1:
		pattern = "[file:hashes.'SHA-1' = " + v + "]"
	case format.KindSHA256:
		pattern = "[file:hashes.'SHA-256' = " + v + "]"
	case format.KindAccount:
		pattern = "[user-account:account_login = " + v + "]"
	case format.KindEmail:
		pattern = "[email-addr:value = " + v + "]"
	case format.KindHostname:
		pattern = "[x-vigil-host:hostname = " + v + "]"
	default:
		pattern = "[x-vigil-indicator:value = " + v + "]"
	}
	created := ind.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	modified := ind.UpdatedAt
	if modified.Before(created) {
		modified = created
	}
	validFrom := ind.FirstSeen
	if validFrom.IsZero() {
		validFrom = created
	}
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": ind.STIXID,
		"created": stixTime(created), "modified": stixTime(modified),
		"name": ind.Value, "indicator_types": []string{"malicious-activity"},
		"pattern": pattern, "pattern_type": "stix", "valid_from": stixTime(validFrom),
		"confidence": ind.Confidence,
	}
	if !ind.ValidUntil.IsZero() && ind.ValidUntil.After(validFrom) {
		o["valid_until"] = stixTime(ind.ValidUntil)
	}
	desc := ind.Comment
	if ind.Reason != "" {
		desc = strings.TrimSpace(ind.Reason + "\n" + desc)
	}
	if desc != "" {
		o["description"] = desc
	}
	if len(ind.Tags) > 0 {
		o["labels"] = ind.Tags
	}
	if ind.Revoked {
		o["revoked"] = true
	}
	if m, ok := markings[ind.TLP]; ok {
		o["object_marking_refs"] = []string{m.id}
	}
	if ind.Report != "" {
		o["external_references"] = []map[string]string{{"source_name": "report", "description": ind.Report}}
	}
	return json.Marshal(o)
}
