package hosts

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

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

// ImportBatch is how many hosts an import writes per transaction: small
// enough that a transaction holds SQLite's single write lock for well
// under a second, so the scheduler's job claims, sign-ins and agents'
// inventories get their turn between batches instead of failing with
// "database is locked" behind an import of tens of thousands of hosts.
const ImportBatch = 500

// importPause follows each batch but the last. SQLite's busy handler
// retries a waiting writer at most every 100 ms and does not queue
// writers, so an import starting its next batch the moment it commits
// would win the lock again and again; pausing longer than that lets every
// waiter in.
const importPause = 120 * time.Millisecond

// Import records inventories of hosts without an agent (from `vigil agent
// collect` JSON, the CSV template or osquery results). Every document is
// validated before the first write, so a bad one imports nothing. The
// hosts are then written ImportBatch to a transaction, each batch with its
// audit record: should the hub stop or the database fail part-way, the
// batches written stay, and importing the same file again completes the
// import, since hosts are matched by machine id, or hostname and address,
// so importing a file twice updates rather than duplicates.
func (s *Service) Import(ctx context.Context, unitCode, file string, invs []*asset.Inventory) (*ImportResult, error) {
	unitID, err := s.importUnit(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	if len(invs) == 0 {
		return nil, errs.Invalid("", "%s holds no host inventories", file)
	}
	// Validate on every core, outside any transaction.
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
				}
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
	batches := (len(invs) + ImportBatch - 1) / ImportBatch
	for b := 0; b < batches; b++ {
		// Prepared documents (each host's JSON) live for one batch only.
		chunk := invs[b*ImportBatch : min(len(invs), (b+1)*ImportBatch)]
		preps := make([]*prepared, len(chunk))
		for i, inv := range chunk {
			if preps[i], err = prepare(inv); err != nil {
				return nil, err
			}
		}
		var batch ImportResult
		err = s.DB.InTx(ctx, func(tx *store.Tx) error {
			batch = ImportResult{}
			for _, p := range preps {
				_, created, changes, err := s.store(ctx, tx, unitID, 0, p, "")
				if err != nil {
					return err
				}
				if created {
					batch.Created++
				} else {
					batch.Updated++
				}
				batch.Changes += len(changes)
			}
			after := map[string]any{"file": file, "created": batch.Created, "updated": batch.Updated, "records": strconv.Itoa(len(invs))}
			if batches > 1 {
				after["batch"] = fmt.Sprintf("%d/%d", b+1, batches)
			}
			return audit.Append(ctx, tx, audit.Entry{Action: "host.import", ObjectType: "unit", ObjectID: unitCode, UnitID: unitID, After: after})
		})
		if err != nil {
			if b > 0 {
				return nil, fmt.Errorf("hosts: import %s: %d of %d hosts written before: %w; import the file again to complete it", file, b*ImportBatch, len(invs), err)
			}
			return nil, err
		}
		res.Created += batch.Created
		res.Updated += batch.Updated
		res.Changes += batch.Changes
		if b < batches-1 {
			select {
			case <-time.After(importPause):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return res, nil
}
