package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel"
	"vigil/internal/store"
)

// Status is the status resource of a write (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"` // complete: the hub imports while it answers
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// StatusDetail is one object of a write.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// MaxWriteObjects caps the objects of one POST.
const MaxWriteObjects = 10000

// writeObjects imports an envelope POSTed to a writable collection
// through the intel service (the format reader), as indicators of the
// collection's source, and records the status resource. The caller's
// write right has been checked.
func (s *Service) writeObjects(ctx context.Context, c *Collection, body io.Reader) (*Status, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	dec := json.NewDecoder(body)
	if err := dec.Decode(&env); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errs.Invalid("objects", "the body is not a TAXII envelope: %v", err)
	}
	if len(env.Objects) > MaxWriteObjects {
		return nil, errs.Invalid("objects", "at most %d objects in one request", MaxWriteObjects)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	st := &Status{ID: uuid.NewString(), Status: "complete", RequestTimestamp: Timestamp(now), TotalCount: len(env.Objects)}
	type head struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Modified string `json:"modified"`
		Created  string `json:"created"`
	}
	heads := make([]head, len(env.Objects))
	for i, raw := range env.Objects {
		json.Unmarshal(raw, &heads[i])
		if heads[i].Modified == "" {
			heads[i].Modified = heads[i].Created
		}
	}
	failed := map[string]string{}
	if len(env.Objects) > 0 {
		bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": env.Objects})
		var res *intel.ImportResult
		if s.Intel == nil {
			err = fmt.Errorf("no intel service")
		} else {
			// The collection's grant is the authority here: the import
			// runs as the hub, the write is recorded as the caller's.
			sys := auth.WithPrincipal(auth.WithClientIP(ctx, p.IP), auth.System)
			res, err = s.Intel.Import(sys, intel.ImportInput{Name: "TAXII " + c.Title, Data: bytes.NewReader(bundle), Source: c.Source})
		}
		if err != nil {
			for _, h := range heads {
				failed[h.ID] = "not imported: " + err.Error()
			}
		} else {
			for _, pr := range res.Skipped {
				if pr.Object != "" {
					failed[pr.Object] = pr.Error()
				}
			}
		}
	}
	for i, h := range heads {
		d := StatusDetail{ID: h.ID, Version: h.Modified}
		if h.ID == "" {
			d.ID = fmt.Sprintf("objects[%d]", i)
		}
		if msg, ok := failed[h.ID]; ok {
			d.Message = msg
			st.Failures = append(st.Failures, d)
		} else {
			st.Successes = append(st.Successes, d)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	details, _ := json.Marshal(map[string]any{"successes": st.Successes, "failures": st.Failures})
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO taxii_status (id, collection_id, user_id, status, request_timestamp, total_count, success_count, failure_count, pending_count, details, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`, st.ID, c.ID, p.UserID, st.Status, store.Micros(now), st.TotalCount, st.SuccessCount, st.FailureCount, string(details), store.Micros(now)); err != nil {
			return fmt.Errorf("taxii: status: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.write", ObjectType: "taxii_collection", ObjectID: c.ID,
			After: map[string]any{"name": c.Title, "objects": st.TotalCount, "imported": st.SuccessCount, "refused": st.FailureCount, "source": c.Source}})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// status returns a status resource to the user who made the write (or an
// administrator).
func (s *Service) status(ctx context.Context, id string) (*Status, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, errs.NotFound("status")
	}
	st := &Status{ID: id}
	var user, ts int64
	var details string
	err = s.DB.QueryRow(ctx, `SELECT user_id, status, request_timestamp, total_count, success_count, failure_count, pending_count, details FROM taxii_status WHERE id = ?`, id).
		Scan(&user, &st.Status, &ts, &st.TotalCount, &st.SuccessCount, &st.FailureCount, &st.PendingCount, &details)
	if store.IsNoRows(err) || (err == nil && user != p.UserID && p.Role != auth.RoleAdmin) {
		return nil, errs.NotFound("status")
	}
	if err != nil {
		return nil, fmt.Errorf("taxii: status: %w", err)
	}
	st.RequestTimestamp = Timestamp(store.Time(ts))
	var d struct {
		Successes []StatusDetail `json:"successes"`
		Failures  []StatusDetail `json:"failures"`
	}
	json.Unmarshal([]byte(details), &d)
	st.Successes, st.Failures = d.Successes, d.Failures
	return st, nil
}
