package monthly

import (
	"context"

	"vigil/internal/auth"
	"vigil/internal/errs"
)

// LoadDemo generates the demo organisation's reports (drafts, as the
// scheduled job makes them) when there are none: last month's, as the
// job would on the first working day, and the current month's so far —
// the demo's data is made on the day it loads, so last month's is mostly
// empty and the current month's shows what a report holds. It reports
// whether it made any.
func (s *Service) LoadDemo(ctx context.Context) (bool, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	made := false
	for _, month := range []string{PreviousMonth(s.now()), MonthOf(s.now())} {
		if _, err := s.Find(ctx, month, ""); err == nil {
			continue
		} else if errs.Code(err) != errs.ENOTFOUND {
			return made, err
		}
		if _, err := s.Generate(ctx, month, ""); err != nil {
			return made, err
		}
		made = true
	}
	return made, nil
}
