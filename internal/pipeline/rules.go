package pipeline

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Sources of rules.
const (
	SourceDir = "dir" // the rules directory (--rules)
	SourceUI  = "ui"  // pasted or uploaded in the UI, kept in the database
	SourceIOC = "ioc" // the matches of one kind of indicator ("ioc:ip")
)

// Rule is one detection rule as the rules page and API show it.
type Rule struct {
	ID         string    `json:"id"` // the Sigma rule id
	Title      string    `json:"title"`
	Level      string    `json:"level"`
	Status     string    `json:"status"` // the rule's own Sigma status (stable, test, ...)
	Source     string    `json:"source"` // dir, ui or ioc
	Path       string    `json:"path,omitempty"`
	Enabled    bool      `json:"enabled"`
	Error      string    `json:"error,omitempty"` // why the rule did not load, if it did not
	Hits24h    int64     `json:"hits_24h"`
	Exceptions int       `json:"exceptions"`
	YAML       string    `json:"yaml,omitempty"` // Get only
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// RuleInput is a rule pasted or uploaded in the UI: one Sigma rule (a
// detection or a correlation) in YAML.
type RuleInput struct {
	YAML string `json:"yaml"`
}

// RulePatch changes a rule: Enabled for any rule, YAML only for rules
// managed in the UI. Nil fields are left alone.
type RulePatch struct {
	Enabled *bool   `json:"enabled,omitempty"`
	YAML    *string `json:"yaml,omitempty"`
}

// RuleFilter selects rules. Empty fields select all.
type RuleFilter struct {
	Q       string // in the id or the title
	Source  string // dir, ui or ioc
	Level   string
	Enabled string // "true", "false" or ""
	Sort    string // a key of RuleSorts; "" is by title
	Desc    bool
	Offset  int
	Limit   int
}

// RuleSorts are the columns a list of rules sorts by.
var RuleSorts = map[string]string{
	"title":   "r.title_fold",
	"level":   "CASE r.level WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 ELSE 1 END",
	"source":  "r.source",
	"status":  "r.status",
	"enabled": "r.enabled",
	"hits":    "hits",
	"updated": "r.updated_at",
}

// RuleSortKeys lists the keys of RuleSorts.
var RuleSortKeys = []string{"title", "level", "source", "status", "enabled", "hits", "updated"}

// Levels are Sigma's rule levels, lowest first.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// maxRuleYAML bounds one rule's text.
const maxRuleYAML = 256 << 10

// canManage reports whether p manages rules: administrators and the SOC's
// analysts, whose scope is the whole tree (the rules run for every unit).
func canManage(p *auth.Principal) bool {
	if p == nil || p.Via == "agent" {
		return false
	}
	return p.Role == auth.RoleAdmin || p.Role == auth.RoleAnalyst
}

// canReadRules reports whether p reads the rules: managers and officers
// (who manage their units' exceptions).
func canReadRules(p *auth.Principal) bool {
	return canManage(p) || p != nil && p.Via != "agent" && (p.Role == auth.RoleOfficer || p.Role == auth.RoleAnalyst)
}

// CanReadRules reports whether p sees the rules page.
func CanReadRules(p *auth.Principal) bool { return canReadRules(p) }

// CanManageRules reports whether p adds, changes and enables rules.
func CanManageRules(p *auth.Principal) bool { return canManage(p) }

func requireRead(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !canReadRules(p) {
		return nil, errs.Forbidden("only administrators, SOC analysts and unit officers see detection rules")
	}
	return p, nil
}

func requireManage(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !canManage(p) {
		return nil, errs.Forbidden("only administrators and SOC analysts manage detection rules")
	}
	return p, nil
}

// hourOf is the rule_hits bucket of t.
func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

func (s *Service) ruleColumns(p *auth.Principal) string {
	since := hourOf(s.now()) - 23
	exc := "0"
	if p.SeesAllUnits() {
		exc = "(SELECT COUNT(*) FROM rule_exceptions e WHERE e.rule_id = r.rule_id)"
	}
	return `SELECT r.rule_id, r.title, r.level, r.status, r.source, r.path, r.enabled, r.load_error, r.created_by, r.created_at, r.updated_by, r.updated_at,
		COALESCE((SELECT SUM(h.hits) FROM rule_hits h WHERE h.rule_id = r.rule_id AND h.hour >= ` + strconv.FormatInt(since, 10) + `), 0) AS hits, ` + exc
}

func scanRule(sc store.Scanner) (*Rule, error) {
	var r Rule
	var created, updated int64
	if err := sc.Scan(&r.ID, &r.Title, &r.Level, &r.Status, &r.Source, &r.Path, &r.Enabled, &r.Error, &r.CreatedBy, &created, &r.UpdatedBy, &updated,
		&r.Hits24h, &r.Exceptions); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = store.Time(created), store.Time(updated)
	return &r, nil
}

// List returns a page of rules and how many match f.
func (s *Service) List(ctx context.Context, f RuleFilter) ([]*Rule, int, error) {
	p, err := requireRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	order, desc := RuleSorts["title"], false
	if f.Sort != "" {
		expr, ok := RuleSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(RuleSortKeys, ", "))
		}
		order, desc = expr, f.Desc
	}
	l := store.NewList("r.id", f.Limit, 100).OrderBy(order, desc)
	if q := strings.TrimSpace(f.Q); q != "" {
		l.Where(`(r.rule_id LIKE ? ESCAPE '\' OR r.title_fold LIKE ? ESCAPE '\')`, store.LikeContains(strings.ToLower(q)), store.LikeContains(i18n.Fold(q)))
	}
	switch f.Source {
	case "":
	case SourceDir, SourceUI, SourceIOC:
		l.Where("r.source = ?", f.Source)
	default:
		return nil, 0, errs.Invalid("source", "%q is not one of %s", f.Source, "dir, ui, ioc")
	}
	if f.Level != "" {
		if !slices.Contains(Levels, f.Level) {
			return nil, 0, errs.Invalid("level", "%q is not one of %s", f.Level, strings.Join(Levels, ", "))
		}
		l.Where("r.level = ?", f.Level)
	}
	switch f.Enabled {
	case "":
	case "true", "1":
		l.Where("r.enabled = ?", true)
	case "false", "0":
		l.Where("r.enabled = ?", false)
	default:
		return nil, 0, errs.Invalid("enabled", "must be true or false")
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, s.ruleColumns(p), " FROM rules r", scanRule)
	if err != nil {
		return nil, 0, fmt.Errorf("pipeline: list rules: %w", err)
	}
	return out, total, nil
}

