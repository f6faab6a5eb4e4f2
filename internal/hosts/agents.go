package hosts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// EnrollmentTokenPrefix starts every enrolment token.
const EnrollmentTokenPrefix = "vge_"

// EnrollmentToken lets agents of one unit enrol.
type EnrollmentToken struct {
	ID        int64     `json:"id"`
	Unit      string    `json:"unit"`
	Prefix    string    `json:"prefix"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Token     string    `json:"token,omitempty"` // only in the creation response
}

// Active reports whether the token still admits agents.
func (t *EnrollmentToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) && t.Uses < t.MaxUses
}

// EnrollmentTokenInput creates a token.
type EnrollmentTokenInput struct {
	Unit      string `json:"unit"`
	ExpiresIn string `json:"expires_in"` // days ("3"), the last day ("31/12/2026") or a duration ("72h"); default 3 days
	MaxUses   int    `json:"max_uses"`
}

// CreateEnrollmentToken issues a token for agents of a unit the caller may
// write (an officer for its subtree, an admin anywhere).
func (s *Service) CreateEnrollmentToken(ctx context.Context, in EnrollmentTokenInput) (*EnrollmentToken, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	unitID, path, err := s.unitInScope(ctx, p, in.Unit, errs.Invalid("unit", "unit %q does not exist", in.Unit))
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(path) {
		return nil, errs.Forbidden("you may not enrol agents in unit %s", in.Unit)
	}
	d := 72 * time.Hour
	if strings.TrimSpace(in.ExpiresIn) != "" {
		var ok bool
		if d, ok = i18n.ParseLifetime(in.ExpiresIn, s.now()); !ok {
			return nil, errs.Invalid("expires_in", "%q is not a number of days (3), a last day (31/12/2026) or a duration (72h)", in.ExpiresIn)
		}
	}
	if d < time.Minute || d > 90*24*time.Hour {
		return nil, errs.Invalid("expires_in", "must be from 1 minute to %d days", 90)
	}
	if in.MaxUses == 0 {
		in.MaxUses = 100
	}
	if in.MaxUses < 1 || in.MaxUses > 100000 {
		return nil, errs.Invalid("max_uses", "must be between 1 and 100000")
	}
	secret := auth.NewSecret(EnrollmentTokenPrefix)
	now := s.now().UTC()
	t := &EnrollmentToken{Unit: in.Unit, Prefix: auth.DisplayPrefix(secret), CreatedAt: now, ExpiresAt: now.Add(d), MaxUses: in.MaxUses, Token: secret}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO enrollment_tokens (unit_id, token_hash, prefix, created_by, created_at, expires_at, max_uses) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			unitID, auth.HashSecret(secret), t.Prefix, p.UserID, store.Micros(now), store.Micros(t.ExpiresAt), t.MaxUses).Scan(&t.ID); err != nil {
			return fmt.Errorf("hosts: create enrolment token: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "enrollment_token.create", ObjectType: "enrollment_token", ObjectID: strconv.FormatInt(t.ID, 10), UnitID: unitID,
			After: map[string]any{"unit": in.Unit, "prefix": t.Prefix, "expires_at": t.ExpiresAt, "max_uses": t.MaxUses}})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// EnrollmentTokenFilter selects enrolment tokens in the caller's scope,
// newest first unless Sort says.
type EnrollmentTokenFilter struct {
	Unit   string // the unit's whole subtree
	Sort   string // a key of EnrollmentTokenSorts
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// EnrollmentTokenSorts are the columns a list of enrolment tokens sorts by.
var EnrollmentTokenSorts = map[string]string{
	"unit":    "u.code",
	"created": "t.created_at",
	"expires": "t.expires_at",
	"uses":    "t.uses",
}

// EnrollmentTokenSortKeys lists the keys of EnrollmentTokenSorts.
var EnrollmentTokenSortKeys = []string{"unit", "created", "expires", "uses"}

// ListEnrollmentTokens returns a page of the tokens of units in the
// caller's scope that match f, and how many match in all.
func (s *Service) ListEnrollmentTokens(ctx context.Context, f EnrollmentTokenFilter) ([]*EnrollmentToken, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("t.id DESC", f.Limit, 100).Scope(p, "u.path")
	if f.Unit != "" {
		_, path, err := s.unitInScope(ctx, p, f.Unit, errs.NotFound("unit "+strconv.Quote(f.Unit)))
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	if f.Sort != "" {
		expr, ok := EnrollmentTokenSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(EnrollmentTokenSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT t.id, u.code, t.prefix, t.created_at, t.expires_at, t.max_uses, t.uses, t.revoked_at`,
		` FROM enrollment_tokens t JOIN units u ON u.id = t.unit_id`, scanEnrollmentToken)
	if err != nil {
		return nil, 0, fmt.Errorf("hosts: list enrolment tokens: %w", err)
	}
	return out, total, nil
}

