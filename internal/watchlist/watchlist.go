// Package watchlist turns published warning lists into work (issue 12):
// it matches a list against every unit's inventory (host addresses,
// hostnames, accounts, executable hashes) and, over a number of days,
// against stored alert events; it stores each match once per (indicator,
// object); and it files findings of kind warning_list with the action the
// unit must take and a deadline, which a later clean scan or inventory
// verifies and closes.
package watchlist

import (
	"time"

	"vigil/internal/store"
)

// Service matches published warning lists and keeps the clean-up queue.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}