// querier is a *store.DB or a *store.Tx.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// Get returns one rule with its YAML.
func (s *Service) Get(ctx context.Context, id string) (*Rule, error) {
	p, err := requireRead(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, s.DB, p, id)
}

func (s *Service) get(ctx context.Context, q querier, p *auth.Principal, id string) (*Rule, error) {
	var yaml string
	row := q.QueryRow(ctx, s.ruleColumns(p)+`, r.yaml FROM rules r WHERE r.rule_id = ?`, id)
	var r Rule
	var created, updated int64
	err := row.Scan(&r.ID, &r.Title, &r.Level, &r.Status, &r.Source, &r.Path, &r.Enabled, &r.Error, &r.CreatedBy, &created, &r.UpdatedBy, &updated,
		&r.Hits24h, &r.Exceptions, &yaml)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("rule " + strconv.Quote(id))
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: rule %s: %w", id, err)
	}
	r.CreatedAt, r.UpdatedAt, r.YAML = store.Time(created), store.Time(updated), yaml
	return &r, nil
}

// checked is a rule that parsed and compiled.
type checked struct {
	rule *sigma.Rule
	yaml string
}

// check parses and compiles one rule's YAML, as the pipeline would load
// it: errors name the line.
func (s *Service) check(ctx context.Context, text string) (*checked, error) {
	if strings.TrimSpace(text) == "" {
		return nil, errs.Invalid("yaml", "paste or upload a Sigma rule")
	}
	if len(text) > maxRuleYAML {
		return nil, errs.Invalid("yaml", "a rule must be at most %d KiB", maxRuleYAML>>10)
	}
	rules, perrs := sigma.Parse([]byte(text), "rule.yml")
	if len(perrs) > 0 {
		return nil, yamlError(perrs[0])
	}
	if len(rules) != 1 {
		return nil, errs.Invalid("yaml", "give exactly one rule (this text holds %d); add the others one by one", len(rules))
	}
	r := rules[0]
	if strings.TrimSpace(r.ID) == "" {
		return nil, errs.Invalid("yaml", "line %d: the rule has no id: add one, such as id: %s", max(r.Line, 1), newUUID())
	}
	if len(r.ID) > 200 || strings.HasPrefix(r.ID, "ioc:") {
		return nil, errs.Invalid("yaml", "line %d: the id %q is not usable: use a UUID", max(r.Line, 1), r.ID)
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, errs.Invalid("yaml", "line %d: the rule has no title", max(r.Line, 1))
	}
	if r.Correlation == nil {
		ph, err := s.Placeholders(ctx)
		if err != nil {
			return nil, err
		}
		if _, cerrs := sigma.Compile([]*sigma.Rule{r}, sigma.Options{Placeholders: ph}); len(cerrs) > 0 {
			return nil, compileError(text, r, cerrs[0])
		}
	}
	return &checked{rule: r, yaml: text}, nil
}

