package monthly

import (
	"context"

	"vigil/internal/auth"
	"vigil/internal/errs"
)

// LoadDemo generates last month's report of the demo organisation (a
// draft, as the scheduled job would) when there is none; it reports
// whether it made one.
func (s *Service) LoadDemo(ctx context.Context) (bool, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	month := PreviousMonth(s.now())
	if _, err := s.Find(ctx, month, ""); err == nil {
		return false, nil
	} else if errs.Code(err) != errs.ENOTFOUND {
		return false, err
	}
	if _, err := s.Generate(ctx, month, ""); err != nil {
		return false, err
	}
	return true, nil
}
