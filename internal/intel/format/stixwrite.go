package format

import (
	"bufio"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// stixNamespace is the UUIDv5 namespace of the ids Vigil makes: an
// indicator's is kind|value|source under it, so an export names the same
// indicator the same way every time.
var stixNamespace = uuid.MustParse("0b7e7c53-51d9-4c39-9a8e-3f0d6e6a1f52")

// STIXID is the id an indicator has in STIX: ind.STIXID when set,
// otherwise indicator--UUIDv5(kind|value|source).
func STIXID(ind Indicator) string {
	if ind.STIXID != "" {
		return ind.STIXID
	}
	return "indicator--" + uuid.NewSHA1(stixNamespace, []byte(ind.Kind+"|"+ind.Value+"|"+ind.Source)).String()
}

func identityID(name string) string {
	return "identity--" + uuid.NewSHA1(stixNamespace, []byte("identity|"+name)).String()
}

// patternQuoter escapes a value inside a STIX pattern's quotes; built
// once (Pattern runs for every indicator of an export).
var patternQuoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// Pattern is the STIX pattern of one indicator: [ipv4-addr:value = '…'],
// [file:hashes.'SHA-256' = '…'], [user-account:account_login = '…'],
// [x-vigil-hostname:value = '…'] (STIX has no host name object)…
func Pattern(kind, value string) (string, error) {
	var path string
	switch kind {
	case KindIP:
		path = "ipv4-addr:value"
		if strings.Contains(value, ":") {
			path = "ipv6-addr:value"
		}
	case KindDomain:
		path = "domain-name:value"
	case KindURL:
		path = "url:value"
	case KindMD5:
		path = "file:hashes.MD5"
	case KindSHA1:
		path = "file:hashes.'SHA-1'"
	case KindSHA256:
		path = "file:hashes.'SHA-256'"
	case KindAccount:
		path = "user-account:account_login"
	case KindHostname:
		path = "x-vigil-hostname:value"
	case KindEmail:
		path = "email-addr:value"
	default:
		return "", fmt.Errorf("format: no STIX pattern for kind %q", kind)
	}
	return "[" + path + " = '" + patternQuoter.Replace(value) + "']", nil
}

// stixTimestamp writes a STIX timestamp: UTC, at least milliseconds.
func stixTimestamp(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Nanosecond()%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case t.Nanosecond()%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

// stixIndicator is the indicator object as written, fields in the
// specification's order.
type stixIndicator struct {
	Type               string   `json:"type"`
	SpecVersion        string   `json:"spec_version"`
	ID                 string   `json:"id"`
	CreatedByRef       string   `json:"created_by_ref,omitempty"`
	Created            string   `json:"created"`
	Modified           string   `json:"modified"`
	Description        string   `json:"description,omitempty"`
	Pattern            string   `json:"pattern"`
	PatternType        string   `json:"pattern_type"`
	PatternVersion     string   `json:"pattern_version"`
	ValidFrom          string   `json:"valid_from"`
	ValidUntil         string   `json:"valid_until,omitempty"`
	Confidence         int      `json:"confidence"`
	Labels             []string `json:"labels,omitempty"`
	Revoked            bool     `json:"revoked,omitempty"`
	ObjectMarkingRefs  []string `json:"object_marking_refs,omitempty"`
	ExternalReferences []extRef `json:"external_references,omitempty"`
	XLastSeen          string   `json:"x_vigil_last_seen,omitempty"`
	XUnit              string   `json:"x_vigil_unit,omitempty"`
	XAction            string   `json:"x_vigil_action,omitempty"`
	XSeverity          string   `json:"x_vigil_severity,omitempty"`
	XReason            string   `json:"x_vigil_reason,omitempty"`
}

// epoch stands for a time an indicator does not have, so that an export
// stays the same from one run to the next.
var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return epoch
}

func toSTIX(ind Indicator, producer string) (*stixIndicator, error) {
	pat, err := Pattern(ind.Kind, ind.Value)
	if err != nil {
		return nil, err
	}
	created := firstTime(ind.CreatedAt, ind.FirstSeen, ind.UpdatedAt)
	o := &stixIndicator{
		Type: "indicator", SpecVersion: "2.1", ID: STIXID(ind),
		Created:     stixTimestamp(created),
		Modified:    stixTimestamp(firstTime(ind.UpdatedAt, created)),
		Description: ind.Comment,
		Pattern:     pat, PatternType: "stix", PatternVersion: "2.1",
		ValidFrom:  stixTimestamp(firstTime(ind.FirstSeen, created)),
		Confidence: min(max(ind.Confidence, 0), 100),
		Labels:     ind.Tags,
		Revoked:    ind.Revoked,
		XUnit:      ind.Unit, XAction: ind.Action, XSeverity: ind.Severity, XReason: ind.Reason,
	}
	if !ind.ValidUntil.IsZero() {
		o.ValidUntil = stixTimestamp(ind.ValidUntil)
	}
	if !ind.LastSeen.IsZero() {
		o.XLastSeen = stixTimestamp(ind.LastSeen)
	}
	src := ind.Source
	if src == "" {
		src = producer
	}
	if src != "" {
		o.CreatedByRef = identityID(src)
	}
	if t, ok := ParseTLP(ind.TLP); ok {
		o.ObjectMarkingRefs = []string{tlp2IDs[t]}
	}
	if ind.Report != "" {
		o.ExternalReferences = []extRef{{SourceName: ind.Report}}
	}
	return o, nil
}

// STIXIndicator is one indicator as a STIX 2.1 indicator object (JSON),
// the unit the TAXII server pages: id STIXID(ind), the pattern Pattern
// makes, valid_from the first seen time, created_by_ref the identity
// named after the source, object_marking_refs the TLP 2.0 marking,
// labels the tags, external_references the report; the warning-list
// fields as x_vigil_unit, x_vigil_action, x_vigil_severity,
// x_vigil_reason, and last seen as x_vigil_last_seen.
func STIXIndicator(ind Indicator) ([]byte, error) {
	o, err := toSTIX(ind, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(o)
}

// STIXMarking is the TLP 2.0 marking-definition object of a marking.
func STIXMarking(tlp string) ([]byte, error) {
	t, ok := ParseTLP(tlp)
	if !ok {
		return nil, fmt.Errorf("format: unknown TLP marking %q", tlp)
	}
	return json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": tlp2IDs[t],
		"created": "2022-10-01T00:00:00.000Z", "name": "TLP:" + strings.ToUpper(t),
		"extensions": map[string]any{tlp2Extension: map[string]string{"extension_type": "property-extension", "tlp_2_0": t}},
	})
}

