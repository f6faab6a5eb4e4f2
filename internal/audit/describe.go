package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Kinds of actor, as View.ActorKind and Filter.ActorKind name them.
const (
	ActorPerson    = "person"    // a signed-in user (or their API token)
	ActorSystem    = "system"    // the hub itself: first start, demo data, jobs, SSO provisioning
	ActorAgent     = "agent"     // an endpoint agent
	ActorAnonymous = "anonymous" // a caller not signed in (a failed sign-in)
)

// View is a record in words: who did what to which object, and what
// changed, in one language.
type View struct {
	Record
	ActorKind  string
	ActorName  string // the user's name, "Vigil (system)", "The agent on PC-01"
	ActorEmail string // a person's e-mail, "" otherwise
	ObjectName string // the object's name ("Trần Thị B", "PC-01"); never empty
	UnitName   string
	Sentence   string // Parts joined
	Parts      []Part
	// Changes lists the fields the row records: for an update the fields
	// that changed (before → after), for a creation or a deletion every
	// field, with only After or only Before set.
	Changes []Change
	// Diff says the row recorded the object before and after (an
	// update): Changes read before → after. Otherwise they are the facts
	// of a creation, deletion or event, each with one value (Value).
	Diff bool
	Note string
}

// Part is a piece of a sentence; Actor and Object parts are names a page
// may set apart.
type Part struct {
	Text   string
	Actor  bool
	Object bool
}

// Change is one field of a row in words.
type Change struct {
	Field     string // the recorded key
	Label     string
	Before    string
	After     string
	HasBefore bool
	HasAfter  bool
}

// Value is the field's one value in a row that is not a diff: the value
// after, or before for a deletion.
func (c Change) Value() Shown {
	if c.HasAfter {
		return show(c.After)
	}
	return show(c.Before)
}

// BeforeShown and AfterShown are the two sides of a change, clipped.
func (c Change) BeforeShown() Shown { return show(c.Before) }
func (c Change) AfterShown() Shown  { return show(c.After) }

// Shown is a value as a page shows it: Short, and Full when Short is cut.
type Shown struct {
	Full    string
	Short   string
	Clipped bool
}

func show(s string) Shown {
	short, cut := Clipped(s)
	return Shown{Full: s, Short: short, Clipped: cut}
}

// Clip is how many characters of a value a page shows before cutting it
// short (the whole value stays available for a tooltip or a disclosure).
const Clip = 80

// Clipped returns s cut to Clip characters with an ellipsis, and whether
// it was cut.
func Clipped(s string) (string, bool) {
	if utf8.RuneCountInString(s) <= Clip {
		return s, false
	}
	r := []rune(s)
	return string(r[:Clip-1]) + "…", true
}

// ActorKindOf classifies a row's actor from what the chain records.
func ActorKindOf(r *Record) string {
	switch {
	case r.ActorID != 0:
		return ActorPerson
	case r.Action == "auth.login_failed":
		return ActorAnonymous
	case strings.HasPrefix(r.Actor, "agent:"):
		return ActorAgent
	default:
		return ActorSystem
	}
}

// summaryDoc is a row's summary as Append writes it.
type summaryDoc struct {
	Before any    `json:"before"`
	After  any    `json:"after"`
	Note   string `json:"note"`
}

// Describe puts recs into words in lang. Names of actors and objects are
// read in one query per kind of object for the whole page (a name the row
// recorded itself — a user created, a host removed — is used first, as it
// was at the time); an object gone since keeps a readable label.
//
// A name read from today's tables is used only when the object belongs to
// the row's unit: ids of deleted contacts or hosts are given again, and
// another unit's object must not lend its name (to a reader who may not
// see it) to an old row.
func Describe(ctx context.Context, db *store.DB, recs []Record, lang string) ([]View, error) {
	views := make([]View, len(recs))
	docs := make([]summaryDoc, len(recs))
	n := newNamer(ctx, db)
	for i := range recs {
		r := &recs[i]
		v := &views[i]
		v.Record = *r
		v.ActorKind = ActorKindOf(r)
		_ = json.Unmarshal(r.Summary, &docs[i]) // a row is never refused for its summary
		switch v.ActorKind {
		case ActorPerson:
			n.want("user", strconv.FormatInt(r.ActorID, 10))
		case ActorAgent:
			n.want("agent", strings.TrimPrefix(r.Actor, "agent:"))
		}
		if r.UnitID != 0 {
			n.want("unit_id", strconv.FormatInt(r.UnitID, 10))
		}
		if recordedName(r, &docs[i]) == "" {
			n.want(r.ObjectType, r.ObjectID)
		}
	}
	if err := n.resolve(); err != nil {
		return nil, err
	}
	for i := range views {
		describeOne(&views[i], &docs[i], n, lang)
	}
	return views, nil
}