// yamlError turns a parse error into a field error naming the line.
func yamlError(err error) error {
	var pe *sigma.ParseError
	if errors.As(err, &pe) {
		if pe.Pos.Line > 0 {
			return errs.Invalid("yaml", "line %d: %v", pe.Pos.Line, pe.Pos.Err)
		}
		return errs.Invalid("yaml", "the rule cannot be read: %v", pe.Pos.Err)
	}
	return errs.Invalid("yaml", "the rule cannot be read: %v", err)
}

func compileError(text string, r *sigma.Rule, err *sigma.RuleError) error {
	var ph *sigma.PlaceholderError
	if errors.As(err.Err, &ph) {
		return errs.Invalid("yaml", "%v: the inventory gives values for %s only", err.Err, strings.Join(PlaceholderNames, ", "))
	}
	return errs.Invalid("yaml", "line %d: %v", compileLine(text, r, err.Err.Error()), err.Err)
}

// quoted finds the quoted words of a compiler message.
var quoted = regexp.MustCompile(`"([^"]+)"`)

// compileLine guesses the line a compiler error is about, since compiled
// rules keep no positions: the first line holding a word the message
// quotes (a modifier, a value, a search name), else the condition for a
// condition error, else the detection.
func compileLine(text string, r *sigma.Rule, msg string) int {
	lines := strings.Split(text, "\n")
	find := func(s string) int {
		for i, l := range lines {
			if strings.Contains(l, s) {
				return i + 1
			}
		}
		return 0
	}
	for _, m := range quoted.FindAllStringSubmatch(msg, -1) {
		if n := find("|" + m[1]); n > 0 {
			return n
		}
		if n := find(m[1]); n > 0 {
			return n
		}
	}
	if strings.Contains(msg, "condition") {
		if n := find("condition:"); n > 0 {
			return n
		}
	}
	if strings.HasPrefix(msg, "search ") {
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "search "), ":")
		if n := find(" " + name + ":"); n > 0 {
			return n
		}
	}
	if n := find("detection:"); n > 0 {
		return n
	}
	return max(r.Line, 1)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// bumpVersion tells every hub process that the rules changed.
