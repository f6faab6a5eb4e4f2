package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"vigil/internal/detect/ioc"
)

// TLP marking-definition ids: TLP 1.0 as STIX 2.1 section 7.2.1.4 gives
// them, and TLP 2.0 as the OASIS TLP 2.0 extension does.
var (
	tlp1IDs = map[string]string{
		"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLPClear, // white
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLPGreen,
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLPAmber,
		"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLPRed,
	}
	tlp2IDs = map[string]string{
		TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
		TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
)

// tlpByID reads a marking-definition id as a TLP marking.
func tlpByID(id string) (string, bool) {
	if t, ok := tlp1IDs[id]; ok {
		return t, true
	}
	for t, i := range tlp2IDs {
		if i == id {
			return t, true
		}
	}
	return "", false
}

// stixTypes are the object types of STIX 2.0 and 2.1; with "x-" types,
// anything else is an unknown type.
var stixTypes = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`attack-pattern campaign course-of-action grouping identity incident indicator
		infrastructure intrusion-set location malware malware-analysis note observed-data opinion report
		threat-actor tool vulnerability relationship sighting marking-definition language-content
		extension-definition bundle artifact autonomous-system directory domain-name email-addr
		email-message file ipv4-addr ipv6-addr mac-addr mutex network-traffic process software url
		user-account windows-registry-key x509-certificate`) {
		stixTypes[t] = true
	}
}

