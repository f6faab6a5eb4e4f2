package readiness

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// BuiltinTemplate is the key of the built-in template: the five measures
// of the directive for the Lunar New Year holiday.
const BuiltinTemplate = "directive-182-tet"

// Criterion is one line of a template or a campaign.
type Criterion struct {
	Key       string  `json:"key"`
	Measure   int     `json:"measure"`
	Kind      string  `json:"kind"`
	Metric    string  `json:"metric,omitempty"`
	Direction string  `json:"direction,omitempty"`
	Target    float64 `json:"target"`
	// Margin is how far from the target a figure is "at risk" rather than
	// failed (percentage points for a share, objects for a count).
	Margin float64 `json:"margin"`
	// EmptyMet: a share of 0 of 0 (nothing to measure) is met, not a gap.
	EmptyMet bool `json:"empty_met"`
	// SOCOnly: the criterion applies to the SOC's unit alone.
	SOCOnly bool `json:"soc_only"`
	// OrgWide: the figure counts every unit's samples (with SOCOnly).
	OrgWide bool   `json:"org_wide"`
	Label   string `json:"label"`
	LabelEn string `json:"label_en,omitempty"`
	// Todo says what a unit not meeting it does next.
	Todo   string `json:"todo,omitempty"`
	TodoEn string `json:"todo_en,omitempty"`
}

// Share reports whether the criterion's value is a percentage.
func (c *Criterion) Share() bool {
	return c.Kind == KindAttest || c.Direction == MinShare || c.Direction == MaxShare
}

// Template is a named list of criteria.
type Template struct {
	Key       string       `json:"key"`
	Name      string       `json:"name"`
	NameEn    string       `json:"name_en,omitempty"`
	Criteria  []*Criterion `json:"criteria"`
	UpdatedBy string       `json:"updated_by,omitempty"`
}

