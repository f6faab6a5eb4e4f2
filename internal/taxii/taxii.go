// Package taxii is the hub's TAXII 2.1 server (discovery, API roots,
// collections, objects with pagination and filters, per-collection read
// and write rights) sharing the warning lists with units and partners,
// and its client polling partners' collections on a schedule, remembering
// added_after (issue 12).
package taxii

import (
	"time"

	"vigil/internal/store"
)

// Service serves and polls TAXII 2.1 collections.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}
