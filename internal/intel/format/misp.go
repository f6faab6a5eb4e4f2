package format

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"vigil/internal/detect/ioc"
)

// MISP attribute types Vigil holds, and the kind each becomes. A type
// "a|b" names two values; mispTypes says which part(s) to take.
var mispTypes = map[string][]ioc.Kind{
	"ip-src": {ioc.KindIP}, "ip-dst": {ioc.KindIP},
	"ip-src|port": {ioc.KindIP, 0}, "ip-dst|port": {ioc.KindIP, 0},
	"domain": {ioc.KindDomain}, "hostname": {ioc.KindDomain},
	"domain|ip": {ioc.KindDomain, ioc.KindIP}, "hostname|port": {ioc.KindDomain, 0},
	"url": {ioc.KindURL}, "uri": {ioc.KindURL},
	"md5": {ioc.KindMD5}, "sha1": {ioc.KindSHA1}, "sha256": {ioc.KindSHA256},
	"filename|md5": {0, ioc.KindMD5}, "filename|sha1": {0, ioc.KindSHA1}, "filename|sha256": {0, ioc.KindSHA256},
	"malware-sample": {0, ioc.KindMD5},
	"email":          {ioc.KindEmail}, "email-src": {ioc.KindEmail}, "email-dst": {ioc.KindEmail},
	"target-email": {ioc.KindEmail}, "target-user": {ioc.KindAccount}, "target-machine": {ioc.KindHostname},
}

// mispTag is the name of a MISP tag.
type mispTag struct {
	Name string `json:"name"`
}

type mispAttribute struct {
	UUID      string          `json:"uuid"`
	Type      string          `json:"type"`
	Category  string          `json:"category"`
	Value     string          `json:"value"`
	Value1    string          `json:"value1"`
	Value2    string          `json:"value2"`
	ToIDs     json.RawMessage `json:"to_ids"`
	Comment   string          `json:"comment"`
	FirstSeen *string         `json:"first_seen"`
	LastSeen  *string         `json:"last_seen"`
	Timestamp json.RawMessage `json:"timestamp"`
	Deleted   json.RawMessage `json:"deleted"`
	Tag       []mispTag       `json:"Tag"`
}

type mispObject struct {
	Name      string          `json:"name"`
	UUID      string          `json:"uuid"`
	Comment   string          `json:"comment"`
	Attribute []mispAttribute `json:"Attribute"`
}

type mispEvent struct {
	UUID      string          `json:"uuid"`
	Info      string          `json:"info"`
	Date      string          `json:"date"`
	Timestamp json.RawMessage `json:"timestamp"`
	Orgc      struct {
		Name string `json:"name"`
	} `json:"Orgc"`
	Tag       []mispTag       `json:"Tag"`
	Attribute []mispAttribute `json:"Attribute"`
	Object    []mispObject    `json:"Object"`
}

// mispFile is any of the shapes a MISP event file comes in.
type mispFile struct {
	Event    *mispEvent `json:"Event"`
	Response []struct {
		Event *mispEvent `json:"Event"`
	} `json:"response"`
	mispEvent
}

// truthy reads a MISP boolean: true, "1", 1, "true".
func truthy(raw json.RawMessage, empty bool) bool {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	switch strings.ToLower(s) {
	case "":
		return empty
	case "true", "1":
		return true
	}
	return false
}