func describeOne(v *View, doc *summaryDoc, n *namer, lang string) {
	r := &v.Record
	// Who.
	switch v.ActorKind {
	case ActorPerson:
		if o, ok := n.get("user", strconv.FormatInt(r.ActorID, 10), r.UnitID); ok {
			v.ActorName, v.ActorEmail = o.name, o.extra
		} else {
			v.ActorName, v.ActorEmail = r.Actor, r.Actor
		}
	case ActorAgent:
		if o, ok := n.get("agent", strings.TrimPrefix(r.Actor, "agent:"), r.UnitID); ok {
			v.ActorName = strings.ReplaceAll(i18n.T(lang, "audit.actor.agent_on"), "{host}", o.name)
		} else {
			v.ActorName = i18n.T(lang, "audit.actor.agent")
		}
	case ActorAnonymous:
		v.ActorName = i18n.T(lang, "audit.actor.anonymous")
	default:
		v.ActorName = i18n.T(lang, "audit.actor.system")
	}
	if o, ok := n.get("unit_id", strconv.FormatInt(r.UnitID, 10), r.UnitID); ok {
		v.UnitName = o.name
	} else {
		v.UnitName = r.UnitCode
	}
	// Which object.
	v.ObjectName = recordedName(r, doc)
	if v.ObjectName == "" {
		if o, ok := n.get(r.ObjectType, r.ObjectID, r.UnitID); ok {
			v.ObjectName = o.name
			if r.ObjectType == "natreport" && o.name == "" {
				// A report not yet numbered: its form in words and its id.
				v.ObjectName = i18n.T(lang, "nr.form."+o.extra) + " #" + r.ObjectID
			}
			if r.ObjectType == "finding" {
				v.ObjectName = strings.NewReplacer("{title}", o.name, "{host}", o.extra).Replace(i18n.T(lang, "audit.finding_on"))
			}
		}
	}
	if v.ObjectName == "" {
		v.ObjectName = fallbackName(r, lang)
	}
	// What changed.
	v.Changes = changes(doc, lang)
	v.Diff = doc.Before != nil && doc.After != nil
	if doc.Note != "" {
		if i18n.Has("audit.note." + doc.Note) {
			v.Note = i18n.T(lang, "audit.note."+doc.Note)
		} else {
			v.Note = doc.Note
		}
	}
	// The sentence.
	v.Parts = sentence(lang, sentenceKey(r, doc), v.ActorName, v.ObjectName, typeName(lang, r.ObjectType))
	var b strings.Builder
	for _, p := range v.Parts {
		b.WriteString(p.Text)
	}
	v.Sentence = b.String()
}

// sentenceKey picks the message of a row's sentence: a variant naming the
// one thing an update changed, the action's own sentence, or a generic one
// built from the action's verb.
func sentenceKey(r *Record, doc *summaryDoc) string {
	key := "audit.do." + r.Action
	if v := variant(r, doc); v != "" && i18n.Has(key+"."+v) {
		return key + "." + v
	}
	if i18n.Has(key) {
		return key
	}
	_, verb, _ := strings.Cut(r.Action, ".")
	if i18n.Has("audit.do.generic." + verb) {
		return "audit.do.generic." + verb
	}
	return "audit.do.generic"
}