// builtin is the template directive-182-tet as shipped; the database copy
// is what counts once written.
func builtin() *Template {
	m := func(key string, measure int, metric, dir string, target, margin float64, empty bool, label, labelEn, todo, todoEn string) *Criterion {
		return &Criterion{Key: key, Measure: measure, Kind: KindMetric, Metric: metric, Direction: dir, Target: target, Margin: margin, EmptyMet: empty,
			Label: label, LabelEn: labelEn, Todo: todo, TodoEn: todoEn}
	}
	a := func(key string, measure int, label, labelEn, todo, todoEn string) *Criterion {
		return &Criterion{Key: key, Measure: measure, Kind: KindAttest, Target: 100, Label: label, LabelEn: labelEn, Todo: todo, TodoEn: todoEn}
	}
	soc := func(c *Criterion, orgWide bool) *Criterion { c.SOCOnly, c.OrgWide = true, orgWide; return c }
	return &Template{Key: BuiltinTemplate, Name: "Chỉ thị 182 — bảo đảm an toàn thông tin dịp Tết", NameEn: "Directive 182 — security over the Tết holiday",
		Criteria: []*Criterion{
			m("m1.av_current", 1, measure.KeyHostsAVCurrent, MinShare, 95, 5, false,
				"Máy có phần mềm phòng chống mã độc hoạt động, mẫu nhận diện dưới 3 ngày", "Hosts with anti-malware running, signatures under 3 days old",
				"Cập nhật mẫu nhận diện và bật phần mềm phòng chống mã độc trên các máy trong danh sách.", "Update the signatures and turn anti-malware on for the hosts listed."),
			m("m1.firewall_on", 1, measure.KeyHostsFirewallOn, MinShare, 95, 5, false,
				"Máy bật tường lửa", "Hosts with the firewall on",
				"Bật tường lửa trên các máy trong danh sách.", "Turn the firewall on for the hosts listed."),
			m("m1.agent_seen", 1, measure.KeyHostsAgentSeen24h, MinShare, 95, 5, false,
				"Máy có tác tử gửi báo cáo trong 24 giờ", "Hosts whose agent reported in 24 h",
				"Kiểm tra các máy không gửi báo cáo: bật máy, kết nối mạng, cài lại tác tử.", "Check the hosts that stopped reporting: power, network, reinstall the agent."),
			m("m1.watchlist_closed", 1, measure.KeyFindingsWatchlistClosed, MinShare, 100, 10, true,
				"Phát hiện theo danh sách cảnh báo đã xử lý", "Warning-list findings closed",
				"Xử lý các phát hiện theo danh sách cảnh báo còn mở.", "Close the open warning-list findings."),
			m("m1.malware_closed", 1, measure.KeyFindingsMalwareClosed, MinShare, 100, 10, true,
				"Phát hiện mã độc đã xử lý", "Malware findings closed",
				"Xử lý các phát hiện mã độc còn mở.", "Close the open malware findings."),
			a("m1.secret_protection", 1,
				"Đã triển khai biện pháp bảo vệ bí mật nhà nước trên hệ thống thông tin", "State-secret protection measures deployed",
				"Cán bộ chuyên trách xác nhận kèm biên bản kiểm tra.", "The unit's officer attests with the inspection record."),
			m("m2.duty_covered", 2, measure.KeyDutyCovered, MinShare, 100, 5, false,
				"Mọi giờ trong kỳ có người trực", "Every hour of the period covered by the duty roster",
				"Bổ sung người trực cho các khung giờ còn trống trong lịch trực.", "Fill the empty hours of the duty roster."),
			m("m2.sources_reporting", 2, measure.KeySourcesReporting, MinShare, 100, 10, false,
				"Nguồn nhật ký đã đăng ký đang gửi dữ liệu", "Registered log sources reporting",
				"Kiểm tra các nguồn nhật ký không gửi dữ liệu trong 24 giờ.", "Check the sources silent for 24 h."),
			m("m2.alerts_acked", 2, measure.KeyAlertsAckedInTime, MinShare, 90, 10, true,
				"Cảnh báo được tiếp nhận trong thời hạn", "Alerts acknowledged within the target time",
				"Tiếp nhận cảnh báo trong thời hạn; rà soát lịch trực và kênh báo động.", "Acknowledge alerts in time; review the roster and the escalation channels."),
			a("m2.response_plan", 2,
				"Phương án ứng cứu sự cố và sao lưu dữ liệu dịp Tết đã được phê duyệt", "Incident response and backup plan for the holiday approved",
				"Gửi phương án đã phê duyệt kèm tệp minh chứng.", "Send the approved plan as evidence."),
			m("m3.ms2023_open", 3, measure.KeyFindingsMS2023Open, MaxCount, 0, 5, false,
				"Lỗ hổng Microsoft 2023 mức cao/nghiêm trọng còn mở", "Open Microsoft 2023 high/critical findings",
				"Cài bản vá Microsoft cho các máy trong danh sách.", "Install the Microsoft updates on the hosts listed."),
			m("m3.ms2023_accepted", 3, measure.KeyFindingsMS2023Accepted, Info, 0, 0, false,
				"Lỗ hổng Microsoft 2023 được chấp nhận rủi ro (tính riêng)", "Microsoft 2023 findings under an accepted risk (counted apart)",
				"", ""),
			m("m3.overdue", 3, measure.KeyFindingsOverdue, MaxCount, 0, 10, false,
				"Phát hiện quá hạn xử lý", "Findings past their due date",
				"Xử lý hoặc gia hạn có lý do các phát hiện quá hạn.", "Fix the overdue findings or extend them with a reason."),
			m("m4.training_passed", 4, measure.KeyTrainingPassed, MinShare, 90, 10, false,
				"Nhân viên hoàn thành và đạt khóa học được giao", "Employees who completed and passed the assigned course",
				"Nhắc nhân viên chưa hoàn thành khóa học.", "Remind the employees who have not finished the course."),
			m("m4.drill_clicked", 4, measure.KeyDrillClicked, MaxShare, 10, 5, false,
				"Tỷ lệ bấm vào thư diễn tập lừa đảo", "Phishing drill click rate",
				"Tổ chức học lại cho người đã bấm vào thư diễn tập.", "Retrain the people who clicked the drill."),
			m("m4.drill_reported", 4, measure.KeyDrillReported, MinShare, 30, 10, false,
				"Tỷ lệ báo cáo thư diễn tập lừa đảo", "Phishing drill report rate",
				"Hướng dẫn nhân viên cách báo cáo thư lừa đảo.", "Show employees how to report a phishing mail."),
			soc(m("m5.soc_roster", 5, measure.KeyDutyCovered, MinShare, 100, 2, false,
				"Trực SOC 24/7 đủ người", "24/7 SOC roster covered",
				"Bổ sung người trực SOC cho các khung giờ còn trống.", "Fill the empty hours of the SOC roster."), false),
			soc(m("m5.ncsc_uptime", 5, measure.KeyNCSCUptime, MinShare, 99, 1, false,
				"Kết nối với Trung tâm Giám sát quốc gia hoạt động", "Link to the national monitoring center up",
				"Kiểm tra đường truyền và thiết bị kết nối với NCSC.", "Check the line and equipment of the NCSC link."), true),
			soc(m("m5.incidents_on_time", 5, measure.KeyIncidentsReportedOnTime, MinShare, 100, 10, true,
				"Sự cố được báo cáo đúng thời hạn quy định", "Incidents reported within the regulation's deadlines",
				"Gửi ngay các báo cáo sự cố đã quá hạn.", "Send the overdue incident reports now."), true),
		}}
}