// unixTime reads a MISP timestamp: seconds since 1970, as a string or a
// number.
func unixTime(raw json.RawMessage) time.Time {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// vigil machine tags carry what MISP has no field for, so that an event
// WriteMISP wrote reads back whole: vigil:confidence="80",
// vigil:valid-until="2026-12-31T16:59:59Z", vigil:unit, vigil:action,
// vigil:severity, vigil:reason, vigil:report.
const vigilTagPrefix = "vigil:"

func machineTag(name, value string) string {
	return vigilTagPrefix + name + "=" + strconv.Quote(value)
}

// readMISP reads a MISP event: {"Event": {...}}, a bare event, or a
// search answer {"response": [{"Event": {...}}, ...]}.
func readMISP(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	rd := newReader(name, "misp", opt)
	var f mispFile
	dec := json.NewDecoder(bufio.NewReader(r))
	if err := dec.Decode(&f); err != nil {
		return nil, jsonRefusal(name, "", err)
	}
	var events []*mispEvent
	switch {
	case f.Event != nil:
		events = append(events, f.Event)
	case len(f.Response) > 0:
		for _, e := range f.Response {
			if e.Event != nil {
				events = append(events, e.Event)
			}
		}
	default:
		events = append(events, &f.mispEvent)
	}
	for _, ev := range events {
		if err := rd.mispEvent(ev); err != nil {
			return nil, err
		}
	}
	rd.collect()
	rd.res.finish(name)
	return rd.res, nil
}

func (rd *reader) mispEvent(ev *mispEvent) error {
	base := rd.base()
	if ev.Orgc.Name != "" {
		base.Source = ev.Orgc.Name
	}
	if ev.Info != "" {
		base.Report = ev.Info
	}
	base.CreatedAt = unixTime(ev.Timestamp)
	base.UpdatedAt = base.CreatedAt
	base = rd.mispTags(base, ev.Tag)
	for i := range ev.Attribute {
		if err := rd.mispAttribute(&ev.Attribute[i], base, fmt.Sprintf("Attribute %d", i+1), ""); err != nil {
			return err
		}
	}
	for j := range ev.Object {
		o := &ev.Object[j]
		for i := range o.Attribute {
			if err := rd.mispAttribute(&o.Attribute[i], base, fmt.Sprintf("Object %d Attribute %d", j+1, i+1), o.Comment); err != nil {
				return err
			}
		}
	}
	return nil
}

// mispTags applies tags: tlp:… is the marking (an attribute's wins over
// its event's), vigil:… machine tags set their field, the rest are tags.
func (rd *reader) mispTags(ind Indicator, tags []mispTag) Indicator {
	var out []string
	for _, t := range tags {
		n := strings.TrimSpace(t.Name)
		if n == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(n), "tlp:") {
			if tlp, ok := ParseTLP(n); ok {
				ind.TLP = tlp
				continue
			}
		}
		if rest, ok := strings.CutPrefix(n, vigilTagPrefix); ok {
			if k, v, ok := strings.Cut(rest, "="); ok {
				if uq, err := strconv.Unquote(v); err == nil {
					v = uq
				}
				if applyVigilTag(&ind, k, v) {
					continue
				}
			}
		}
		if !slices.Contains(out, n) && !slices.Contains(ind.Tags, n) {
			out = append(out, n)
		}
	}
	if len(out) > 0 {
		ind.Tags = append(slices.Clip(ind.Tags), out...)
	}
	return ind
}

func applyVigilTag(ind *Indicator, k, v string) bool {
	switch k {
	case "confidence":
		c, ok := parseConfidence(v)
		if ok {
			ind.Confidence = c
		}
		return ok
	case "valid-until":
		t, ok := parseDate(v, true)
		if ok {
			ind.ValidUntil = t
		}
		return ok
	case "unit":
		ind.Unit = v
	case "action":
		a, ok := ParseAction(v)
		ind.Action = a
		return ok
	case "severity":
		s, ok := ParseSeverity(v)
		ind.Severity = s
		return ok
	case "reason":
		ind.Reason = v
	case "report":
		ind.Report = v
	case "source":
		ind.Source = v
	default:
		return false
	}
	return true
}

func (rd *reader) mispAttribute(a *mispAttribute, base Indicator, where, objComment string) error {
	if err := rd.count(); err != nil {
		return err
	}
	obj := where
	if a.UUID != "" {
		obj = clip(a.UUID)
	}
	typ := strings.ToLower(strings.TrimSpace(a.Type))
	value := a.Value
	if value == "" && a.Value1 != "" {
		value = a.Value1
		if a.Value2 != "" {
			value += "|" + a.Value2
		}
	}
	if typ == "" {
		rd.problem(0, obj, "type", reasonMissing, "type")
		return nil
	}
	if strings.TrimSpace(value) == "" {
		rd.problem(0, obj, "value", reasonMissing, "value")
		return nil
	}
	kinds, ok := mispTypes[typ]
	if !ok {
		rd.res.NotIndicators++ // text, link, user-agent, yara, AS…: not an indicator Vigil matches
		return nil
	}
	toIDs := truthy(a.ToIDs, true)
	if !toIDs && rd.opt.MISPOnlyIDS {
		rd.res.NotIndicators++
		return nil
	}
	ind := base
	ind.Comment = a.Comment
	if ind.Comment == "" {
		ind.Comment = objComment
	}
	if a.FirstSeen != nil {
		if t, ok := parseDate(*a.FirstSeen, false); ok {
			ind.FirstSeen = t
		}
	}
	if a.LastSeen != nil {
		if t, ok := parseDate(*a.LastSeen, false); ok {
			ind.LastSeen = t
		}
	}
	if t := unixTime(a.Timestamp); !t.IsZero() {
		ind.UpdatedAt = t
		if ind.CreatedAt.IsZero() {
			ind.CreatedAt = t
		}
	}
	ind.Revoked = truthy(a.Deleted, false)
	ind = rd.mispTags(ind, a.Tag)
	if !toIDs {
		ind.Tags = append(slices.Clip(ind.Tags), mispNotForIDS)
	}
	parts := []string{value}
	if len(kinds) == 2 {
		p1, p2, ok := strings.Cut(value, "|")
		if !ok && kinds[0] == 0 {
			rd.res.NotIndicators++ // a file name without its hash
			return nil
		}
		if !ok {
			rd.problem(0, obj, "value", reasonBadValue, clip(value), typ)
			return nil
		}
		parts = []string{p1, p2}
	}
	for i, k := range kinds {
		if k != 0 {
			rd.add(k, parts[i], ind, 0, obj, "value")
		}
	}
	return nil
}