// variant names what a user or finding update changed when it changed one
// thing, and the kind of a failed sign-in.
func variant(r *Record, doc *summaryDoc) string {
	before, _ := doc.Before.(map[string]any)
	after, _ := doc.After.(map[string]any)
	switch r.Action {
	case "auth.login_failed":
		switch {
		case r.ObjectID == "malformed":
			return "malformed"
		case strings.HasPrefix(r.ObjectID, "unknown:"):
			return "unknown"
		}
	case "user.update":
		switch after["password_change"] {
		case "own":
			return "own_password"
		case "reset":
			return "reset_password"
		}
		if after["unlocked"] == true {
			return "unlock"
		}
		var changed []string
		for _, k := range []string{"name", "role", "unit", "disabled"} {
			if _, ok := after[k]; ok && !sameValue(before[k], after[k]) {
				changed = append(changed, k)
			}
		}
		if len(changed) != 1 {
			return ""
		}
		if changed[0] == "disabled" {
			if after["disabled"] == true {
				return "disable"
			}
			return "enable"
		}
		return changed[0]
	case "rule.update":
		if len(after) == 1 {
			switch after["enabled"] {
			case true:
				return "enable"
			case false:
				return "disable"
			}
		}
	case "finding.update":
		if _, ok := after["status"]; ok {
			return "status"
		}
		if len(after) == 1 {
			for k := range after {
				return k
			}
		}
	}
	return ""
}

func sameValue(a, b any) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// sentence fills a message's {actor}, {object} and {type}.
func sentence(lang, key, actor, object, typ string) []Part {
	msg := i18n.T(lang, key)
	var parts []Part
	for msg != "" {
		i := strings.IndexByte(msg, '{')
		j := strings.IndexByte(msg[max(i, 0):], '}')
		if i < 0 || j < 0 {
			parts = append(parts, Part{Text: msg})
			break
		}
		j += i
		if i > 0 {
			parts = append(parts, Part{Text: msg[:i]})
		}
		switch msg[i+1 : j] {
		case "actor":
			parts = append(parts, Part{Text: actor, Actor: true})
		case "object":
			parts = append(parts, Part{Text: object, Object: true})
		case "type":
			parts = append(parts, Part{Text: typ})
		default:
			parts = append(parts, Part{Text: msg[i : j+1]})
		}
		msg = msg[j+1:]
	}
	// A sentence that starts with a name of the system ("Vigil (system)
	// ...") reads fine; one that starts with a lower-case word needs a
	// capital.
	if len(parts) > 0 && !parts[0].Actor && !parts[0].Object {
		r, size := utf8.DecodeRuneInString(parts[0].Text)
		parts[0].Text = strings.ToUpper(string(r)) + parts[0].Text[size:]
	}
	return parts
}

func typeName(lang, objectType string) string {
	if i18n.Has("audit.type." + objectType) {
		return i18n.T(lang, "audit.type."+objectType)
	}
	return i18n.T(lang, "audit.type.other")
}

// recordedName is the object's name as the row recorded it, "" if it did
// not.
func recordedName(r *Record, doc *summaryDoc) string {
	after, _ := doc.After.(map[string]any)
	before, _ := doc.Before.(map[string]any)
	var keys []string
	switch r.ObjectType {
	case "unit", "user", "contact", "api_token", "source", "escalation_policy", "notification_channel", "probe", "roster":
		keys = []string{"name"}
	case "taxii_collection", "intel_feed": // TAXII sharing and intel feeds (internal/taxii): the title or name recorded
		keys = []string{"name"}
	case "rule":
		keys = []string{"title"}
	case "rule_exception": // the rule it exempts a unit from
		keys = []string{"rule"}
	case "shift": // a duty shift: its time, as recorded ("06/02/2027 06:00–14:00")
		keys = []string{"shift"}
	case "host":
		keys = []string{"hostname"}
	case "enrollment_token":
		keys = []string{"prefix"}
	}
	for _, k := range keys {
		for _, m := range []map[string]any{after, before} {
			if s, ok := m[k].(string); ok && s != "" && s != redacted {
				if k == "prefix" {
					s += "…"
				}
				return s
			}
		}
	}
	return ""
}

const redacted = "[redacted]"

