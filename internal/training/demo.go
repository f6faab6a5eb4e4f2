package training

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// Batch is how many queued messages one run of the sender (every 10 s)
// takes: the rate's share of 10 seconds, at least one.
func (s *Service) Batch() int {
	rate := s.MailPerMinute
	if rate <= 0 {
		rate = 60
	}
	return max(rate/6, 1)
}

var (
	demoFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
	demoMiddle = []string{"Văn", "Thị", "Minh", "Thu", "Quang", "Ngọc", "Hữu", "Thanh"}
	demoGiven  = []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn"}
	demoDepts  = []string{"Phòng Thu", "Phòng Chế độ BHXH", "Phòng Giám định BHYT", "Phòng Kế hoạch - Tài chính", "Văn phòng"}
	demoPos    = []string{"Chuyên viên", "Chuyên viên", "Chuyên viên chính", "Phó Trưởng phòng", "Trưởng phòng"}
)

// LoadDemo adds employees to a few demo units (the root, the provinces the
// demo officers look after and their districts), a campaign of the starter
// course with some of them done, and returns the employees added; it does
// nothing when there are employees already.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM training_people`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	if err := s.EnsureStarter(ctx); err != nil {
		return 0, err
	}
	codes := []string{}
	for c := range officers {
		codes = append(codes, c)
	}
	rows, err := s.DB.Query(ctx, `SELECT code FROM units WHERE parent_id IS NULL OR code IN ('T01','T48') OR code LIKE 'T01-%' OR code LIKE 'T48-%' ORDER BY path`)
	if err != nil {
		return 0, err
	}
	var units []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return 0, err
		}
		units = append(units, c)
	}
	rows.Close()
	if len(units) > 8 {
		units = units[:8]
	}
	total := 0
	k := 0
	for ui, code := range units {
		var rs []EmployeeRow
		for i := 0; i < 12+ui%3*4; i++ {
			k++
			name := demoFamily[k%len(demoFamily)] + " " + demoMiddle[(k/3)%len(demoMiddle)] + " " + demoGiven[(k*7)%len(demoGiven)]
			rs = append(rs, EmployeeRow{Line: i + 2, Name: name, Email: fmt.Sprintf("nv%03d.%s@demo.vigil.local", k, strings.ToLower(code)),
				Position: demoPos[k%len(demoPos)], Department: demoDepts[k%len(demoDepts)]})
		}
		res, err := s.ImportEmployees(ctx, code, rs)
		if err != nil {
			return total, fmt.Errorf("training: demo: %w", err)
		}
		total += res.Created
	}
	if total == 0 {
		return 0, nil
	}
	due := s.now().AddDate(0, 0, 20).In(time.UTC).Format("2006-01-02")
	c, err := s.CreateCampaign(ctx, CampaignInput{Course: StarterSlug, Units: units, DueAt: due, Name: "Tập huấn ATTT trước Tết Đinh Mùi", RemindDays: 3, Target: 90})
	if err != nil {
		return total, fmt.Errorf("training: demo: %w", err)
	}
	// The demo's mail is not sent: nobody is there to read it.
	if _, err := s.DB.Exec(ctx, `UPDATE training_mail SET status = 'sent', sent_at = ? WHERE campaign_id = ?`, store.Micros(s.now()), c.ID); err != nil {
		return total, err
	}
	// Progress: the first units are well ahead, the last ones behind.
	full, err := s.course(ctx, c.CourseID)
	if err != nil {
		return total, err
	}
	arows, err := s.DB.Query(ctx, `SELECT a.person_id, u.code FROM training_assignments a JOIN units u ON u.id = a.unit_id WHERE a.campaign_id = ? ORDER BY a.person_id`, c.ID)
	if err != nil {
		return total, err
	}
	type pu struct {
		person int64
		unit   string
	}
	var ps []pu
	for arows.Next() {
		var x pu
		if err := arows.Scan(&x.person, &x.unit); err != nil {
			arows.Close()
			return total, err
		}
		ps = append(ps, x)
	}
	arows.Close()
	unitIdx := map[string]int{}
	for i, u := range units {
		unitIdx[u] = i
	}
	for i, x := range ps {
		ui := unitIdx[x.unit]
		// Share done falls with the unit's place: 95% … 20%.
		share := 95 - ui*11
		if (i*37)%100 >= share {
			continue
		}
		l := &Learner{PersonID: x.person}
		for _, ls := range full.Lessons {
			answers := map[int][]int{}
			for qi, q := range ls.Questions {
				answers[qi] = q.Right
				if (i+qi)%9 == 0 { // a wrong answer now and then
					answers[qi] = []int{(q.Right[0] + 1) % len(q.Choices)}
				}
			}
			if _, err := s.SubmitQuiz(ctx, l, c.CourseID, ls.Position, answers); err != nil && err != ErrNoAttemptsLeft {
				return total, fmt.Errorf("training: demo progress: %w", err)
			}
		}
	}
	return total, nil
}