type extRef struct {
	SourceName  string `json:"source_name"`
	ExternalID  string `json:"external_id"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

// stixObj is every field of a STIX object this reader uses.
type stixObj struct {
	Type               string                     `json:"type"`
	ID                 string                     `json:"id"`
	SpecVersion        string                     `json:"spec_version"`
	Created            string                     `json:"created"`
	Modified           string                     `json:"modified"`
	Name               string                     `json:"name"`
	Description        string                     `json:"description"`
	Pattern            string                     `json:"pattern"`
	PatternType        string                     `json:"pattern_type"`
	ValidFrom          string                     `json:"valid_from"`
	ValidUntil         string                     `json:"valid_until"`
	Confidence         *int                       `json:"confidence"`
	Labels             []string                   `json:"labels"`
	IndicatorTypes     []string                   `json:"indicator_types"`
	CreatedByRef       string                     `json:"created_by_ref"`
	ObjectMarkingRefs  []string                   `json:"object_marking_refs"`
	ExternalReferences []extRef                   `json:"external_references"`
	Revoked            bool                       `json:"revoked"`
	Value              string                     `json:"value"`
	Hashes             map[string]string          `json:"hashes"`
	UserID             string                     `json:"user_id"`
	AccountLogin       string                     `json:"account_login"`
	Objects            map[string]json.RawMessage `json:"objects"`     // observed-data, STIX 2.0
	ObjectRefs         []string                   `json:"object_refs"` // observed-data, STIX 2.1
	FirstObserved      string                     `json:"first_observed"`
	LastObserved       string                     `json:"last_observed"`
	DefinitionType     string                     `json:"definition_type"`
	Definition         struct {
		TLP       string `json:"tlp"`
		Statement string `json:"statement"`
	} `json:"definition"`
	Extensions map[string]struct {
		TLP2 string `json:"tlp_2_0"`
	} `json:"extensions"`
	// Vigil's own properties, so a warning-list entry survives an export.
	XUnit     string `json:"x_vigil_unit"`
	XAction   string `json:"x_vigil_action"`
	XSeverity string `json:"x_vigil_severity"`
	XReason   string `json:"x_vigil_reason"`
	XLastSeen string `json:"x_vigil_last_seen"`
	XHostname string `json:"hostname"` // x-… objects
}

// pending is an indicator waiting for the identities and markings a
// bundle may define after it.
type pending struct {
	ind       Indicator
	createdBy string
	markings  []string
	sco       string // the SCO's id, for observed-data 2.1 that refers to it
	ownConf   bool
}

type marking struct {
	tlp       string
	statement string
}

type stixReader struct {
	*reader
	names    map[string]string // identity id → name
	marks    map[string]marking
	observed map[string]int // SCO id → index in obs
	obs      []pending      // observed-data objects' metadata
	refs     []refs
	spec20   bool // the bundle says spec_version 2.0
	spec21   bool // some object says 2.1
}

func readSTIX(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	sr := &stixReader{reader: newReader(name, "stix2.1", opt), names: map[string]string{}, marks: map[string]marking{}, observed: map[string]int{}}
	dec := json.NewDecoder(r)
	t, err := dec.Token()
	if err != nil {
		return nil, jsonRefusal(name, "", err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, refuse(name, 0, "", "", nil, reasonNoJSONObject)
	}
	top := map[string]json.RawMessage{}
	bundle := false
	index := 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, jsonRefusal(name, "", err)
		}
		key, _ := kt.(string)
		if key != "objects" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, jsonRefusal(name, "", err)
			}
			top[key] = raw
			continue
		}
		t, err := dec.Token()
		if err != nil {
			return nil, jsonRefusal(name, "", err)
		}
		switch t {
		case json.Delim('['):
			bundle = true
			if string(top["spec_version"]) == `"2.0"` {
				sr.spec20 = true
			}
			for dec.More() {
				index++
				var o stixObj
				if err := dec.Decode(&o); err != nil {
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return nil, jsonRefusal(name, objectName(o.ID, index), err)
					}
					if err := sr.count(); err != nil {
						return nil, err
					}
					sr.problem(0, objectName(o.ID, index), te.Field, reasonWrongType, jsonValueWord(te.Value), jsonKind(te.Type))
					continue
				}
				if err := sr.count(); err != nil {
					return nil, err
				}
				sr.object(&o, index)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonRefusal(name, "", err)
			}
		case json.Delim('{'):
			// A single STIX 2.0 observed-data object: its objects dictionary.
			var b bytes.Buffer
			b.WriteByte('{')
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonRefusal(name, "", err)
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, jsonRefusal(name, "", err)
				}
				if b.Len() > 1 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(kt)
				b.Write(k)
				b.WriteByte(':')
				b.Write(raw)
			}
			b.WriteByte('}')
			if _, err := dec.Token(); err != nil {
				return nil, jsonRefusal(name, "", err)
			}
			top["objects"] = b.Bytes()
		default:
			raw, _ := json.Marshal(t)
			top["objects"] = raw
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonRefusal(name, "", err)
	}
	if !bundle {
		var typ string
		_ = json.Unmarshal(top["type"], &typ)
		if typ != "bundle" {
			whole, _ := json.Marshal(top)
			var o stixObj
			if err := json.Unmarshal(whole, &o); err != nil {
				return nil, jsonRefusal(name, "", err)
			}
			if o.Type == "" {
				return nil, refuse(name, 0, "", "", nil, reasonNoType)
			}
			if err := sr.count(); err != nil {
				return nil, err
			}
			sr.object(&o, 1)
		}
	}
	sr.resolve()
	if sr.spec20 || !sr.spec21 {
		sr.res.Format = "stix2.0"
	}
	sr.res.finish(name)
	return sr.res, nil
}

// jsonKind names what JSON a Go type is read from.
// firstJSONKind is the kind of JSON value raw holds, as
// json.UnmarshalTypeError.Value names it.
func firstJSONKind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

func objectName(id string, index int) string {
	if id != "" {
		return clip(id)
	}
	return fmt.Sprintf("object %d", index)
}

func stixTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// object reads one top-level object.
func (sr *stixReader) object(o *stixObj, index int) {
	if o.SpecVersion == "2.1" {
		sr.spec21 = true
	}
	obj := objectName(o.ID, index)
	switch {
	case o.Type == "":
		sr.problem(0, obj, "type", reasonMissing, "type")
		return
	case o.Type == "identity":
		if o.ID != "" && o.Name != "" {
			sr.names[o.ID] = o.Name
		}
		sr.res.NotIndicators++
		return
	case o.Type == "marking-definition":
		sr.marking(o)
		return
	case o.Type == "indicator":
		sr.indicator(o, obj)
		return
	case o.Type == "observed-data":
		sr.observedData(o, obj)
		return
	}
	if p, ok := sr.scoIndicators(o, obj, nil); ok {
		sr.push(p...)
		return
	}
	if !stixTypes[o.Type] && !strings.HasPrefix(o.Type, "x-") {
		sr.problem(0, obj, "type", reasonUnknownType, clip(o.Type))
		return
	}
	sr.res.NotIndicators++
}

func (sr *stixReader) marking(o *stixObj) {
	m := marking{}
	if t, ok := tlpByID(o.ID); ok {
		m.tlp = t
	}
	if o.DefinitionType == "tlp" || strings.HasPrefix(strings.ToLower(o.DefinitionType), "tlp") {
		if t, ok := ParseTLP(o.Definition.TLP); ok {
			m.tlp = t
		} else if t, ok := ParseTLP(o.DefinitionType); ok {
			m.tlp = t
		}
	}
	if e, ok := o.Extensions[tlp2Extension]; ok {
		if t, ok := ParseTLP(e.TLP2); ok {
			m.tlp = t
		}
	}
	if m.tlp == "" && strings.HasPrefix(strings.ToUpper(o.Name), "TLP:") {
		if t, ok := ParseTLP(o.Name); ok {
			m.tlp = t
		}
	}
	if o.DefinitionType == "statement" {
		m.statement = strings.TrimSpace(o.Definition.Statement)
	}
	if o.ID != "" {
		sr.marks[o.ID] = m
	}
	sr.res.NotIndicators++
}

// common is the metadata every indicator made from o carries.
func (sr *stixReader) common(o *stixObj) pending {
	ind := Indicator{
		FirstSeen:  stixTime(o.ValidFrom),
		ValidUntil: stixTime(o.ValidUntil),
		LastSeen:   stixTime(o.XLastSeen),
		CreatedAt:  stixTime(o.Created),
		UpdatedAt:  stixTime(o.Modified),
		Revoked:    o.Revoked,
		Unit:       o.XUnit,
		Reason:     o.XReason,
	}
	if a, ok := ParseAction(o.XAction); ok {
		ind.Action = a
	}
	if s, ok := ParseSeverity(o.XSeverity); ok {
		ind.Severity = s
	}
	if o.Confidence != nil && *o.Confidence >= 0 && *o.Confidence <= 100 {
		ind.Confidence = *o.Confidence
	}
	for _, l := range [][]string{o.Labels, o.IndicatorTypes} {
		for _, t := range l {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(ind.Tags, t) {
				ind.Tags = append(ind.Tags, t)
			}
		}
	}
	switch {
	case o.Description != "" && o.Name != "" && o.Name != o.Description:
		ind.Comment = o.Name + ": " + o.Description
	case o.Description != "":
		ind.Comment = o.Description
	default:
		ind.Comment = o.Name
	}
	for _, e := range o.ExternalReferences {
		if e.SourceName == "" && e.ExternalID == "" && e.URL == "" {
			continue
		}
		rep := e.SourceName
		if e.ExternalID != "" {
			if rep != "" {
				rep += ": "
			}
			rep += e.ExternalID
		}
		if e.URL != "" {
			if rep != "" {
				rep += " "
			}
			rep += e.URL
		}
		ind.Report = rep
		break
	}
	return pending{ind: ind, createdBy: o.CreatedByRef, markings: o.ObjectMarkingRefs, ownConf: o.Confidence != nil}
}

func (sr *stixReader) indicator(o *stixObj, obj string) {
	if o.PatternType != "" && o.PatternType != "stix" {
		sr.res.NotIndicators++ // a Sigma, YARA, Snort… pattern
		return
	}
	if strings.TrimSpace(o.Pattern) == "" {
		sr.problem(0, obj, "pattern", reasonMissing, "pattern")
		return
	}
	comps, err := ParsePattern(o.Pattern)
	if err != nil {
		var pe *PatternError
		if errors.As(err, &pe) {
			sr.problem(0, obj, "pattern", reasonBadPattern+pe.Format, append([]any{pe.Pos + 1}, pe.Args...)...)
		} else {
			sr.problem(0, obj, "pattern", reasonBadPattern+patUnexpected, 1, clip(err.Error()))
		}
		return
	}
	base := sr.common(o)
	start := sr.n
	for _, c := range comps {
		k, ok := comparisonKind(c)
		if !ok || c.Not || (c.Op != "=" && c.Op != "IN") {
			sr.res.NotIndicators++
			continue
		}
		for _, v := range c.Values {
			if v.Kind != "string" && !(v.Kind == "hex" && (k == ioc.KindMD5 || k == ioc.KindSHA1 || k == ioc.KindSHA256)) {
				sr.res.NotIndicators++
				continue
			}
			p := base
			norm, err := ioc.Normalize(k, v.Value)
			if err != nil {
				sr.problem(0, obj, "pattern", reasonBadValue, clip(strings.TrimSpace(v.Value)), k.String())
				continue
			}
			p.ind.Kind, p.ind.Value = k.String(), norm
			sr.push(p)
		}
	}
	// The object's id names the indicator when it is the only one made.
	if sr.n == start+1 {
		sr.at(start).STIXID = o.ID
	}
}

// comparisonKind maps an object path Vigil can hold to its kind.
func comparisonKind(c Comparison) (ioc.Kind, bool) {
	path := strings.ToLower(c.PathString())
	switch c.Object {
	case "ipv4-addr", "ipv6-addr":
		return ioc.KindIP, path == "value"
	case "domain-name":
		return ioc.KindDomain, path == "value"
	case "url":
		return ioc.KindURL, path == "value"
	case "email-addr":
		return ioc.KindEmail, path == "value"
	case "email-message":
		return ioc.KindEmail, path == "from_ref.value" || path == "sender_ref.value"
	case "user-account":
		return ioc.KindAccount, path == "user_id" || path == "account_login"
	case "network-traffic":
		return ioc.KindIP, path == "dst_ref.value" || path == "src_ref.value"
	case "file", "artifact":
		if h, ok := strings.CutPrefix(path, "hashes."); ok {
			return hashKind(h)
		}
	case "x-vigil-hostname":
		return ioc.KindHostname, path == "value"
	}
	if strings.HasPrefix(c.Object, "x-") && path == "hostname" {
		return ioc.KindHostname, true
	}
	return 0, false
}

// hashKind reads a STIX hash name: "SHA-256" (2.1), "sha256" (2.0 and
// others), "MD5".
func hashKind(name string) (ioc.Kind, bool) {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "")) {
	case "md5":
		return ioc.KindMD5, true
	case "sha1":
		return ioc.KindSHA1, true
	case "sha256":
		return ioc.KindSHA256, true
	}
	return 0, false
}

// scoIndicators makes the indicators of a cyber-observable object; ok is
// false when o is no SCO Vigil holds. meta, when set, is the observed-data
// object that holds o.
func (sr *stixReader) scoIndicators(o *stixObj, obj string, meta *pending) ([]pending, bool) {
	var base pending
	if meta != nil {
		base = *meta
	} else {
		base = sr.common(o)
		base.ind.FirstSeen, base.ind.ValidUntil = time.Time{}, time.Time{}
		base.sco = o.ID
	}
	var out []pending
	add := func(k ioc.Kind, v, field string) {
		if v == "" {
			return
		}
		norm, err := ioc.Normalize(k, v)
		if err != nil {
			sr.problem(0, obj, field, reasonBadValue, clip(strings.TrimSpace(v)), k.String())
			return
		}
		p := base
		p.ind.Kind, p.ind.Value = k.String(), norm
		out = append(out, p)
	}
	switch o.Type {
	case "ipv4-addr", "ipv6-addr":
		add(ioc.KindIP, o.Value, "value")
	case "domain-name":
		add(ioc.KindDomain, o.Value, "value")
	case "url":
		add(ioc.KindURL, o.Value, "value")
	case "email-addr":
		add(ioc.KindEmail, o.Value, "value")
	case "x-vigil-hostname":
		add(ioc.KindHostname, o.Value, "value")
	case "user-account":
		add(ioc.KindAccount, o.UserID, "user_id")
		if !strings.EqualFold(o.AccountLogin, o.UserID) {
			add(ioc.KindAccount, o.AccountLogin, "account_login")
		}
	case "file", "artifact":
		keys := make([]string, 0, len(o.Hashes))
		for h := range o.Hashes {
			keys = append(keys, h)
		}
		slices.Sort(keys)
		for _, h := range keys {
			if k, ok := hashKind(h); ok {
				add(k, o.Hashes[h], "hashes."+h)
			}
		}
		if len(out) == 0 {
			sr.res.NotIndicators++
		}
	default:
		return nil, false
	}
	return out, true
}

func (sr *stixReader) observedData(o *stixObj, obj string) {
	meta := sr.common(o)
	meta.ind.FirstSeen = stixTime(o.FirstObserved)
	meta.ind.LastSeen = stixTime(o.LastObserved)
	meta.ind.ValidUntil = time.Time{}
	// STIX 2.0: the observed objects are inside, keyed "0", "1", …
	keys := make([]string, 0, len(o.Objects))
	for k := range o.Objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var sco stixObj
		if err := json.Unmarshal(o.Objects[k], &sco); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				sr.problem(0, obj, "objects."+k+"."+te.Field, reasonWrongType, jsonValueWord(te.Value), jsonKind(te.Type))
			} else {
				sr.problem(0, obj, "objects."+k, reasonWrongType, jsonValueWord(firstJSONKind(o.Objects[k])), "an object")
			}
			continue
		}
		if p, ok := sr.scoIndicators(&sco, obj, &meta); ok {
			sr.push(p...)
		} else {
			sr.res.NotIndicators++
		}
	}
	// STIX 2.1: the observed objects are in the bundle; they take this
	// object's times, creator and markings when read.
	if len(o.ObjectRefs) > 0 {
		sr.obs = append(sr.obs, meta)
		for _, ref := range o.ObjectRefs {
			sr.observed[ref] = len(sr.obs) - 1
		}
	}
	if len(o.Objects) == 0 && len(o.ObjectRefs) == 0 {
		sr.res.NotIndicators++
	}
}

// refs are what an indicator waits for: kept beside Result.Indicators,
// index for index, until resolve.
type refs struct {
	createdBy string
	markings  []string
	sco       string
	ownConf   bool
}

// push appends indicators; their references are resolved at the end.
func (sr *stixReader) push(ps ...pending) {
	for _, p := range ps {
		sr.emit(p.ind)
		sr.refs = append(sr.refs, refs{p.createdBy, p.markings, p.sco, p.ownConf})
	}
}

// resolve applies identities, markings and observed-data once the whole
// bundle is read.
func (sr *stixReader) resolve() {
	sr.collect()
	var tagCache struct {
		in, out []string
		marks   []string
	}
	for i := range sr.res.Indicators {
		ind := &sr.res.Indicators[i]
		p := sr.refs[i]
		if p.sco != "" {
			if j, ok := sr.observed[p.sco]; ok {
				m := sr.obs[j]
				m.ind.Kind, m.ind.Value = ind.Kind, ind.Value
				*ind = m.ind
				p = refs{m.createdBy, m.markings, "", m.ownConf}
			}
		}
		ind.Source = sr.opt.Source
		if n, ok := sr.names[p.createdBy]; ok {
			ind.Source = n
		}
		if !p.ownConf {
			ind.Confidence = sr.opt.Confidence
		}
		if ind.Report == "" {
			ind.Report = sr.opt.Report
		}
		ind.TLP = ""
		var statements []string
		for _, ref := range p.markings {
			m, ok := sr.marks[ref]
			if !ok {
				if t, ok := tlpByID(ref); ok {
					m.tlp = t
				}
			}
			if m.tlp != "" && slices.Index(TLPs, m.tlp) > slices.Index(TLPs, ind.TLP) {
				ind.TLP = m.tlp
			}
			if m.statement != "" {
				statements = append(statements, m.statement)
			}
		}
		if ind.TLP == "" {
			ind.TLP = sr.opt.TLP
		}
		if len(statements) > 0 {
			// One object's tags are shared by its indicators.
			if slices.Equal(tagCache.in, ind.Tags) && slices.Equal(tagCache.marks, p.markings) {
				ind.Tags = tagCache.out
			} else {
				tags := slices.Clone(ind.Tags)
				for _, s := range statements {
					if !slices.Contains(tags, s) {
						tags = append(tags, s)
					}
				}
				tagCache.in, tagCache.marks, tagCache.out = ind.Tags, p.markings, tags
				ind.Tags = tags
			}
		}
	}
	sr.refs = nil
}