// fallbackName labels an object whose name is known nowhere.
func fallbackName(r *Record, lang string) string {
	switch {
	case r.ObjectType == "unit", r.ObjectType == "feed":
		return r.ObjectID // the unit's code; the feed's name (MSRC, NVD, KEV, EPSS)
	case r.ObjectType == "finding_due":
		// "vulnerability/critical": the kind and severity in words.
		kind, sev, _ := strings.Cut(r.ObjectID, "/")
		return i18n.T(lang, "finding.kind."+kind) + " — " + i18n.T(lang, "severity."+sev)
	case r.Action == "auth.login_failed" && strings.HasPrefix(r.ObjectID, "unknown:"):
		return i18n.T(lang, "audit.unknown_account")
	case r.ObjectID == "":
		return typeName(lang, r.ObjectType)
	case r.ObjectType == "intel_import": // the file's name; pasted values in words
		if r.ObjectID == i18n.PastedName {
			return i18n.T(lang, "audit.pasted_values")
		}
		return r.ObjectID
	}
	return "#" + r.ObjectID
}

// fieldOrder is the order fields are listed in; others follow by name.
var fieldOrder = []string{"name", "email", "hostname", "code", "kind", "role", "unit", "parent", "position", "phone", "disabled", "password_change",
	"unlocked", "status", "owner", "due", "note", "reason", "locked", "via", "prefix", "expires_at", "max_uses", "file", "records", "created", "updated",
	"task", "paths", "files", "findings", "addresses", "agent_id", "enrollment_token", "source"}

// changes lists the fields of a summary in words.
func changes(doc *summaryDoc, lang string) []Change {
	before, bok := doc.Before.(map[string]any)
	after, aok := doc.After.(map[string]any)
	if !bok && doc.Before != nil {
		before = map[string]any{"value": doc.Before}
	}
	if !aok && doc.After != nil {
		after = map[string]any{"value": doc.After}
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	rank := func(k string) int {
		if i := slices.Index(fieldOrder, k); i >= 0 {
			return i
		}
		return len(fieldOrder)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	var out []Change
	for _, k := range names {
		b, hb := before[k]
		a, ha := after[k]
		if hb && ha && sameValue(a, b) {
			continue // an update lists what it changed
		}
		c := Change{Field: k, Label: fieldLabel(lang, k), HasBefore: hb, HasAfter: ha}
		if hb {
			c.Before = formatValue(lang, k, b)
		}
		if ha {
			c.After = formatValue(lang, k, a)
		}
		out = append(out, c)
	}
	return out
}

func fieldLabel(lang, k string) string {
	if i18n.Has("audit.f." + k) {
		return i18n.T(lang, "audit.f."+k)
	}
	// A field no label was written for: its key in words.
	s := strings.ReplaceAll(k, "_", " ")
	r, size := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[size:]
}

// formatValue writes a recorded value as people read it.
func formatValue(lang, k string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return i18n.T(lang, "common.yes")
		}
		return i18n.T(lang, "common.no")
	case float64:
		if x == float64(int64(x)) {
			if k == "enrollment_token" || k == "id" {
				return "#" + strconv.FormatInt(int64(x), 10)
			}
			return i18n.Number(int(x), lang)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, formatValue(lang, k, e))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for kk := range x {
			keys = append(keys, kk)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, kk := range keys {
			parts = append(parts, fieldLabel(lang, kk)+": "+formatValue(lang, kk, x[kk]))
		}
		return strings.Join(parts, "; ")
	case string:
		if x == redacted {
			return i18n.T(lang, "audit.hidden")
		}
		switch k {
		case "role":
			if i18n.Has("role." + x) {
				return i18n.T(lang, "role."+x)
			}
		case "kind":
			if i18n.Has("kind." + x) {
				return i18n.T(lang, "kind."+x)
			}
		case "status":
			if i18n.Has("finding." + x) {
				return i18n.T(lang, "finding."+x)
			}
		case "expires_at", "created_at":
			if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return i18n.FormatTime(t, lang)
			}
		case "due", "expires":
			if t, err := time.ParseInLocation("2006-01-02", x, i18n.Location); err == nil {
				return i18n.FormatDate(t, lang)
			}
		case "records", "created", "updated", "files", "findings", "max_uses":
			if n, err := strconv.Atoi(x); err == nil {
				return i18n.Number(n, lang)
			}
		}
		if key := "audit.v." + k + "." + x; i18n.Has(key) {
			return i18n.T(lang, key)
		}
		return x
	}
	return fmt.Sprint(v)
}

