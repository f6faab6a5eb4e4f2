package incident

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"vigil/internal/intel/format"
)

// stixNS is the UUIDv5 namespace of the ids a case's export makes, so the
// same case exports with the same ids every time.
var stixNS = uuid.MustParse("5b0f3e0c-7a43-4f0e-9d55-2f4b8c1a6e13")

func stixID(kind, key string) string {
	return kind + "--" + uuid.NewSHA1(stixNS, []byte(kind+"|"+key)).String()
}

func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// scoKind maps an observable's kind to a STIX cyber-observable object and
// its property.
func sco(kind, value string) (map[string]any, bool) {
	id := func(t string) string { return stixID(t, kind+"|"+value) }
	switch kind {
	case "ip":
		t := "ipv4-addr"
		if strings.Contains(value, ":") {
			t = "ipv6-addr"
		}
		return map[string]any{"type": t, "spec_version": "2.1", "id": id(t), "value": value}, true
	case "domain":
		return map[string]any{"type": "domain-name", "spec_version": "2.1", "id": id("domain-name"), "value": value}, true
	case "url":
		return map[string]any{"type": "url", "spec_version": "2.1", "id": id("url"), "value": value}, true
	case "email":
		return map[string]any{"type": "email-addr", "spec_version": "2.1", "id": id("email-addr"), "value": value}, true
	case "account":
		return map[string]any{"type": "user-account", "spec_version": "2.1", "id": id("user-account"), "account_login": value}, true
	case "md5", "sha1", "sha256":
		algo := map[string]string{"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}[kind]
		return map[string]any{"type": "file", "spec_version": "2.1", "id": id("file"), "hashes": map[string]string{algo: value}}, true
	}
	return nil, false
}

// STIX exports a case the caller reads as a STIX 2.1 bundle: the
// organisation (identity), the incident, one observed-data with the
// observables as cyber-observable objects, an indicator per observable
// (its pattern as internal/intel writes them), and relationships
// (indicator indicates incident, observed-data related-to incident). It
// returns the bundle and the case's number.
func (s *Service) STIX(ctx context.Context, id int64) ([]byte, string, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	obs, err := s.observables(ctx, id)
	if err != nil {
		return nil, "", err
	}
	created, modified := stixTime(c.CreatedAt), stixTime(c.UpdatedAt)
	org := map[string]any{"type": "identity", "spec_version": "2.1", "id": stixID("identity", c.Unit), "created": created, "modified": created,
		"name": c.UnitName, "identity_class": "organization"}
	incID := stixID("incident", c.Ref)
	labels := []string{"category:" + c.Category, "severity:" + c.Severity, "status:" + c.Status}
	inc := map[string]any{"type": "incident", "spec_version": "2.1", "id": incID, "created": created, "modified": modified,
		"created_by_ref": org["id"], "name": c.Ref + " — " + c.Title, "description": c.Description, "labels": labels,
		"external_references": []map[string]string{{"source_name": "vigil", "external_id": c.Ref}},
		"x_vigil_detected":    stixTime(c.DetectedAt), "x_vigil_security_level": c.SecurityLevel, "x_vigil_units": c.Units}
	if !c.ContainedAt.IsZero() {
		inc["x_vigil_contained"] = stixTime(c.ContainedAt)
	}
	if !c.ClosedAt.IsZero() {
		inc["x_vigil_closed"] = stixTime(c.ClosedAt)
	}
	objects := []any{org, inc}
	var refs []string
	var scos, inds, rels []any
	for _, o := range obs {
		if x, ok := sco(o.Kind, o.Value); ok {
			scos = append(scos, x)
			refs = append(refs, x["id"].(string))
		}
		pattern, err := format.Pattern(o.Kind, o.Value)
		if err != nil {
			continue
		}
		indID := stixID("indicator", o.Kind+"|"+o.Value)
		inds = append(inds, map[string]any{"type": "indicator", "spec_version": "2.1", "id": indID, "created": stixTime(o.AddedAt), "modified": stixTime(o.AddedAt),
			"created_by_ref": org["id"], "name": o.Kind + ": " + o.Value, "pattern": pattern, "pattern_type": "stix", "valid_from": stixTime(o.AddedAt),
			"indicator_types": []string{"malicious-activity"}})
		rels = append(rels, map[string]any{"type": "relationship", "spec_version": "2.1", "id": stixID("relationship", indID+"|indicates|"+incID),
			"created": stixTime(o.AddedAt), "modified": stixTime(o.AddedAt), "relationship_type": "indicates", "source_ref": indID, "target_ref": incID})
	}
	if len(refs) > 0 {
		first, last := c.DetectedAt, c.UpdatedAt
		if last.Before(first) {
			last = first
		}
		odID := stixID("observed-data", c.Ref)
		objects = append(objects, map[string]any{"type": "observed-data", "spec_version": "2.1", "id": odID, "created": created, "modified": modified,
			"created_by_ref": org["id"], "first_observed": stixTime(first), "last_observed": stixTime(last), "number_observed": 1, "object_refs": refs})
		rels = append(rels, map[string]any{"type": "relationship", "spec_version": "2.1", "id": stixID("relationship", odID+"|related-to|"+incID),
			"created": created, "modified": modified, "relationship_type": "related-to", "source_ref": odID, "target_ref": incID})
	}
	objects = append(objects, scos...)
	objects = append(objects, inds...)
	objects = append(objects, rels...)
	bundle := map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": objects}
	data, err := json.MarshalIndent(bundle, "", "  ")
	return data, c.Ref, err
}
