package taxii

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// rowQuerier is what *store.DB and *store.Tx offer (with ? placeholders).
type rowQuerier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// What a collection shares.
const (
	SelectList       = "list"       // one warning list, whatever its status
	SelectCurrent    = "current"    // the published list of every month (superseded versions drop out)
	SelectIndicators = "indicators" // every indicator the hub keeps, whatever its source
)

// Selections lists the selections in display order.
var Selections = []string{SelectCurrent, SelectList, SelectIndicators}

// Grantee kinds.
const (
	GranteeUser = "user" // one user (a partner is a user with an API token)
	GranteeUnit = "unit" // every user of a unit's subtree
)

// Collection is a TAXII collection as the hub keeps it.
type Collection struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Selection   string `json:"selection"`
	ListID      int64  `json:"list_id,omitempty"`
	ListName    string `json:"list,omitempty"` // "name (YYYY-MM v2)"
	// The list's name, month (YYYY-MM) and version, for a page to say them in words.
	ListTitle   string `json:"-"`
	ListMonth   string `json:"-"`
	ListVersion int    `json:"-"`
	// MaxTLP is the most restricted marking the collection shares:
	// indicators marked above it are left out.
	MaxTLP string `json:"max_tlp"`
	// Writable collections take POSTed objects: stored as indicators of
	// Source.
	Writable  bool      `json:"writable"`
	Source    string    `json:"source,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Grants    []Grant   `json:"grants"`
	// Path is the collection's address on this hub, the one to give a
	// partner (prefix the hub's https://host).
	Path string `json:"path"`
	// MISPFeed is the collection's MISP feed address on this hub (the
	// folder of manifest.json: mispfeed.go).
	MISPFeed string `json:"misp_feed"`
}

// Grant is one right on a collection.
type Grant struct {
	Kind     string    `json:"kind"`           // user or unit
	ID       int64     `json:"id"`             // the user's or unit's id
	User     string    `json:"user,omitempty"` // the user's e-mail
	Unit     string    `json:"unit,omitempty"` // the unit's code (a user's unit, for a user)
	Name     string    `json:"name"`           // the user's or unit's name
	CanRead  bool      `json:"can_read"`
	CanWrite bool      `json:"can_write"`
	At       time.Time `json:"created_at"`
	By       string    `json:"created_by,omitempty"`
}

// CollectionInput creates or changes a collection; on a change, nil
// fields keep their value.
type CollectionInput struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Selection   *string `json:"selection"`
	ListID      *int64  `json:"list_id"`
	MaxTLP      *string `json:"max_tlp"`
	Writable    *bool   `json:"writable"`
	Source      *string `json:"source"`
}

// GrantInput gives a user (by e-mail) or a unit (by code) rights on a
// collection; a second grant to the same one replaces the first.
type GrantInput struct {
	User     string `json:"user,omitempty"`
	Unit     string `json:"unit,omitempty"`
	CanRead  bool   `json:"can_read"`
	CanWrite bool   `json:"can_write"`
}

// Rights are what a caller may do with a collection.
type Rights struct {
	Read, Write bool
}

// requireManager admits the administrators, who decide what the hub
// shares and with whom.
func requireManager(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" || p.Role != auth.RoleAdmin {
		return nil, errs.Forbidden("only administrators manage what the hub shares over TAXII")
	}
	return p, nil
}

func (in *CollectionInput) apply(c *Collection) error {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&c.Title, in.Title)
	str(&c.Description, in.Description)
	str(&c.Selection, in.Selection)
	str(&c.MaxTLP, in.MaxTLP)
	str(&c.Source, in.Source)
	if in.ListID != nil {
		c.ListID = *in.ListID
	}
	if in.Writable != nil {
		c.Writable = *in.Writable
	}
	if c.Title == "" {
		return errs.Invalid("title", "is required")
	}
	if len(c.Title) > 200 {
		return errs.Invalid("title", "must be at most 200 bytes")
	}
	if len(c.Description) > 2000 {
		return errs.Invalid("description", "must be at most 2000 bytes")
	}
	if !slices.Contains(Selections, c.Selection) {
		return errs.Invalid("selection", "must be one of %s", errs.OneOf{Prefix: "taxii.sel.", Codes: Selections})
	}
	if c.Selection == SelectList && c.ListID <= 0 {
		return errs.Invalid("list_id", "name the warning list the collection shares")
	}
	if c.Selection != SelectList {
		c.ListID = 0
	}
	c.MaxTLP = strings.ToLower(c.MaxTLP)
	if c.MaxTLP == "" {
		c.MaxTLP = format.TLPAmber
	}
	if !slices.Contains(format.TLPs, c.MaxTLP) {
		return errs.Invalid("max_tlp", "must be one of %s", errs.OneOf{Prefix: "intel.tlp.", Codes: format.TLPs})
	}
	if len(c.Source) > 200 {
		return errs.Invalid("source", "must be at most 200 bytes")
	}
	if c.Writable && c.Source == "" {
		return errs.Invalid("source", "a collection that takes objects names the source they are stored under")
	}
	return nil
}

// checkList makes sure the list a collection names exists and fills its
// name.
func checkList(ctx context.Context, q rowQuerier, c *Collection) error {
	if c.Selection != SelectList {
		return nil
	}
	var name, month string
	var version int
	err := q.QueryRow(ctx, `SELECT name, month, version FROM warning_lists WHERE id = ?`, c.ListID).Scan(&name, &month, &version)
	if store.IsNoRows(err) {
		return errs.Invalid("list_id", "no warning list %d", c.ListID)
	}
	if err != nil {
		return fmt.Errorf("taxii: list: %w", err)
	}
	c.ListName = listName(name, month, version)
	c.ListTitle, c.ListMonth, c.ListVersion = name, month, version
	return nil
}

func listName(name, month string, version int) string {
	return fmt.Sprintf("%s (%s v%d)", name, month, version)
}

// auditView is what the audit log records of a collection.
func (c *Collection) auditView() map[string]any {
	m := map[string]any{"name": c.Title, "selection": c.Selection, "max_tlp": c.MaxTLP, "writable": c.Writable}
	if c.ListID != 0 {
		m["list"] = c.ListName
	}
	if c.Source != "" {
		m["source"] = c.Source
	}
	if c.Description != "" {
		m["description"] = c.Description
	}
	return m
}

// CreateCollection adds a collection (administrators).
func (s *Service) CreateCollection(ctx context.Context, in CollectionInput) (*Collection, error) {
	p, err := requireManager(ctx)
	if err != nil {
		return nil, err
	}
	c := &Collection{ID: uuid.NewString()}
	if err := in.apply(c); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c.CreatedBy, c.CreatedAt, c.UpdatedAt = p.Email, now, now
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := checkList(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO taxii_collections (id, title, description, selection, list_id, max_tlp, writable, source, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Title, c.Description, c.Selection, c.ListID, c.MaxTLP, c.Writable, c.Source, c.CreatedBy,
			store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("taxii: create collection: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.create", ObjectType: "taxii_collection", ObjectID: c.ID, After: c.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCollection(ctx, c.ID)
}

// UpdateCollection changes a collection (administrators).
func (s *Service) UpdateCollection(ctx context.Context, id string, in CollectionInput) (*Collection, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := loadCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		before := c.auditView()
		if err := in.apply(c); err != nil {
			return err
		}
		if err := checkList(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE taxii_collections SET title = ?, description = ?, selection = ?, list_id = ?, max_tlp = ?, writable = ?, source = ?, updated_at = ? WHERE id = ?`,
			c.Title, c.Description, c.Selection, c.ListID, c.MaxTLP, c.Writable, c.Source, store.Micros(s.now()), id); err != nil {
			return fmt.Errorf("taxii: update collection: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.update", ObjectType: "taxii_collection", ObjectID: id, Before: before, After: c.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCollection(ctx, id)
}

// DeleteCollection removes a collection with its rights (administrators);
// its partners stop seeing it at once.
func (s *Service) DeleteCollection(ctx context.Context, id string) error {
	if _, err := requireManager(ctx); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := loadCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxii_collection_access WHERE collection_id = ?`, id); err != nil {
			return fmt.Errorf("taxii: delete collection: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxii_collections WHERE id = ?`, id); err != nil {
			return fmt.Errorf("taxii: delete collection: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.delete", ObjectType: "taxii_collection", ObjectID: id, Before: c.auditView()})
	})
}