// namer reads the names of a page's actors and objects, one query per
// kind of object.
type namer struct {
	ctx  context.Context
	db   *store.DB
	ids  map[string]map[string]bool // kind -> ids wanted
	have map[string]map[string]named
}

type named struct {
	name   string
	extra  string // a user's e-mail
	unitID int64  // the object's unit; 0 for objects of no unit
}

func newNamer(ctx context.Context, db *store.DB) *namer {
	return &namer{ctx: ctx, db: db, ids: map[string]map[string]bool{}, have: map[string]map[string]named{}}
}

func (n *namer) want(kind, id string) {
	if id == "" {
		return
	}
	if n.ids[kind] == nil {
		n.ids[kind] = map[string]bool{}
	}
	n.ids[kind][id] = true
}

// get returns the name of an object for a row of unit rowUnit.
func (n *namer) get(kind, id string, rowUnit int64) (named, bool) {
	o, ok := n.have[kind][id]
	if !ok {
		return o, false
	}
	// Objects of a unit never move to another; one of another unit is
	// a different object that was given a deleted one's id.
	if o.unitID == 0 || o.unitID == rowUnit {
		return o, true
	}
	return named{}, false
}

// lookups are the queries naming each kind of object: they select the
// id (as text), the name, an extra text and the object's unit id.
var lookups = map[string]struct {
	query   string
	numeric bool
}{
	"user":                  {`SELECT x.id, x.name, x.email, 0 FROM users x WHERE x.id IN (%s)`, true},
	"unit_id":               {`SELECT x.id, x.name, '', 0 FROM units x WHERE x.id IN (%s)`, true},
	"unit":                  {`SELECT x.code, x.name, '', x.id FROM units x WHERE x.code IN (%s)`, false},
	"contact":               {`SELECT x.id, x.name, '', x.unit_id FROM contacts x WHERE x.id IN (%s)`, true},
	"api_token":             {`SELECT x.id, x.name, '', 0 FROM api_tokens x WHERE x.id IN (%s)`, true},
	"enrollment_token":      {`SELECT x.id, x.prefix, '', x.unit_id FROM enrollment_tokens x WHERE x.id IN (%s)`, true},
	"source":                {`SELECT x.id, x.name, '', x.unit_id FROM sources x WHERE x.id IN (%s)`, true},
	"roster":                {`SELECT x.id, x.name, '', x.unit_id FROM duty_rosters x WHERE x.id IN (%s)`, true},
	"host":                  {`SELECT x.id, x.hostname, '', x.unit_id FROM hosts x WHERE x.id IN (%s)`, true},
	"finding":               {`SELECT x.id, x.title, h.hostname, h.unit_id FROM findings x JOIN hosts h ON h.id = x.host_id WHERE x.id IN (%s)`, true},
	"scan_import":           {`SELECT x.id, x.file_name, '', x.unit_id FROM scan_imports x WHERE x.id IN (%s)`, true},
	"agent":                 {`SELECT x.id, h.hostname, '', x.unit_id FROM agents x JOIN hosts h ON h.id = x.host_id WHERE x.id IN (%s)`, false},
	"alert":                 {`SELECT x.id, x.rule_title, x.host, x.unit_id FROM alerts x WHERE x.id IN (%s)`, true},
	"alert_suppression":     {`SELECT x.id, x.rule_id, '', x.unit_id FROM alert_suppressions x WHERE x.id IN (%s)`, true},
	"rule":                  {`SELECT x.rule_id, x.title, '', 0 FROM rules x WHERE x.rule_id IN (%s)`, false},
	"advisory":              {`SELECT x.id, x.ref || ' — ' || x.title, '', 0 FROM advisories x WHERE x.id IN (%s)`, true},
	"rule_exception":        {`SELECT x.id, COALESCE(r.title, x.rule_id), '', x.unit_id FROM rule_exceptions x LEFT JOIN rules r ON r.rule_id = x.rule_id WHERE x.id IN (%s)`, true},
	"warning_list":          {`SELECT x.id, x.name, x.month, 0 FROM warning_lists x WHERE x.id IN (%s)`, true},
	"taxii_collection":      {`SELECT x.id, x.title, '', 0 FROM taxii_collections x WHERE x.id IN (%s)`, false},
	"intel_feed":            {`SELECT x.id, x.name, '', 0 FROM intel_feeds x WHERE x.id IN (%s)`, true},
	"employee":              {`SELECT x.id, x.name, x.email, x.unit_id FROM training_people x WHERE x.id IN (%s)`, true},
	"training_course":       {`SELECT x.id, x.title, '', 0 FROM training_courses x WHERE x.id IN (%s)`, true},
	"training_campaign":     {`SELECT x.id, x.name, '', x.owner_unit_id FROM training_campaigns x WHERE x.id IN (%s)`, true},
	"phishing_campaign":     {`SELECT x.id, x.name, '', x.unit_id FROM phishing_campaigns x WHERE x.id IN (%s)`, true},
	"phishing_template":     {`SELECT x.id, x.name, '', x.unit_id FROM phishing_templates x WHERE x.id IN (%s)`, true},
	"incident":              {`SELECT x.id, x.ref || ' — ' || x.title, '', x.unit_id FROM incidents x WHERE x.id IN (%s)`, true},
	"outbox_delivery":       {`SELECT x.id, m.subject, x.target, x.unit_id FROM outbox_deliveries x JOIN outbox_messages m ON m.id = x.message_id WHERE x.id IN (%s)`, true},
	"readiness_campaign":    {`SELECT x.id, x.name, '', 0 FROM readiness_campaigns x WHERE x.id IN (%s)`, true},
	"readiness_attestation": {`SELECT x.id, COALESCE(c.label, x.criterion), u.name, x.unit_id FROM readiness_attestations x JOIN units u ON u.id = x.unit_id LEFT JOIN readiness_campaign_criteria c ON c.campaign_id = x.campaign_id AND c.key = x.criterion WHERE x.id IN (%s)`, true},
	"readiness_template":    {`SELECT x.key, x.name, '', 0 FROM readiness_templates x WHERE x.key IN (%s)`, false},
	"natreport":             {`SELECT x.id, x.number, x.form, x.unit_id FROM natreports x WHERE x.id IN (%s)`, true},
	"monthly_report":        {`SELECT x.id, x.month || ' — ' || u.name, u.code, x.unit_id FROM monthly_reports x JOIN units u ON u.id = x.unit_id WHERE x.id IN (%s)`, true},

	// Directory syncs of training's employees (issue 14).
	"training_directory_run": {`SELECT x.id, x.source, '', 0 FROM training_directory_runs x WHERE x.id IN (%s)`, true},
}

// resolve runs one query per kind of object wanted (in chunks of 500 ids).
func (n *namer) resolve() error {
	for kind, set := range n.ids {
		l, ok := lookups[kind]
		if !ok {
			continue
		}
		var ids []any
		for id := range set {
			if l.numeric {
				v, err := strconv.ParseInt(id, 10, 64)
				if err != nil {
					continue
				}
				ids = append(ids, v)
			} else {
				ids = append(ids, id)
			}
		}
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), 500)]
			ids = ids[len(chunk):]
			q := fmt.Sprintf(l.query, strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", "))
			if err := n.read(kind, q, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *namer) read(kind, q string, args []any) error {
	rows, err := n.db.Query(n.ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audit: names of %s: %w", kind, err)
	}
	defer rows.Close()
	if n.have[kind] == nil {
		n.have[kind] = map[string]named{}
	}
	for rows.Next() {
		var id string
		var o named
		if err := rows.Scan(&id, &o.name, &o.extra, &o.unitID); err != nil {
			return fmt.Errorf("audit: names of %s: %w", kind, err)
		}
		n.have[kind][id] = o
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: names of %s: %w", kind, err)
	}
	return nil
}