// Limits of a template.
const (
	maxCriteria = 100
	maxLabel    = 300
	maxTodo     = 2000
	maxName     = 200
)

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// MetricKeys lists the measure keys a metric criterion may read.
var MetricKeys = []string{
	measure.KeyHostsAVCurrent, measure.KeyHostsFirewallOn, measure.KeyHostsAgentSeen24h, measure.KeyHostsTotal, measure.KeyHostsScannedPeriod,
	measure.KeyFindingsWatchlistClosed, measure.KeyFindingsMalwareClosed, measure.KeyFindingsMS2023Open, measure.KeyFindingsMS2023Accepted,
	measure.KeyFindingsOverdue, measure.KeyAlertsAckedInTime, measure.KeyDutyCovered, measure.KeySourcesReporting, measure.KeyNCSCUptime,
	measure.KeyTrainingPassed, measure.KeyTrainingCompleted, measure.KeyDrillClicked, measure.KeyDrillReported, measure.KeyIncidentsReportedOnTime,
}

func text(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) > max {
		return "", errs.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// validate checks and normalises the criteria; field names say which
// line is wrong ("criteria[3].target").
func validateCriteria(cs []*Criterion) error {
	if len(cs) == 0 {
		return errs.Invalid("criteria", "a template needs at least one criterion")
	}
	if len(cs) > maxCriteria {
		return errs.Invalid("criteria", "a template holds at most %d criteria", maxCriteria)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		f := func(name string) string { return fmt.Sprintf("criteria[%d].%s", i+1, name) }
		if c == nil {
			return errs.Invalid(fmt.Sprintf("criteria[%d]", i+1), "is required")
		}
		c.Key = strings.ToLower(strings.TrimSpace(c.Key))
		if !keyRE.MatchString(c.Key) {
			return errs.Invalid(f("key"), "%q is not a key: lower-case letters, digits, dots and dashes (m1.av_current)", c.Key)
		}
		if seen[c.Key] {
			return errs.Invalid(f("key"), "the key %q appears twice", c.Key)
		}
		seen[c.Key] = true
		if c.Measure < 1 || c.Measure > 5 {
			return errs.Invalid(f("measure"), "must be a measure from 1 to 5")
		}
		var err error
		if c.Label, err = text(f("label"), c.Label, maxLabel); err != nil {
			return err
		}
		if c.Label == "" {
			return errs.Invalid(f("label"), "is required")
		}
		if c.LabelEn, err = text(f("label_en"), c.LabelEn, maxLabel); err != nil {
			return err
		}
		if c.Todo, err = text(f("todo"), c.Todo, maxTodo); err != nil {
			return err
		}
		if c.TodoEn, err = text(f("todo_en"), c.TodoEn, maxTodo); err != nil {
			return err
		}
		if math.IsNaN(c.Target) || math.IsInf(c.Target, 0) || c.Target < 0 || math.IsNaN(c.Margin) || math.IsInf(c.Margin, 0) || c.Margin < 0 {
			return errs.Invalid(f("target"), "the target and the margin are numbers of zero or more")
		}
		switch c.Kind {
		case KindAttest:
			c.Metric, c.Direction, c.Target, c.Margin, c.EmptyMet, c.OrgWide = "", "", 100, 0, false, false
		case KindMetric:
			if !slices.Contains(MetricKeys, c.Metric) {
				return errs.Invalid(f("metric"), "%q is not a metric: choose one of %s", c.Metric, strings.Join(MetricKeys, ", "))
			}
			if !slices.Contains(Directions, c.Direction) {
				return errs.Invalid(f("direction"), "must be one of %s", strings.Join(Directions, ", "))
			}
			if (c.Direction == MinShare || c.Direction == MaxShare) && c.Target > 100 {
				return errs.Invalid(f("target"), "a share's target is a percentage from 0 to 100")
			}
			if c.Direction == Info {
				c.Target, c.Margin = 0, 0
			}
			if c.OrgWide && !c.SOCOnly {
				return errs.Invalid(f("org_wide"), "only a criterion of the SOC's unit counts the whole organisation")
			}
		default:
			return errs.Invalid(f("kind"), "must be %s or %s", KindMetric, KindAttest)
		}
	}
	return nil
}

const criterionColumns = `key, position, measure, kind, metric, direction, target, margin, empty_met, soc_only, org_wide, label, label_en, todo, todo_en`

func scanCriterion(sc store.Scanner) (*Criterion, error) {
	var c Criterion
	var pos int
	err := sc.Scan(&c.Key, &pos, &c.Measure, &c.Kind, &c.Metric, &c.Direction, &c.Target, &c.Margin, &c.EmptyMet, &c.SOCOnly, &c.OrgWide,
		&c.Label, &c.LabelEn, &c.Todo, &c.TodoEn)
	return &c, err
}

func criterionArgs(c *Criterion, pos int) []any {
	return []any{c.Key, pos, c.Measure, c.Kind, c.Metric, c.Direction, c.Target, c.Margin, c.EmptyMet, c.SOCOnly, c.OrgWide, c.Label, c.LabelEn, c.Todo, c.TodoEn}
}

// ensureBuiltin writes the built-in template when the database has none
// of that key.
func (s *Service) ensureBuiltin(ctx context.Context) error {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM readiness_templates WHERE key = ?`, BuiltinTemplate).Scan(&n); err != nil {
		return fmt.Errorf("readiness: built-in template: %w", err)
	}
	if n > 0 {
		return nil
	}
	t := builtin()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.now())
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO readiness_templates (key, name, name_en, updated_by, created_at, updated_at) VALUES (?, ?, ?, 'system', ?, ?)
			ON CONFLICT (key) DO NOTHING RETURNING id`, t.Key, t.Name, t.NameEn, now, now).Scan(&id)
		if store.IsNoRows(err) {
			return nil // another hub wrote it
		}
		if err != nil {
			return err
		}
		return insertCriteria(ctx, tx, "readiness_template_criteria", "template_id", id, t.Criteria)
	})
	if err != nil {
		return fmt.Errorf("readiness: built-in template: %w", err)
	}
	return nil
}

