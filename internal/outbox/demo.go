package outbox

import (
	"context"
	"fmt"

	"vigil/internal/auth"
)

// LoadDemo names example recipients for every purpose that has none, so
// that `vigil serve --demo` can send a report: the addresses are in
// example domains (RFC 2606), which a demo's SMTP server, if any, will
// refuse or swallow. It returns how many purposes it set.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	sys := auth.WithPrincipal(ctx, auth.System)
	n := 0
	for _, p := range Purposes {
		var c int
		if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM outbox_settings WHERE purpose = ?`, p).Scan(&c); err != nil {
			return n, fmt.Errorf("outbox demo: %w", err)
		}
		if c > 0 {
			continue
		}
		if _, err := s.SetRecipients(sys, p, RecipientsInput{
			OwnerName: "Bảo hiểm xã hội Việt Nam", OwnerEmails: []string{"cntt@bhxh.example.vn"},
			CoordinatorName: "VNCERT/CC (Cục A05, Bộ Công an)", CoordinatorEmails: []string{"ir@vncert.example.vn"},
			SpecialisedName: "Đội ứng cứu sự cố BHXH", SpecialisedEmails: []string{"csirt@bhxh.example.vn"},
		}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
