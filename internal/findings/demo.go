package findings

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
)

// LoadDemo moves some of the demo organisation's findings along their
// lifecycle, as officers working the queue would: some in progress with an
// owner, some resolved with a note, a few past their due date. It does
// nothing once any finding has left "open".
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string, soc string) (err error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	// Vulnerabilities and missing updates (issue 11) have their own demo,
	// moved along by their own rules, after the malware queue's.
	defer func() {
		if err == nil {
			err = s.loadVulnDemo(ctx, officers, soc)
		}
	}()
	var moved int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM findings WHERE status <> 'open'`).Scan(&moved); err != nil {
		return err
	}
	if moved > 0 {
		return nil
	}
	list, _, err := s.List(ctx, Filter{Limit: 1000, Kinds: []string{KindMalware, KindWarningList}})
	if err != nil {
		return err
	}
	str := func(v string) *string { return &v }
	for i, f := range list {
		owner := officers[f.Unit]
		if owner == "" {
			owner = soc
		}
		var in Update
		switch i % 6 {
		case 1:
			in = Update{Status: str(StatusInProgress), Owner: str(owner), Note: str("Đã cách ly máy khỏi mạng, đang quét lại toàn bộ ổ đĩa.")}
		case 2:
			in = Update{Status: str(StatusResolved), Owner: str(owner), Note: str("Đã xoá tệp, đổi mật khẩu tài khoản quản trị, quét lại không còn phát hiện.")}
		case 3:
			// Past its due date: the queue shows it red.
			in = Update{Owner: str(owner), Due: str(time.Now().In(time.UTC).Add(-48 * time.Hour).Format("2006-01-02"))}
		default:
			continue
		}
		if _, err := s.Update(ctx, f.ID, in); err != nil {
			return fmt.Errorf("findings: demo %d: %w", f.ID, err)
		}
	}
	return nil
}