func insertCriteria(ctx context.Context, tx *store.Tx, table, owner string, id int64, cs []*Criterion) error {
	for i, c := range cs {
		if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+owner+`, `+criterionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{id}, criterionArgs(c, i)...)...); err != nil {
			return fmt.Errorf("criterion %s: %w", c.Key, err)
		}
	}
	return nil
}

// Templates returns every template with its criteria (anyone signed in
// reads them: they say what a campaign measures).
func (s *Service) Templates(ctx context.Context) ([]*Template, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureBuiltin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT key FROM readiness_templates ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("readiness: templates: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Template, 0, len(keys))
	for _, k := range keys {
		t, err := s.template(ctx, s.DB, k)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Template returns one template.
func (s *Service) Template(ctx context.Context, key string) (*Template, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureBuiltin(ctx); err != nil {
		return nil, err
	}
	return s.template(ctx, s.DB, key)
}

func (s *Service) template(ctx context.Context, q store.Queryer, key string) (*Template, error) {
	var t Template
	var id int64
	err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT id, key, name, name_en, updated_by FROM readiness_templates WHERE key = ?`), key).
		Scan(&id, &t.Key, &t.Name, &t.NameEn, &t.UpdatedBy)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("template " + key)
	}
	if err != nil {
		return nil, fmt.Errorf("readiness: template %s: %w", key, err)
	}
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT `+criterionColumns+` FROM readiness_template_criteria WHERE template_id = ? ORDER BY position, key`), id)
	if err != nil {
		return nil, fmt.Errorf("readiness: template %s: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCriterion(rows)
		if err != nil {
			return nil, fmt.Errorf("readiness: template %s: %w", key, err)
		}
		t.Criteria = append(t.Criteria, c)
	}
	return &t, rows.Err()
}

// TemplateInput writes a template: its name and its whole list of
// criteria (criteria left out are removed).
type TemplateInput struct {
	Name     string       `json:"name"`
	NameEn   string       `json:"name_en"`
	Criteria []*Criterion `json:"criteria"`
}

// SaveTemplate creates or replaces the template of key, as the IT Center;
// running campaigns keep the criteria they opened with.
func (s *Service) SaveTemplate(ctx context.Context, key string, in TemplateInput) (*Template, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ensureBuiltin(ctx); err != nil {
		return nil, err
	}
	key = strings.ToLower(strings.TrimSpace(key))
	if !keyRE.MatchString(key) {
		return nil, errs.Invalid("key", "%q is not a key: lower-case letters, digits, dots and dashes (m1.av_current)", key)
	}
	if in.Name, err = text("name", in.Name, maxName); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, errs.Invalid("name", "is required")
	}
	if in.NameEn, err = text("name_en", in.NameEn, maxName); err != nil {
		return nil, err
	}
	if err := validateCriteria(in.Criteria); err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.now())
		var before *Template
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM readiness_templates WHERE key = ?`, key).Scan(&id)
		switch {
		case store.IsNoRows(err):
			if err := tx.QueryRow(ctx, `INSERT INTO readiness_templates (key, name, name_en, updated_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
				key, in.Name, in.NameEn, p.Email, now, now).Scan(&id); err != nil {
				return fmt.Errorf("readiness: template: %w", err)
			}
		case err != nil:
			return fmt.Errorf("readiness: template: %w", err)
		default:
			if before, err = s.template(ctx, tx, key); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE readiness_templates SET name = ?, name_en = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
				in.Name, in.NameEn, p.Email, now, id); err != nil {
				return fmt.Errorf("readiness: template: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM readiness_template_criteria WHERE template_id = ?`, id); err != nil {
				return fmt.Errorf("readiness: template: %w", err)
			}
		}
		if err := insertCriteria(ctx, tx, "readiness_template_criteria", "template_id", id, in.Criteria); err != nil {
			return fmt.Errorf("readiness: template: %w", err)
		}
		e := audit.Entry{Action: "readiness.template", ObjectType: "readiness_template", ObjectID: key,
			After: templateView(&Template{Key: key, Name: in.Name, Criteria: in.Criteria})}
		if before != nil {
			e.Before = templateView(before)
		}
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.template(ctx, s.DB, key)
}

// templateView is what the audit log records of a template: its name and
// one line per criterion.
func templateView(t *Template) map[string]any {
	lines := make([]string, 0, len(t.Criteria))
	for _, c := range t.Criteria {
		line := fmt.Sprintf("%d · %s", c.Measure, c.Label)
		switch {
		case c.Kind == KindAttest:
			line += " · ✓"
		case c.Direction == MinShare:
			line += fmt.Sprintf(" · ≥ %g%% (±%g)", c.Target, c.Margin)
		case c.Direction == MaxShare:
			line += fmt.Sprintf(" · ≤ %g%% (±%g)", c.Target, c.Margin)
		case c.Direction == MaxCount:
			line += fmt.Sprintf(" · ≤ %g (±%g)", c.Target, c.Margin)
		}
		lines = append(lines, line)
	}
	return map[string]any{"name": t.Name, "criteria": strings.Join(lines, "\n")}
}