func scanEnrollmentToken(sc store.Scanner) (*EnrollmentToken, error) {
	var t EnrollmentToken
	var c, e, r int64
	if err := sc.Scan(&t.ID, &t.Unit, &t.Prefix, &c, &e, &t.MaxUses, &t.Uses, &r); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = store.Time(c), store.Time(e), store.Time(r)
	return &t, nil
}

// RevokeEnrollmentToken stops a token admitting agents.
func (s *Service) RevokeEnrollmentToken(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var unitID int64
		var path string
		err := tx.QueryRow(ctx, `SELECT u.id, u.path FROM enrollment_tokens t JOIN units u ON u.id = t.unit_id WHERE t.id = ?`, id).Scan(&unitID, &path)
		if err := p.CheckRead(err, func() string { return path }, errs.NotFound("enrolment token")); err != nil {
			return fmt.Errorf("hosts: revoke enrolment token %d: %w", id, err)
		}
		if !p.CanWrite(path) {
			return errs.Forbidden("you may not revoke this token")
		}
		if _, err := tx.Exec(ctx, `UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, store.Now(), id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "enrollment_token.revoke", ObjectType: "enrollment_token", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID})
	})
}

// CheckEnrollmentToken answers whether token may enrol an agent now, with
// the error Enroll would give if not. It reads one row, so the hub refuses
// an unknown, expired, revoked or used-up token before reading the
// request's body (an anonymous flood of large bodies must cost nothing).
func (s *Service) CheckEnrollmentToken(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, EnrollmentTokenPrefix) || len(token) > 100 {
		return errs.Errorf(errs.EUNAUTHORIZED, "not an enrolment token")
	}
	var expires, revoked int64
	var maxUses, uses int
	err := s.DB.QueryRow(ctx, `SELECT expires_at, revoked_at, max_uses, uses FROM enrollment_tokens WHERE token_hash = ?`, auth.HashSecret(token)).
		Scan(&expires, &revoked, &maxUses, &uses)
	if store.IsNoRows(err) {
		return errs.Errorf(errs.EUNAUTHORIZED, "unknown enrolment token")
	}
	if err != nil {
		return fmt.Errorf("hosts: check enrolment token: %w", err)
	}
	return enrollmentTokenState(expires, revoked, maxUses, uses, s.now())
}

func enrollmentTokenState(expires, revoked int64, maxUses, uses int, now time.Time) error {
	switch {
	case revoked != 0:
		return errs.Errorf(errs.EUNAUTHORIZED, "this enrolment token was revoked")
	case expires < now.UnixMicro():
		return errs.Errorf(errs.EUNAUTHORIZED, "this enrolment token has expired")
	case uses >= maxUses:
		return errs.Errorf(errs.EUNAUTHORIZED, "this enrolment token has been used its %d times", maxUses)
	}
	return nil
}

// Enroll admits an agent with an enrolment token and returns its identity.
// The host is created (or matched) in the token's unit from the inventory.
func (s *Service) Enroll(ctx context.Context, req *agentapi.EnrollRequest) (*agentapi.EnrollResponse, error) {
	if !strings.HasPrefix(req.Token, EnrollmentTokenPrefix) || len(req.Token) > 100 {
		return nil, errs.Errorf(errs.EUNAUTHORIZED, "not an enrolment token")
	}
	if req.Inventory == nil {
		req.Inventory = &asset.Inventory{Hostname: req.Hostname, Source: asset.SourceAgent, CollectedAt: s.now().UTC()}
	}
	if req.Inventory.Hostname == "" {
		req.Inventory.Hostname = req.Hostname
	}
	if err := req.Inventory.Validate(); err != nil {
		return nil, inventoryError("inventory", err)
	}
	agentID := strings.TrimPrefix(auth.NewSecret("a"), "a")[:16]
	secret := auth.NewSecret("")
	var unitID int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var tokenID, expires, revoked int64
		var maxUses, uses int
		err := tx.QueryRow(ctx, `SELECT id, unit_id, expires_at, revoked_at, max_uses, uses FROM enrollment_tokens WHERE token_hash = ?`, auth.HashSecret(req.Token)).
			Scan(&tokenID, &unitID, &expires, &revoked, &maxUses, &uses)
		if store.IsNoRows(err) {
			return errs.Errorf(errs.EUNAUTHORIZED, "unknown enrolment token")
		}
		if err != nil {
			return err
		}
		if err := enrollmentTokenState(expires, revoked, maxUses, uses, s.now()); err != nil {
			return err
		}
		// The conditional update makes two agents racing for the last use
		// unable to both win it.
		res, err := tx.Exec(ctx, `UPDATE enrollment_tokens SET uses = uses + 1 WHERE id = ? AND uses < max_uses`, tokenID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errs.Errorf(errs.EUNAUTHORIZED, "this enrolment token has been used up")
		}
		req.Inventory.Source = asset.SourceAgent
		prep, err := prepare(req.Inventory)
		if err != nil {
			return err
		}
		hostID, err := matchHost(ctx, tx, unitID, prep.key, req.Inventory.MachineID, prep.addrs)
		if err != nil {
			return err
		}
		rebind := false
		if hostID != 0 {
			// A host whose agent is alive is taken over only by the same
			// machine (a reinstalled agent): anyone holding the unit's
			// enrolment token could otherwise claim a host by its name,
			// lock its real agent out and report it clean. Anything else
			// becomes a host of its own for the officer to look at.
			var mid string
			var live int
			if err := tx.QueryRow(ctx, `SELECT machine_id, (SELECT COUNT(*) FROM agents WHERE host_id = ? AND revoked_at = 0) FROM hosts WHERE id = ?`, hostID, hostID).Scan(&mid, &live); err != nil {
				return err
			}
			sameMachine := req.Inventory.MachineID != "" && mid == req.Inventory.MachineID
			switch {
			case live == 0 || sameMachine:
				rebind = true
			default:
				hostID = newHost
			}
		}
		hostID, _, _, err = s.store(ctx, tx, unitID, hostID, prep, agentID)
		if err != nil {
			return err
		}
		if rebind {
			// The same machine enrolled again: its old agent stops working.
			if _, err := tx.Exec(ctx, `UPDATE agents SET revoked_at = ? WHERE host_id = ? AND revoked_at = 0`, store.Now(), hostID); err != nil {
				return err
			}
		}
		now := s.now().UnixMicro()
		if _, err := tx.Exec(ctx, `INSERT INTO agents (id, host_id, unit_id, secret_hash, token_id, version, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			agentID, hostID, unitID, auth.HashSecret(secret), tokenID, req.Inventory.AgentVersion, now, now); err != nil {
			return fmt.Errorf("hosts: enrol agent: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE hosts SET agent_id = ?, agent_seen_at = ? WHERE id = ?`, agentID, now, hostID); err != nil {
			return err
		}
		actx := auth.WithPrincipal(ctx, &auth.Principal{Email: "agent:" + agentID, Via: "agent"})
		return audit.Append(actx, tx, audit.Entry{Action: "agent.enroll", ObjectType: "host", ObjectID: strconv.FormatInt(hostID, 10), UnitID: unitID,
			After: map[string]any{"agent_id": agentID, "hostname": req.Inventory.Hostname, "enrollment_token": tokenID}})
	})
	if err != nil {
		return nil, err
	}
	return &agentapi.EnrollResponse{AgentID: agentID, Secret: secret}, nil
}

