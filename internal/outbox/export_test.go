package outbox

import "context"

// ClaimForTest claims a delivery as a process that then dies would.
func (s *Service) ClaimForTest(ctx context.Context, id int64) (bool, error) {
	d, err := s.claim(ctx, id)
	return d != nil, err
}