// STIXIdentity is the identity object of a source or producer.
func STIXIdentity(name string, created time.Time) ([]byte, error) {
	ts := stixTimestamp(firstTime(created))
	return json.Marshal(map[string]any{
		"type": "identity", "spec_version": "2.1", "id": identityID(name),
		"created": ts, "modified": ts, "name": name, "identity_class": "organization",
	})
}

// WriteSTIX writes a STIX 2.1 bundle: an identity for the producer and
// for each source, the TLP 2.0 marking definitions used, one indicator
// object per indicator (see STIXIndicator), and, when opt.Title is set, a
// report of that name referring to them all. It streams: the indicators
// are not held as JSON.
func WriteSTIX(w io.Writer, inds []Indicator, opt WriteOptions) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	// The bundle's id depends on what it holds, so it is stable too.
	h := sha1.New()
	idents := map[string]time.Time{}
	var identOrder []string
	tlps := map[string]bool{}
	note := func(name string, t time.Time) {
		if name == "" {
			return
		}
		old, seen := idents[name]
		if !seen {
			identOrder = append(identOrder, name)
		}
		if !seen || (!t.IsZero() && t.Before(old)) {
			idents[name] = t
		}
	}
	note(opt.Identity, time.Time{})
	for _, ind := range inds {
		src := ind.Source
		if src == "" {
			src = opt.Identity
		}
		note(src, firstTime(ind.CreatedAt, ind.FirstSeen, ind.UpdatedAt))
		if t, ok := ParseTLP(ind.TLP); ok {
			tlps[t] = true
		}
		io.WriteString(h, STIXID(ind)+"\n")
	}
	io.WriteString(h, opt.Title)
	bundleID := "bundle--" + uuid.NewSHA1(stixNamespace, h.Sum(nil)).String()
	fmt.Fprintf(bw, `{"type":"bundle","id":%q,"objects":[`, bundleID)
	n := 0
	emit := func(b []byte) {
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(b)
		n++
	}
	for _, name := range identOrder {
		b, err := STIXIdentity(name, idents[name])
		if err != nil {
			return err
		}
		emit(b)
	}
	for _, t := range TLPs {
		if tlps[t] {
			b, _ := STIXMarking(t)
			emit(b)
		}
	}
	var latest time.Time
	for _, ind := range inds {
		o, err := toSTIX(ind, opt.Identity)
		if err != nil {
			return err
		}
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		emit(b)
		if ind.UpdatedAt.After(latest) {
			latest = ind.UpdatedAt
		}
	}
	if opt.Title != "" && len(inds) > 0 {
		ts := stixTimestamp(firstTime(latest))
		head, _ := json.Marshal(map[string]any{
			"type": "report", "spec_version": "2.1",
			"id":      "report--" + uuid.NewSHA1(stixNamespace, []byte("report|"+bundleID)).String(),
			"created": ts, "modified": ts, "published": ts, "name": opt.Title, "report_types": []string{"indicator"},
		})
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(head[:len(head)-1])
		if opt.Identity != "" {
			fmt.Fprintf(bw, `,"created_by_ref":%q`, identityID(opt.Identity))
		}
		bw.WriteString(`,"object_refs":[`)
		for i, ind := range inds {
			if i > 0 {
				bw.WriteByte(',')
			}
			fmt.Fprintf(bw, "%q", STIXID(ind))
		}
		bw.WriteString("]}")
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}