// inventoryError turns a validation failure into a 400 naming the JSON
// path of the first bad field.
func inventoryError(prefix string, err error) error {
	var ve *asset.ValidationError
	if e, ok := err.(*asset.ValidationError); ok {
		ve = e
	}
	if ve != nil && len(ve.Fields) > 0 {
		path := ve.Fields[0].Path
		if prefix != "" {
			path = prefix + "." + path
		}
		return &errs.Error{Code: errs.EINVALID, Field: path, Message: err.Error()}
	}
	if fe, ok := err.(*asset.FieldError); ok {
		path := fe.Path
		if prefix != "" {
			path = prefix + "." + path
		}
		return &errs.Error{Code: errs.EINVALID, Field: path, Message: err.Error()}
	}
	return &errs.Error{Code: errs.EINVALID, Field: prefix, Message: err.Error()}
}

// AgentPrincipal authenticates an agent's bearer secret.
func (s *Service) AgentPrincipal(ctx context.Context, agentID, secret string) (*auth.Principal, error) {
	var hash, path, code string
	var hostID, unitID, revoked int64
	err := s.DB.QueryRow(ctx, `SELECT a.secret_hash, a.host_id, a.unit_id, a.revoked_at, u.path, u.code FROM agents a JOIN units u ON u.id = a.unit_id WHERE a.id = ?`, agentID).
		Scan(&hash, &hostID, &unitID, &revoked, &path, &code)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hosts: agent auth: %w", err)
	}
	if revoked != 0 || subtle.ConstantTimeCompare([]byte(hash), []byte(auth.HashSecret(secret))) != 1 {
		return nil, nil
	}
	return &auth.Principal{Email: "agent:" + agentID, Name: "agent " + agentID, Via: "agent", AgentID: agentID, HostID: hostID, UnitID: unitID, UnitCode: code}, nil
}

