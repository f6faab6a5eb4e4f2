package hosts

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"vigil/internal/asset"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// ImportResult says what an inventory import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Changes int `json:"changes"`
}

// CanImport checks, before a file is read, that the caller may import
// hosts into the unit.
func (s *Service) CanImport(ctx context.Context, unitCode string) error {
	_, err := s.importUnit(ctx, unitCode)
	return err
}

// importUnit returns the id of a unit the caller may import hosts into.
func (s *Service) importUnit(ctx context.Context, unitCode string) (int64, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	id, path, err := s.unitInScope(ctx, p, unitCode, errs.Invalid("unit", "unit %q does not exist", unitCode))
	if err != nil {
		return 0, err
	}
	if !p.CanWrite(path) {
		return 0, errs.Forbidden("you may not import hosts into unit %s", unitCode)
	}
	return id, nil
}

// Import records inventories of hosts without an agent (from `vigil agent
// collect` JSON, the CSV template or osquery results) in one transaction:
// every document is validated first, and a bad one imports nothing.
// Hosts are matched by machine id, or hostname and address, so importing
// the same file twice updates rather than duplicates.
func (s *Service) Import(ctx context.Context, unitCode, file string, invs []*asset.Inventory) (*ImportResult, error) {
	unitID, err := s.importUnit(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	if len(invs) == 0 {
		return nil, errs.Invalid("", "%s holds no host inventories", file)
	}
	// Validate and prepare on every core, outside the transaction.
	preps := make([]*prepared, len(invs))
	errsAt := make([]error, len(invs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := invs[i].Validate(); err != nil {
					errsAt[i] = inventoryError(fmt.Sprintf("%s: record %d", file, i+1), err)
					continue
				}
				preps[i], errsAt[i] = prepare(invs[i])
			}
		}()
	}
	for i := range invs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errsAt {
		if err != nil {
			return nil, err
		}
	}
	res := &ImportResult{}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range preps {
			_, created, changes, err := s.store(ctx, tx, unitID, 0, p, "")
			if err != nil {
				return err
			}
			if created {
				res.Created++
			} else {
				res.Updated++
			}
			res.Changes += len(changes)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "host.import", ObjectType: "unit", ObjectID: unitCode, UnitID: unitID,
			After: map[string]any{"file": file, "created": res.Created, "updated": res.Updated, "records": strconv.Itoa(len(invs))}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