func bumpVersion(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE rules_version SET version = version + 1 WHERE id = 1`)
	return err
}

// Create adds a rule managed in the UI.
func (s *Service) Create(ctx context.Context, in RuleInput) (*Rule, error) {
	p, err := requireManage(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.check(ctx, in.YAML)
	if err != nil {
		return nil, err
	}
	r := c.rule
	now := store.Micros(s.now())
	var out *Rule
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var source string
		err := tx.QueryRow(ctx, `SELECT source FROM rules WHERE rule_id = ?`, r.ID).Scan(&source)
		if err == nil && source == SourceDir {
			return errs.Conflict("yaml", "the rules directory has a rule with the id %s: give this one another id", r.ID)
		}
		if err == nil {
			return errs.Conflict("yaml", "a rule with the id %s exists already: give this one another id", r.ID)
		}
		if !store.IsNoRows(err) {
			return fmt.Errorf("pipeline: create rule: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rules (rule_id, source, title, title_fold, level, status, yaml, enabled, created_by, created_at, updated_by, updated_at)
			VALUES (?, 'ui', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Title, i18n.Fold(r.Title), ruleLevel(r), r.Status, c.yaml, true, p.Email, now, p.Email, now); err != nil {
			if store.IsUniqueViolation(err) {
				return errs.Conflict("yaml", "a rule with the id %s exists already: give this one another id", r.ID)
			}
			return fmt.Errorf("pipeline: create rule: %w", err)
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "rule.create", ObjectType: "rule", ObjectID: r.ID,
			After: map[string]any{"title": r.Title, "level": ruleLevel(r)}}); err != nil {
			return err
		}
		out, err = s.get(ctx, tx, p, r.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Poke()
	return out, nil
}

func ruleLevel(r *sigma.Rule) string {
	l := strings.ToLower(strings.TrimSpace(r.Level))
	if !slices.Contains(Levels, l) {
		return "medium"
	}
	return l
}

// Update enables or disables a rule, or replaces a UI rule's YAML.
func (s *Service) Update(ctx context.Context, id string, in RulePatch) (*Rule, error) {
	p, err := requireManage(ctx)
	if err != nil {
		return nil, err
	}
	if in.Enabled == nil && in.YAML == nil {
		return nil, errs.Invalid("", "nothing to change: give enabled or yaml")
	}
	var c *checked
	if in.YAML != nil {
		if c, err = s.check(ctx, *in.YAML); err != nil {
			return nil, err
		}
		if c.rule.ID != id {
			return nil, errs.Invalid("yaml", "the id cannot change (%s): add the rule anew under its new id", id)
		}
	}
	var out *Rule
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.get(ctx, tx, p, id)
		if err != nil {
			return err
		}
		before, after := map[string]any{}, map[string]any{}
		now := store.Micros(s.now())
		if in.Enabled != nil && *in.Enabled != cur.Enabled {
			before["enabled"], after["enabled"] = cur.Enabled, *in.Enabled
			if _, err := tx.Exec(ctx, `UPDATE rules SET enabled = ?, updated_by = ?, updated_at = ? WHERE rule_id = ?`, *in.Enabled, p.Email, now, id); err != nil {
				return fmt.Errorf("pipeline: update rule: %w", err)
			}
		}
		if c != nil && c.yaml != cur.YAML {
			if cur.Source != SourceUI {
				return errs.Invalid("yaml", "rules from the rules directory are changed in the directory; here they can only be enabled or disabled")
			}
			before["title"], after["title"] = cur.Title, c.rule.Title
			before["level"], after["level"] = cur.Level, ruleLevel(c.rule)
			after["yaml"] = "changed"
			if _, err := tx.Exec(ctx, `UPDATE rules SET yaml = ?, title = ?, title_fold = ?, level = ?, status = ?, load_error = '', updated_by = ?, updated_at = ? WHERE rule_id = ?`,
				c.yaml, c.rule.Title, i18n.Fold(c.rule.Title), ruleLevel(c.rule), c.rule.Status, p.Email, now, id); err != nil {
				return fmt.Errorf("pipeline: update rule: %w", err)
			}
		}
		if len(after) == 0 {
			out = cur
			return nil
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "rule.update", ObjectType: "rule", ObjectID: id, Before: before, After: after}); err != nil {
			return err
		}
		out, err = s.get(ctx, tx, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Poke()
	return out, nil
}

// Delete removes a UI rule and its exceptions.
func (s *Service) Delete(ctx context.Context, id string) error {
	p, err := requireManage(ctx)
	if err != nil {
		return err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.get(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if cur.Source != SourceUI {
			return errs.Invalid("", "rules from the rules directory are removed from the directory; here they can be disabled")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rules WHERE rule_id = ?`, id); err != nil {
			return fmt.Errorf("pipeline: delete rule: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rule_exceptions WHERE rule_id = ?`, id); err != nil {
			return fmt.Errorf("pipeline: delete rule: %w", err)
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "rule.delete", ObjectType: "rule", ObjectID: id,
			Before: map[string]any{"title": cur.Title, "level": cur.Level}})
	})
	if err != nil {
		return err
	}
	s.Poke()
	return nil
}

// isIOCRule reports whether id names the indicator matches of a kind
// ("ioc:ip", "ioc:domain", ...), which exceptions and disabling accept
// like any rule id.
func isIOCRule(id string) bool {
	k, ok := strings.CutPrefix(id, "ioc:")
	if !ok {
		return false
	}
	kind, ok := ioc.ParseKind(k)
	return ok && kind.String() == k
}