func agentOf(ctx context.Context) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil || p.Via != "agent" || p.AgentID == "" {
		return nil, errs.Errorf(errs.EUNAUTHORIZED, "agent credentials required")
	}
	return p, nil
}

// Heartbeat records that the agent called in and hands it its tasks.
func (s *Service) Heartbeat(ctx context.Context, req *agentapi.HeartbeatRequest) (*agentapi.HeartbeatResponse, error) {
	a, err := agentOf(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UnixMicro()
	resp := &agentapi.HeartbeatResponse{Tasks: []agentapi.Task{}}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agents SET last_seen_at = ?, version = CASE WHEN ? = '' THEN version ELSE ? END WHERE id = ?`, now, req.AgentVersion, req.AgentVersion, a.AgentID); err != nil {
			return err
		}
		var hash string
		if err := tx.QueryRow(ctx, `SELECT inventory_hash FROM hosts WHERE id = ?`, a.HostID).Scan(&hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE hosts SET agent_seen_at = ?, last_seen_at = ? WHERE id = ?`, now, now, a.HostID); err != nil {
			return err
		}
		if req.InventoryHash != "" && req.InventoryHash != hash {
			resp.FullInventory = true
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, params FROM agent_tasks WHERE host_id = ? AND status IN ('pending', 'running') ORDER BY created_at`, a.HostID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t agentapi.Task
			var params string
			if err := rows.Scan(&t.ID, &t.Kind, &params); err != nil {
				return err
			}
			if t.Kind == agentapi.TaskScan {
				t.Scan = &agentapi.ScanParams{}
				if err := json.Unmarshal([]byte(params), t.Scan); err != nil {
					return fmt.Errorf("hosts: task %s: stored parameters: %w", t.ID, err)
				}
			} else {
				t.Raw = json.RawMessage(params)
			}
			resp.Tasks = append(resp.Tasks, t)
		}
		return rows.Err()
	})
	return resp, err
}

// errInventoryBase answers changes whose base is not the inventory the hub
// holds (409): the agent then sends a full inventory.
func errInventoryBase(hubHash string) error {
	if len(hubHash) > 12 {
		hubHash = hubHash[:12]
	}
	if hubHash == "" {
		hubHash = "none"
	}
	return errs.Conflict("changes.base", "the changes do not apply to the inventory the hub holds (%s); send a full inventory", hubHash)
}

// PostInventory stores the agent's full inventory or applies its changes.
func (s *Service) PostInventory(ctx context.Context, req *agentapi.InventoryRequest) (*agentapi.InventoryResponse, []asset.Change, error) {
	a, err := agentOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	var inv *asset.Inventory
	var changes []asset.Change
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		switch {
		case req.Full:
			if req.Inventory == nil {
				return errs.Invalid("inventory", "is required when full is true")
			}
			inv = req.Inventory
		default:
			if req.Changes == nil {
				return errs.Invalid("changes", "is required when full is false")
			}
			var raw, hash string
			if err := tx.QueryRow(ctx, `SELECT inventory, inventory_hash FROM hosts WHERE id = ?`, a.HostID).Scan(&raw, &hash); err != nil {
				return err
			}
			if raw == "" || req.Changes.Base != hash {
				return errInventoryBase(hash)
			}
			base := &asset.Inventory{}
			if err := json.Unmarshal([]byte(raw), base); err != nil {
				return errInventoryBase(hash)
			}
			inv, err = req.Changes.Apply(base)
			if err != nil {
				return inventoryError("changes", err)
			}
		}
		if err := inv.Validate(); err != nil {
			return inventoryError("inventory", err)
		}
		inv.Source = asset.SourceAgent
		var hostUnit int64
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM hosts WHERE id = ?`, a.HostID).Scan(&hostUnit); err != nil {
			return err
		}
		// The host is the agent's own: an agent cannot post for another.
		_, _, changes, err = s.ingest(ctx, tx, hostUnit, a.HostID, inv, a.AgentID)
		if err != nil {
			return err
		}
		now := s.now().UnixMicro()
		_, err = tx.Exec(ctx, `UPDATE hosts SET agent_seen_at = ? WHERE id = ?`, now, a.HostID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &agentapi.InventoryResponse{Hash: inv.Hash()}, changes, nil
}

// Indicators returns the hash, IP and domain indicators agents scan for.
// The hub's wiring sets IndicatorSources (warning lists, intel feeds);
// with none the list is empty, which every agent handles. With
// IndicatorVersion set, the answer's cursor names the set the agent got
// (the sources' version and the agent's unit); an agent that sends it
// back while nothing changed gets "no change" (not full, nothing added or
// removed) instead of the whole set — at a million indicators, tens of
// megabytes an agent before each scan. The version is read before the
// set, so a set that changes in between goes out under the older cursor
// and is sent again next time, never kept under a newer one.
func (s *Service) Indicators(ctx context.Context, cursor string) (*agentapi.IndicatorsResponse, error) {
	a, err := agentOf(ctx)
	if err != nil {
		return nil, err
	}
	next := "full"
	if s.IndicatorVersion != nil {
		v, err := s.IndicatorVersion(ctx)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(v + "\x00" + strconv.FormatInt(a.UnitID, 10) + "\x00" + a.UnitPath))
		next = "v1:" + hex.EncodeToString(sum[:16])
		if cursor == next {
			return &agentapi.IndicatorsResponse{Cursor: next, Indicators: []agentapi.Indicator{}}, nil
		}
	}
	var inds []agentapi.Indicator
	for _, src := range s.IndicatorSources {
		list, err := src(ctx)
		if err != nil {
			return nil, err
		}
		inds = append(inds, list...)
	}
	if inds == nil {
		inds = []agentapi.Indicator{}
	}
	return &agentapi.IndicatorsResponse{Cursor: next, Full: true, Indicators: inds}, nil
}