// mispNotForIDS tags an indicator from a MISP attribute whose to_ids is
// false: MISP calls it context, not for detection. It is loaded all the
// same (ReadOptions.MISPOnlyIDS leaves it out) so the intel service can
// show it and let the IT Center decide.
const mispNotForIDS = `misp:to_ids="false"`

// ManifestEvent is one event of a MISP feed's manifest.json.
type ManifestEvent struct {
	UUID      string    `json:"uuid"`
	Info      string    `json:"info"`
	Timestamp time.Time `json:"timestamp"`
	Org       string    `json:"org"`
	Date      string    `json:"date,omitempty"`
	Tags      []string  `json:"tags,omitempty"`
}

// ReadMISPManifest reads a MISP feed's manifest.json ({uuid: {info, Orgc,
// timestamp, ...}}): the events a feed holds, oldest first. The feed's
// event files are <uuid>.json beside it; read each with Read.
func ReadMISPManifest(r io.Reader) ([]ManifestEvent, error) {
	var m map[string]struct {
		Info      string          `json:"info"`
		Date      string          `json:"date"`
		Timestamp json.RawMessage `json:"timestamp"`
		Orgc      struct {
			Name string `json:"name"`
		} `json:"Orgc"`
		Tag []mispTag `json:"Tag"`
	}
	if err := json.NewDecoder(bufio.NewReader(r)).Decode(&m); err != nil {
		return nil, jsonRefusal("manifest.json", "", err)
	}
	out := make([]ManifestEvent, 0, len(m))
	for id, e := range m {
		if _, err := uuid.Parse(id); err != nil {
			return nil, refuse("manifest.json", 0, "", "", nil, reasonNotEventUUID, clip(id))
		}
		me := ManifestEvent{UUID: strings.ToLower(id), Info: e.Info, Timestamp: unixTime(e.Timestamp), Org: e.Orgc.Name, Date: e.Date}
		for _, t := range e.Tag {
			me.Tags = append(me.Tags, t.Name)
		}
		out = append(out, me)
	}
	slices.SortFunc(out, func(a, b ManifestEvent) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return out, nil
}

// MISPOrg is the organisation (Orgc) a feed's events and manifest name:
// the producer's name and a uuid derived from it.
func MISPOrg(identity string) map[string]string {
	return map[string]string{"name": identity, "uuid": uuid.NewSHA1(stixNamespace, []byte("misp-org|"+identity)).String()}
}

// MISPManifestEntry is an event's entry in a MISP feed's manifest.json,
// as MISP's feed generator writes it (PyMISP MISPEvent.manifest): Orgc,
// Tag, info, date, analysis, threat_level_id, timestamp (Unix seconds).
func MISPManifestEntry(identity, info string, ts time.Time, tags []string) map[string]any {
	t := make([]mispTag, 0, len(tags))
	for _, n := range tags {
		t = append(t, mispTag{n})
	}
	ts = firstTime(ts)
	return map[string]any{"Orgc": MISPOrg(identity), "Tag": t, "info": info, "date": ts.In(vn).Format("2006-01-02"),
		"analysis": "2", "threat_level_id": "2", "timestamp": strconv.FormatInt(ts.Unix(), 10)}
}

// MISPType is the MISP type and category an indicator of kind is written
// as; ok is false for a kind MISP has no type for.
func MISPType(kind string) (typ, category string, ok bool) { return mispTypeOf(kind) }

// mispTypeOf is the MISP type and category an indicator is written as.
func mispTypeOf(kind string) (string, string, bool) {
	switch kind {
	case KindIP:
		return "ip-dst", "Network activity", true
	case KindDomain:
		return "domain", "Network activity", true
	case KindURL:
		return "url", "Network activity", true
	case KindMD5, KindSHA1, KindSHA256:
		return kind, "Payload delivery", true
	case KindAccount:
		return "target-user", "Targeting data", true
	case KindHostname:
		return "target-machine", "Targeting data", true
	case KindEmail:
		return "email-src", "Payload delivery", true
	}
	return "", "", false
}

// WriteMISP writes a MISP event ({"Event": {...}}): info opt.Title, Orgc
// opt.Identity, one attribute per indicator with its MISP type and
// category (ip-dst, domain, url, md5/sha1/sha256, target-user,
// target-machine, email-src), to_ids true, a tlp:… tag, its tags, and
// vigil:… machine tags for what MISP has no field for (confidence,
// valid-until, source when not the event's, report when not the title,
// unit, action, severity, reason). Ids are UUIDv5s, so an export is stable.
func WriteMISP(w io.Writer, inds []Indicator, opt WriteOptions) error {
	type attr struct {
		UUID      string    `json:"uuid"`
		Type      string    `json:"type"`
		Category  string    `json:"category"`
		Value     string    `json:"value"`
		ToIDs     bool      `json:"to_ids"`
		Comment   string    `json:"comment"`
		Timestamp string    `json:"timestamp,omitempty"`
		FirstSeen string    `json:"first_seen,omitempty"`
		LastSeen  string    `json:"last_seen,omitempty"`
		Deleted   bool      `json:"deleted,omitempty"`
		Tag       []mispTag `json:"Tag,omitempty"`
	}
	h := uuid.NewSHA1(stixNamespace, []byte("misp-event|"+opt.Identity+"|"+opt.Title))
	var latest time.Time
	for _, ind := range inds {
		if ind.UpdatedAt.After(latest) {
			latest = ind.UpdatedAt
		}
		h = uuid.NewSHA1(h, []byte(ind.Kind+"|"+ind.Value+"|"+ind.Source))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	id := h.String()
	if opt.EventUUID != "" {
		id = opt.EventUUID
	}
	if !opt.Timestamp.IsZero() {
		latest = opt.Timestamp
	}
	head := map[string]any{
		"uuid": id, "info": opt.Title, "date": firstTime(latest).In(vn).Format("2006-01-02"),
		"timestamp": strconv.FormatInt(firstTime(latest).Unix(), 10), "published": opt.Published,
		"threat_level_id": "2", "analysis": "2", "distribution": "0",
		"Orgc": MISPOrg(opt.Identity),
	}
	if opt.Published {
		head["publish_timestamp"] = head["timestamp"]
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return err
	}
	bw.WriteString(`{"Event":`)
	bw.Write(hb[:len(hb)-1])
	bw.WriteString(`,"Attribute":[`)
	for i, ind := range inds {
		typ, cat, ok := mispTypeOf(ind.Kind)
		if !ok {
			return fmt.Errorf("format: no MISP type for kind %q", ind.Kind)
		}
		a := attr{UUID: uuid.NewSHA1(stixNamespace, []byte(ind.Kind+"|"+ind.Value+"|"+ind.Source)).String(),
			Type: typ, Category: cat, Value: ind.Value, ToIDs: true, Comment: ind.Comment, Deleted: ind.Revoked}
		if !ind.UpdatedAt.IsZero() {
			a.Timestamp = strconv.FormatInt(ind.UpdatedAt.Unix(), 10)
		}
		if !ind.FirstSeen.IsZero() {
			a.FirstSeen = ind.FirstSeen.UTC().Format(time.RFC3339Nano)
		}
		if !ind.LastSeen.IsZero() {
			a.LastSeen = ind.LastSeen.UTC().Format(time.RFC3339Nano)
		}
		if t, ok := ParseTLP(ind.TLP); ok {
			a.Tag = append(a.Tag, mispTag{"tlp:" + t})
		}
		for _, t := range ind.Tags {
			if t != mispNotForIDS {
				a.Tag = append(a.Tag, mispTag{t})
			}
		}
		a.Tag = append(a.Tag, mispTag{machineTag("confidence", strconv.Itoa(ind.Confidence))})
		if !ind.ValidUntil.IsZero() {
			a.Tag = append(a.Tag, mispTag{machineTag("valid-until", ind.ValidUntil.UTC().Format(time.RFC3339Nano))})
		}
		if ind.Source != "" && ind.Source != opt.Identity {
			a.Tag = append(a.Tag, mispTag{machineTag("source", ind.Source)})
		}
		if ind.Report != "" && ind.Report != opt.Title {
			a.Tag = append(a.Tag, mispTag{machineTag("report", ind.Report)})
		}
		for _, kv := range [][2]string{{"unit", ind.Unit}, {"action", ind.Action}, {"severity", ind.Severity}, {"reason", ind.Reason}} {
			if kv[1] != "" {
				a.Tag = append(a.Tag, mispTag{machineTag(kv[0], kv[1])})
			}
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(b)
	}
	bw.WriteString("\n]}}\n")
	return bw.Flush()
}