const collectionColumns = `c.id, c.title, c.description, c.selection, c.list_id, COALESCE(l.name, ''), COALESCE(l.month, ''), COALESCE(l.version, 0),
	c.max_tlp, c.writable, c.source, c.created_by, c.created_at, c.updated_at`

const collectionFrom = ` FROM taxii_collections c LEFT JOIN warning_lists l ON l.id = c.list_id`

func scanCollection(sc store.Scanner) (*Collection, error) {
	var c Collection
	var name, month string
	var version int
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.Title, &c.Description, &c.Selection, &c.ListID, &name, &month, &version, &c.MaxTLP, &c.Writable, &c.Source, &c.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	if name != "" {
		c.ListName = listName(name, month, version)
		c.ListTitle, c.ListMonth, c.ListVersion = name, month, version
	}
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	c.Path = CollectionPath(c.ID)
	c.MISPFeed = MISPFeedPath(c.ID)
	c.Grants = []Grant{}
	return &c, nil
}

func loadCollection(ctx context.Context, q rowQuerier, id string) (*Collection, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errs.NotFound("TAXII collection")
	}
	c, err := scanCollection(q.QueryRow(ctx, `SELECT `+collectionColumns+collectionFrom+` WHERE c.id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("TAXII collection")
	}
	if err != nil {
		return nil, fmt.Errorf("taxii: collection: %w", err)
	}
	return c, nil
}

// sees reports whether p may see a collection's settings in the hub's own
// API and pages: administrators and the SOC see every collection, others
// those they hold a right on.
func sees(p *auth.Principal, r Rights) bool {
	return p.SeesAllUnits() || r.Read || r.Write
}

// GetCollection returns a collection with its grants.
func (s *Service) GetCollection(ctx context.Context, id string) (*Collection, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := loadCollection(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	r, err := s.rights(ctx, p, c)
	if err != nil {
		return nil, err
	}
	if !sees(p, r) {
		return nil, errs.NotFound("TAXII collection")
	}
	if err := s.fillGrants(ctx, []*Collection{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// CollectionFilter selects collections.
type CollectionFilter struct {
	Query  string
	Sort   string // a key of CollectionSorts
	Desc   bool
	Offset int
	Limit  int
}

// CollectionSorts are the columns a list of collections sorts by.
var CollectionSorts = map[string]string{
	"title":     "c.title",
	"selection": "c.selection",
	"created":   "c.created_at",
}

// CollectionSortKeys lists the keys of CollectionSorts.
var CollectionSortKeys = []string{"title", "selection", "created"}

// ListCollections returns a page of the collections the caller sees
// (every one for administrators and the SOC; the others, those they hold a
// right on) and their true total.
func (s *Service) ListCollections(ctx context.Context, f CollectionFilter) ([]*Collection, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.created_at DESC", f.Limit, 50)
	if !p.SeesAllUnits() {
		cond, args := grantCondition(p, "a")
		l.Where(`EXISTS (SELECT 1 FROM taxii_collection_access a WHERE a.collection_id = c.id AND (a.can_read OR a.can_write) AND `+cond+`)`, args...)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(LOWER(c.title) LIKE ? ESCAPE '\' OR LOWER(c.description) LIKE ? ESCAPE '\')`, store.LikeContains(strings.ToLower(q)), store.LikeContains(strings.ToLower(q)))
	}
	if f.Sort != "" {
		expr, ok := CollectionSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(CollectionSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("c.created_at", true)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+collectionColumns, collectionFrom, scanCollection)
	if err != nil {
		return nil, 0, fmt.Errorf("taxii: list collections: %w", err)
	}
	if err := s.fillGrants(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// grantCondition is the SQL condition (on the access table aliased a)
// matching the grants that apply to p: to p itself, or to its unit or one
// above it (a unit's grant covers its subtree).
func grantCondition(p *auth.Principal, a string) (string, []any) {
	units := ancestorIDs(p.UnitPath)
	cond := "((" + a + ".grantee_kind = 'user' AND " + a + ".grantee_id = ?)"
	args := []any{p.UserID}
	if len(units) > 0 {
		cond += " OR (" + a + ".grantee_kind = 'unit' AND " + a + ".grantee_id IN (" + placeholders(len(units)) + "))"
		for _, u := range units {
			args = append(args, u)
		}
	}
	return cond + ")", args
}

// ancestorIDs are the ids of the units on a materialised path ("/1/7/"),
// the caller's unit last.
func ancestorIDs(path string) []int64 {
	var out []int64
	for _, part := range strings.Split(path, "/") {
		if n, err := strconv.ParseInt(part, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// rights are p's rights on c: administrators read every collection;
// others what their grants give. Writing needs a writable collection.
func (s *Service) rights(ctx context.Context, p *auth.Principal, c *Collection) (Rights, error) {
	var r Rights
	if p == nil || p.Via == "agent" {
		return r, nil
	}
	if p.Via == "system" || p.Role == auth.RoleAdmin {
		r.Read, r.Write = true, c.Writable
		return r, nil
	}
	cond, args := grantCondition(p, "a")
	rows, err := s.DB.Query(ctx, `SELECT a.can_read, a.can_write FROM taxii_collection_access a WHERE a.collection_id = ? AND `+cond, append([]any{c.ID}, args...)...)
	if err != nil {
		return r, fmt.Errorf("taxii: rights: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cr, cw bool
		if err := rows.Scan(&cr, &cw); err != nil {
			return r, err
		}
		r.Read = r.Read || cr
		r.Write = r.Write || cw
	}
	r.Write = r.Write && c.Writable
	return r, rows.Err()
}

// fillGrants reads the grants of the collections, one query.
func (s *Service) fillGrants(ctx context.Context, cs []*Collection) error {
	if len(cs) == 0 {
		return nil
	}
	byID := map[string]*Collection{}
	args := make([]any, len(cs))
	for i, c := range cs {
		byID[c.ID] = c
		args[i] = c.ID
	}
	rows, err := s.DB.Query(ctx, `SELECT a.collection_id, a.grantee_kind, a.grantee_id, a.can_read, a.can_write, a.created_at, a.created_by,
		COALESCE(us.email, ''), COALESCE(us.name, un.name, ''), COALESCE(uu.code, un.code, '')
		FROM taxii_collection_access a
		LEFT JOIN users us ON a.grantee_kind = 'user' AND us.id = a.grantee_id
		LEFT JOIN units uu ON uu.id = us.unit_id
		LEFT JOIN units un ON a.grantee_kind = 'unit' AND un.id = a.grantee_id
		WHERE a.collection_id IN (`+placeholders(len(args))+`) ORDER BY a.created_at, a.grantee_kind, a.grantee_id`, args...)
	if err != nil {
		return fmt.Errorf("taxii: grants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g Grant
		var cid string
		var at int64
		if err := rows.Scan(&cid, &g.Kind, &g.ID, &g.CanRead, &g.CanWrite, &at, &g.By, &g.User, &g.Name, &g.Unit); err != nil {
			return err
		}
		g.At = store.Time(at)
		if c := byID[cid]; c != nil {
			c.Grants = append(c.Grants, g)
		}
	}
	return rows.Err()
}

// grantee resolves a grant's user (e-mail) or unit (code).
func grantee(ctx context.Context, q rowQuerier, in GrantInput) (kind string, id int64, name string, err error) {
	user, unit := strings.ToLower(strings.TrimSpace(in.User)), strings.TrimSpace(in.Unit)
	switch {
	case user != "" && unit != "":
		return "", 0, "", errs.Invalid("user", "grant to a user or to a unit, not both")
	case user != "":
		err = q.QueryRow(ctx, `SELECT id, email FROM users WHERE LOWER(email) = ?`, user).Scan(&id, &name)
		if store.IsNoRows(err) {
			return "", 0, "", errs.Invalid("user", "no user %s", user)
		}
		return GranteeUser, id, name, err
	case unit != "":
		err = q.QueryRow(ctx, `SELECT id, code FROM units WHERE code = ?`, unit).Scan(&id, &name)
		if store.IsNoRows(err) {
			return "", 0, "", errs.Invalid("unit", "no unit %s", unit)
		}
		return GranteeUnit, id, name, err
	}
	return "", 0, "", errs.Invalid("user", "name a user (e-mail) or a unit (code)")
}

// GrantAccess gives a user or a unit's subtree rights on a collection,
// replacing the rights it had (administrators).
func (s *Service) GrantAccess(ctx context.Context, id string, in GrantInput) (*Collection, error) {
	p, err := requireManager(ctx)
	if err != nil {
		return nil, err
	}
	if !in.CanRead && !in.CanWrite {
		return nil, errs.Invalid("can_read", "a grant gives the right to read, to write or both")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := loadCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.CanWrite && !c.Writable {
			return errs.Invalid("can_write", "the collection does not take objects; make it writable first")
		}
		kind, gid, name, err := grantee(ctx, tx, in)
		if err != nil {
			return err
		}
		var before map[string]any
		var r, w bool
		err = tx.QueryRow(ctx, `SELECT can_read, can_write FROM taxii_collection_access WHERE collection_id = ? AND grantee_kind = ? AND grantee_id = ?`, id, kind, gid).Scan(&r, &w)
		switch {
		case err == nil:
			before = map[string]any{"name": c.Title, "grantee": name, "can_read": r, "can_write": w}
			_, err = tx.Exec(ctx, `UPDATE taxii_collection_access SET can_read = ?, can_write = ? WHERE collection_id = ? AND grantee_kind = ? AND grantee_id = ?`,
				in.CanRead, in.CanWrite, id, kind, gid)
		case store.IsNoRows(err):
			_, err = tx.Exec(ctx, `INSERT INTO taxii_collection_access (collection_id, grantee_kind, grantee_id, can_read, can_write, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, kind, gid, in.CanRead, in.CanWrite, p.Email, store.Micros(s.now()))
		}
		if err != nil {
			return fmt.Errorf("taxii: grant: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.grant", ObjectType: "taxii_collection", ObjectID: id, Before: before,
			After: map[string]any{"name": c.Title, "grantee": name, "can_read": in.CanRead, "can_write": in.CanWrite}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetCollection(ctx, id)
}

// RevokeAccess takes a user's or unit's rights on a collection away
// (administrators). kind is user or unit, gid its id.
func (s *Service) RevokeAccess(ctx context.Context, id, kind string, gid int64) error {
	if _, err := requireManager(ctx); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := loadCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		var name string
		var q string
		switch kind {
		case GranteeUser:
			q = `SELECT email FROM users WHERE id = ?`
		case GranteeUnit:
			q = `SELECT code FROM units WHERE id = ?`
		default:
			return errs.NotFound("grant")
		}
		if err := tx.QueryRow(ctx, q, gid).Scan(&name); err != nil && !store.IsNoRows(err) {
			return err
		}
		res, err := tx.Exec(ctx, `DELETE FROM taxii_collection_access WHERE collection_id = ? AND grantee_kind = ? AND grantee_id = ?`, id, kind, gid)
		if err != nil {
			return fmt.Errorf("taxii: revoke: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("grant")
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "taxii_collection.revoke", ObjectType: "taxii_collection", ObjectID: id,
			Before: map[string]any{"name": c.Title, "grantee": name}})
	})
}

// ListOption is a warning list a collection may share.
type ListOption struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"` // "name (month vN)"
	Title   string `json:"title"`
	Month   string `json:"month"` // YYYY-MM
	Version int    `json:"version"`
	Status  string `json:"status"`
}

// ListOptions are the warning lists, newest first (at most 200), for the
// collection form.
func (s *Service) ListOptions(ctx context.Context) ([]ListOption, error) {
	if _, err := requireManager(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id, name, month, version, status FROM warning_lists ORDER BY month DESC, version DESC, id DESC LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("taxii: lists: %w", err)
	}
	defer rows.Close()
	var out []ListOption
	for rows.Next() {
		var o ListOption
		if err := rows.Scan(&o.ID, &o.Title, &o.Month, &o.Version, &o.Status); err != nil {
			return nil, err
		}
		o.Name = listName(o.Title, o.Month, o.Version)
		out = append(out, o)
	}
	return out, rows.Err()
}
