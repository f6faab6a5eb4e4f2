// Package advisory carries advisories from the IT Center or a national
// agency to the units (issue 12): title, severity, affected products and
// CVEs, required actions, a deadline and target units; units acknowledge
// and report completion, overdue units are listed, and an advisory that
// names CVEs links to each unit's matching findings. RSS and Atom channels
// bring advisories in as drafts.
package advisory

import (
	"time"

	"vigil/internal/store"
)

// Service keeps advisories and the units' answers.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}
