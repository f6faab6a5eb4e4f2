package training

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Directory sync. Employees can come from the organisation's directory
// instead of (or besides) CSV files:
//
//   - LDAP: the directory-sync job (or "sync now") binds to the configured
//     server and reads, for each mapped group, the entries under the base
//     DN that match the user filter and are memberOf the group (Active
//     Directory answers memberOf itself; OpenLDAP with the memberof
//     overlay). Each entry becomes an employee of the group's unit; people
//     an earlier sync brought in that no mapped group lists any more are
//     disabled (never those imported from CSV).
//   - OIDC: an employee signing in by SSO at /learn is placed by the ID
//     token's groups claim through the same mappings, created on first
//     sign-in (SSOSignIn).
//
// Every sync is recorded with what it did (added, updated, disabled) and
// the entries it could not take, each named by its DN.

// Directory is the directory settings (the bind password is never shown).
type Directory struct {
	LDAPURL        string         `json:"ldap_url"`
	BindDN         string         `json:"bind_dn"`
	BindPassword   string         `json:"bind_password,omitempty"` // input only: empty keeps the stored one
	HasPassword    bool           `json:"has_password"`
	BaseDN         string         `json:"base_dn"`
	UserFilter     string         `json:"user_filter"`
	AttrEmail      string         `json:"attr_email"`
	AttrName       string         `json:"attr_name"`
	AttrPosition   string         `json:"attr_position"`
	AttrDepartment string         `json:"attr_department"`
	SyncHours      int            `json:"sync_hours"` // 0: only on demand
	GroupsClaim    string         `json:"groups_claim"`
	Groups         []GroupMapping `json:"groups"`
	UpdatedAt      time.Time      `json:"updated_at,omitzero"`
	UpdatedBy      string         `json:"updated_by,omitempty"`
}

// GroupMapping makes a directory group's members employees of a unit.
type GroupMapping struct {
	Group string `json:"group"` // LDAP group DN, or a value of the groups claim
	Unit  string `json:"unit"`  // unit code
}

// Directory sources (training_people.source).
const (
	SourceCSV  = "csv"
	SourceLDAP = "ldap"
	SourceOIDC = "oidc"
)

func defaultDirectory() *Directory {
	return &Directory{UserFilter: "(objectClass=person)", AttrEmail: "mail", AttrName: "displayName", AttrPosition: "title",
		AttrDepartment: "department", GroupsClaim: "groups"}
}

// itCenter refuses callers other than the IT Center (writers at the root).
func (s *Service) itCenter(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.ITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Forbidden("only the IT Center configures the directory")
	}
	return p, nil
}

// DirectorySettings returns the settings (the IT Center only).
func (s *Service) DirectorySettings(ctx context.Context) (*Directory, error) {
	if _, err := s.itCenter(ctx); err != nil {
		return nil, err
	}
	return s.directory(ctx)
}

func (s *Service) directory(ctx context.Context) (*Directory, error) {
	d := defaultDirectory()
	var pw string
	var updated int64
	err := s.DB.QueryRow(ctx, `SELECT ldap_url, bind_dn, bind_password, base_dn, user_filter, attr_email, attr_name, attr_position, attr_department,
		sync_hours, groups_claim, updated_at, updated_by FROM training_directory WHERE id = 1`).
		Scan(&d.LDAPURL, &d.BindDN, &pw, &d.BaseDN, &d.UserFilter, &d.AttrEmail, &d.AttrName, &d.AttrPosition, &d.AttrDepartment,
			&d.SyncHours, &d.GroupsClaim, &updated, &d.UpdatedBy)
	if err != nil && !store.IsNoRows(err) {
		return nil, fmt.Errorf("training: directory: %w", err)
	}
	d.BindPassword, d.HasPassword = pw, pw != ""
	if updated != 0 {
		d.UpdatedAt = store.Time(updated)
	}
	rows, err := s.DB.Query(ctx, `SELECT g.grp, u.code FROM training_directory_groups g JOIN units u ON u.id = g.unit_id ORDER BY g.position, g.id`)
	if err != nil {
		return nil, fmt.Errorf("training: directory groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g GroupMapping
		if err := rows.Scan(&g.Group, &g.Unit); err != nil {
			return nil, err
		}
		d.Groups = append(d.Groups, g)
	}
	return d, rows.Err()
}

// ParseGroupMappings reads the settings page's mapping text: one
// "group = UNIT" a line ('#' starts a comment). A bad line is named.
func ParseGroupMappings(text string) ([]GroupMapping, error) {
	var out []GroupMapping
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k := strings.LastIndex(line, "=")
		if k < 0 {
			return nil, errs.Invalid("groups", "line %d: write \"group = UNIT CODE\"", i+1)
		}
		g := GroupMapping{Group: strings.TrimSpace(line[:k]), Unit: strings.TrimSpace(line[k+1:])}
		if g.Group == "" || g.Unit == "" {
			return nil, errs.Invalid("groups", "line %d: write \"group = UNIT CODE\"", i+1)
		}
		out = append(out, g)
	}
	return out, nil
}

// FormatGroupMappings is the inverse of ParseGroupMappings.
func FormatGroupMappings(gs []GroupMapping) string {
	var b strings.Builder
	for _, g := range gs {
		b.WriteString(g.Group + " = " + g.Unit + "\n")
	}
	return b.String()
}

// SaveDirectory changes the settings (the IT Center; audited, the
// password never written to the log).
func (s *Service) SaveDirectory(ctx context.Context, in Directory) (*Directory, error) {
	p, err := s.itCenter(ctx)
	if err != nil {
		return nil, err
	}
	in.LDAPURL = strings.TrimSpace(in.LDAPURL)
	if in.LDAPURL != "" {
		u, err := url.Parse(in.LDAPURL)
		if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
			return nil, errs.Invalid("ldap_url", "%q is not an ldap:// or ldaps:// address", in.LDAPURL)
		}
		if strings.TrimSpace(in.BaseDN) == "" {
			return nil, errs.Invalid("base_dn", "is required with an LDAP server")
		}
	}
	def := defaultDirectory()
	for _, f := range []struct {
		v    *string
		def  string
		name string
	}{{&in.UserFilter, def.UserFilter, "user_filter"}, {&in.AttrEmail, def.AttrEmail, "attr_email"}, {&in.AttrName, def.AttrName, "attr_name"},
		{&in.AttrPosition, def.AttrPosition, "attr_position"}, {&in.AttrDepartment, def.AttrDepartment, "attr_department"}, {&in.GroupsClaim, def.GroupsClaim, "groups_claim"},
		{&in.BindDN, "", "bind_dn"}, {&in.BaseDN, "", "base_dn"}} {
		*f.v = strings.TrimSpace(*f.v)
		if *f.v == "" {
			*f.v = f.def
		}
		if utf8.RuneCountInString(*f.v) > 500 {
			return nil, errs.Invalid(f.name, "longer than 500 characters")
		}
	}
	if !strings.HasPrefix(in.UserFilter, "(") || !strings.HasSuffix(in.UserFilter, ")") || strings.Count(in.UserFilter, "(") != strings.Count(in.UserFilter, ")") {
		return nil, errs.Invalid("user_filter", "%q is not an LDAP filter: write it in parentheses, e.g. (objectClass=person)", in.UserFilter)
	}
	if in.SyncHours < 0 || in.SyncHours > 24*7 {
		return nil, errs.Invalid("sync_hours", "must be from 0 (only on demand) to 168 hours")
	}
	units := map[string]int64{}
	seen := map[string]bool{}
	for i, g := range in.Groups {
		g.Group, g.Unit = strings.TrimSpace(g.Group), strings.TrimSpace(g.Unit)
		if g.Group == "" || g.Unit == "" {
			return nil, errs.Invalid("groups", "line %d: a group and a unit code are both needed", i+1)
		}
		if seen[strings.ToLower(g.Group)] {
			return nil, errs.Invalid("groups", "line %d: group %q is mapped twice", i+1, g.Group)
		}
		seen[strings.ToLower(g.Group)] = true
		u, err := s.unitByCode(ctx, g.Unit)
		if err != nil || !p.CanWrite(u.Path) {
			return nil, errs.Invalid("groups", "line %d: no unit %q", i+1, g.Unit)
		}
		units[g.Unit] = u.ID
		in.Groups[i] = g
	}
	before, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	pw := in.BindPassword
	if pw == "" {
		pw = before.BindPassword
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO training_directory (id, ldap_url, bind_dn, bind_password, base_dn, user_filter, attr_email, attr_name, attr_position, attr_department,
			sync_hours, groups_claim, next_sync_at, updated_at, updated_by) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
			ON CONFLICT (id) DO UPDATE SET ldap_url = excluded.ldap_url, bind_dn = excluded.bind_dn, bind_password = excluded.bind_password,
			base_dn = excluded.base_dn, user_filter = excluded.user_filter, attr_email = excluded.attr_email, attr_name = excluded.attr_name,
			attr_position = excluded.attr_position, attr_department = excluded.attr_department, sync_hours = excluded.sync_hours,
			groups_claim = excluded.groups_claim, next_sync_at = 0, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			in.LDAPURL, in.BindDN, pw, in.BaseDN, in.UserFilter, in.AttrEmail, in.AttrName, in.AttrPosition, in.AttrDepartment,
			in.SyncHours, in.GroupsClaim, store.Micros(now), p.Email); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM training_directory_groups`); err != nil {
			return err
		}
		for i, g := range in.Groups {
			if _, err := tx.Exec(ctx, `INSERT INTO training_directory_groups (grp, unit_id, position) VALUES (?, ?, ?)`, g.Group, units[g.Unit], i); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.directory_settings", ObjectType: "training_directory", ObjectID: "1",
			Before: directorySummary(before, before.HasPassword), After: directorySummary(&in, pw != "")})
	})
	if err != nil {
		return nil, fmt.Errorf("training: save directory: %w", err)
	}
	return s.directory(ctx)
}

// directorySummary is what the audit log keeps of the settings: no
// password, only whether one is set.
func directorySummary(d *Directory, password bool) map[string]any {
	return map[string]any{"ldap_url": d.LDAPURL, "bind_dn": d.BindDN, "password_set": password, "base_dn": d.BaseDN, "user_filter": d.UserFilter,
		"attributes": strings.Join([]string{d.AttrEmail, d.AttrName, d.AttrPosition, d.AttrDepartment}, ", "),
		"sync_hours": d.SyncHours, "groups_claim": d.GroupsClaim, "groups": strings.TrimSpace(FormatGroupMappings(d.Groups))}
}

// DirectoryEntry is one person as the directory gives them.
type DirectoryEntry struct {
	ID         string // the LDAP DN or the OIDC subject
	Email      string
	Name       string
	Position   string
	Department string
	Groups     []string // the mapped groups the entry was found in
}

// SyncRun is a sync and what it did.
type SyncRun struct {
	ID         int64         `json:"id"`
	Source     string        `json:"source"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
	StartedBy  string        `json:"started_by"`
	Entries    int           `json:"entries"`
	Added      int           `json:"added"`
	Updated    int           `json:"updated"`
	Disabled   int           `json:"disabled"`
	Failure    *SyncProblem  `json:"failure,omitempty"` // the directory could not be read: nothing changed
	Problems   []SyncProblem `json:"problems"`          // entries not taken, each named
	Changes    []SyncChange  `json:"changes"`
}

// SyncProblem is an entry a sync could not take, or why it failed. Code
// is one of the SyncProblem* codes (the pages word them); Detail is the
// value at fault.
type SyncProblem struct {
	Entry  string `json:"entry,omitempty"` // the LDAP DN or OIDC subject
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// Codes of SyncProblem.
const (
	ProblemNoEmail     = "no_email"    // Detail: the attribute
	ProblemBadEmail    = "bad_email"   // Detail: the value
	ProblemNoName      = "no_name"     // Detail: the attribute
	ProblemTooLong     = "too_long"    // Detail: the limit
	ProblemTwoUnits    = "two_units"   // Detail: the units, the first kept
	ProblemDuplicate   = "duplicate"   // Detail: the address and the entry kept
	ProblemNoneListed  = "none_listed" // nobody in the mapped groups: nobody disabled
	ProblemMore        = "more"        // Detail: how many more problems were not kept
	ProblemUnreachable = "unreachable" // Detail: the server and the error
	ProblemBind        = "bind"        // Detail: the bind DN and the error
	ProblemSearch      = "search"      // Detail: the group and the error
	ProblemBaseDN      = "base_dn"     // Detail: the base DN
)

func (p SyncProblem) String() string {
	if p.Entry == "" {
		return p.Code + ": " + p.Detail
	}
	return p.Entry + ": " + p.Code + " " + p.Detail
}

// SyncChange is one person a sync added, updated or disabled.
type SyncChange struct {
	Kind  string `json:"kind"` // added, updated, disabled
	Email string `json:"email"`
	Name  string `json:"name"`
	Unit  string `json:"unit,omitempty"`
}

// maxRunLines bounds the problems and changes a run keeps (the counts
// stay exact).
const maxRunLines = 500

func (r *SyncRun) problem(n *int, entry, code, detail string) {
	*n++
	if len(r.Problems) < maxRunLines {
		r.Problems = append(r.Problems, SyncProblem{Entry: entry, Code: code, Detail: detail})
	}
}

func (r *SyncRun) change(n *int, kind, email, name, unit string) {
	*n++
	if len(r.Changes) < maxRunLines {
		r.Changes = append(r.Changes, SyncChange{Kind: kind, Email: email, Name: name, Unit: unit})
	}
}

// applyDirectory brings the people of the mapped units in line with the
// entries the directory listed (all of them: every mapped group was read
// completely). An entry in groups of two units goes to the first mapping's
// and the other is reported; a person the sync brought in earlier and no
// longer listed is disabled.
func (s *Service) applyDirectory(ctx context.Context, run *SyncRun, d *Directory, entries []DirectoryEntry) error {
	unitOf := map[string]struct {
		id   int64
		code string
	}{}
	order := map[string]int{}
	for i, g := range d.Groups {
		u, err := s.unitByCode(ctx, g.Unit)
		if err != nil {
			return err
		}
		unitOf[strings.ToLower(g.Group)] = struct {
			id   int64
			code string
		}{u.ID, u.Code}
		order[strings.ToLower(g.Group)] = i
	}
	var nErr int
	type want struct {
		e    DirectoryEntry
		unit int64
		code string
	}
	wanted := map[string]want{}
	seenIDs := map[string]bool{}
	for _, e := range entries {
		seenIDs[e.ID] = true
		email := strings.ToLower(strings.TrimSpace(e.Email))
		name := clean(e.Name)
		switch {
		case email == "":
			run.problem(&nErr, e.ID, ProblemNoEmail, d.AttrEmail)
			continue
		case len(email) > maxEmail || !validEmail(email):
			run.problem(&nErr, e.ID, ProblemBadEmail, email)
			continue
		case name == "":
			run.problem(&nErr, e.ID, ProblemNoName, d.AttrName)
			continue
		}
		if utf8.RuneCountInString(name) > maxText || utf8.RuneCountInString(e.Position) > maxText || utf8.RuneCountInString(e.Department) > maxText {
			run.problem(&nErr, e.ID, ProblemTooLong, strconv.Itoa(maxText))
			continue
		}
		groups := slices.Clone(e.Groups)
		slices.SortFunc(groups, func(a, b string) int { return order[strings.ToLower(a)] - order[strings.ToLower(b)] })
		var units []string
		var first want
		for _, g := range groups {
			u, ok := unitOf[strings.ToLower(g)]
			if !ok {
				continue
			}
			if len(units) == 0 {
				first = want{e: DirectoryEntry{ID: e.ID, Email: email, Name: name, Position: clean(e.Position), Department: clean(e.Department)}, unit: u.id, code: u.code}
			}
			if !slices.Contains(units, u.code) {
				units = append(units, u.code)
			}
		}
		if len(units) == 0 {
			continue
		}
		if len(units) > 1 {
			run.problem(&nErr, e.ID, ProblemTwoUnits, strings.Join(units, ", ")+" → "+units[0])
		}
		if prev, dup := wanted[email]; dup && prev.e.ID != e.ID {
			run.problem(&nErr, e.ID, ProblemDuplicate, email+" ← "+prev.e.ID)
			continue
		}
		wanted[email] = first
	}
	run.Entries = len(entries)
	now := store.Micros(s.now())
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		run.Added, run.Updated, run.Disabled = 0, 0, 0
		type person struct {
			id                           int64
			unit                         int64
			name, position, dept, source string
			dirID                        string
			disabled                     bool
		}
		known := map[string]person{}
		rows, err := tx.Query(ctx, `SELECT id, email, unit_id, name, position, department, source, directory_id, disabled FROM training_people`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p person
			var email string
			if err := rows.Scan(&p.id, &email, &p.unit, &p.name, &p.position, &p.dept, &p.source, &p.dirID, &p.disabled); err != nil {
				rows.Close()
				return err
			}
			known[email] = p
		}
		rows.Close()
		emails := make([]string, 0, len(wanted))
		for e := range wanted {
			emails = append(emails, e)
		}
		slices.Sort(emails)
		var changes int
		for _, email := range emails {
			w := wanted[email]
			p, ok := known[email]
			if !ok {
				if _, err := tx.Exec(ctx, `INSERT INTO training_people (unit_id, name, email, position, department, source, directory_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					w.unit, w.e.Name, email, w.e.Position, w.e.Department, run.Source, w.e.ID, now, now); err != nil {
					return err
				}
				run.Added++
				run.change(&changes, "added", email, w.e.Name, w.code)
				continue
			}
			if p.unit == w.unit && p.name == w.e.Name && p.position == w.e.Position && p.dept == w.e.Department && p.source == run.Source && p.dirID == w.e.ID && !p.disabled {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE training_people SET unit_id = ?, name = ?, position = ?, department = ?, source = ?, directory_id = ?, disabled = FALSE, updated_at = ? WHERE id = ?`,
				w.unit, w.e.Name, w.e.Position, w.e.Department, run.Source, w.e.ID, now, p.id); err != nil {
				return err
			}
			run.Updated++
			run.change(&changes, "updated", email, w.e.Name, w.code)
		}
		// Those this source brought in and no mapped group lists now. An
		// entry still listed but refused above (no name, a bad address)
		// keeps its person as it was.
		if len(entries) == 0 {
			run.problem(&nErr, "", ProblemNoneListed, "")
		} else {
			var gone []string
			for email, p := range known {
				if p.source == run.Source && !p.disabled {
					if _, ok := wanted[email]; !ok && !seenIDs[p.dirID] {
						gone = append(gone, email)
					}
				}
			}
			slices.Sort(gone)
			for _, email := range gone {
				if _, err := tx.Exec(ctx, `UPDATE training_people SET disabled = TRUE, updated_at = ? WHERE id = ?`, now, known[email].id); err != nil {
					return err
				}
				run.Disabled++
				run.change(&changes, "disabled", email, known[email].name, "")
			}
		}
		if nErr > len(run.Problems) {
			run.Problems = append(run.Problems, SyncProblem{Code: ProblemMore, Detail: strconv.Itoa(nErr - len(run.Problems))})
		}
		return s.finishRun(ctx, tx, run)
	})
}

// startRun records that a sync began.
func (s *Service) startRun(ctx context.Context, source, by string) (*SyncRun, error) {
	run := &SyncRun{Source: source, StartedAt: s.now(), StartedBy: by}
	if err := s.DB.QueryRow(ctx, `INSERT INTO training_directory_runs (source, started_at, started_by) VALUES (?, ?, ?) RETURNING id`,
		source, store.Micros(run.StartedAt), by).Scan(&run.ID); err != nil {
		return nil, fmt.Errorf("training: sync: %w", err)
	}
	return run, nil
}

// finishRun stores what the run did and audits it (one entry a run, with
// the counts; the run keeps the per-person lines).
func (s *Service) finishRun(ctx context.Context, tx *store.Tx, run *SyncRun) error {
	run.FinishedAt = s.now()
	if _, err := tx.Exec(ctx, `UPDATE training_directory_runs SET finished_at = ?, entries = ?, added = ?, updated = ?, disabled = ?, failure = ?, errors = ?, changes = ? WHERE id = ?`,
		store.Micros(run.FinishedAt), run.Entries, run.Added, run.Updated, run.Disabled, encodeProblems(failureList(run.Failure)), encodeProblems(run.Problems), encodeChanges(run.Changes), run.ID); err != nil {
		return err
	}
	return audit.Append(ctx, tx, audit.Entry{Action: "training.directory_sync", ObjectType: "training_directory_run", ObjectID: strconv.FormatInt(run.ID, 10),
		After: map[string]any{"source": run.Source, "entries": run.Entries, "added": run.Added, "updated": run.Updated, "disabled": run.Disabled,
			"problems": len(run.Problems), "failure": failureText(run.Failure)}})
}

// failRun records a sync that could not read the directory: nothing was
// changed.
func (s *Service) failRun(ctx context.Context, run *SyncRun, failure *SyncProblem) error {
	run.Failure = failure
	return s.DB.InTx(ctx, func(tx *store.Tx) error { return s.finishRun(ctx, tx, run) })
}

// SyncRunSortKeys are the sorts of the sync list.
var SyncRunSortKeys = []string{"started_at", "added", "updated", "disabled"}

// SyncRuns lists the syncs, newest first (the IT Center).
func (s *Service) SyncRuns(ctx context.Context, source, sort string, desc bool, offset, limit int) ([]*SyncRun, int, error) {
	if _, err := s.itCenter(ctx); err != nil {
		return nil, 0, err
	}
	l := store.NewList("r.id DESC", limit, 100).Skip(offset)
	if source != "" {
		l.Where("r.source = ?", source)
	}
	switch sort {
	case "started_at", "added", "updated", "disabled":
		l.OrderBy("r."+sort, desc)
	}
	list, total, err := store.FetchPage(ctx, s.DB, l, `SELECT r.id, r.source, r.started_at, r.finished_at, r.started_by, r.entries, r.added, r.updated, r.disabled, r.failure, r.errors, r.changes`,
		` FROM training_directory_runs r`, scanRun)
	if err != nil {
		return nil, 0, fmt.Errorf("training: syncs: %w", err)
	}
	return list, total, nil
}

func scanRun(sc store.Scanner) (*SyncRun, error) {
	var r SyncRun
	var started, finished int64
	var failure, problems, changes string
	if err := sc.Scan(&r.ID, &r.Source, &started, &finished, &r.StartedBy, &r.Entries, &r.Added, &r.Updated, &r.Disabled, &failure, &problems, &changes); err != nil {
		return nil, err
	}
	r.StartedAt = store.Time(started)
	if finished != 0 {
		r.FinishedAt = store.Time(finished)
	}
	r.Problems, r.Changes = decodeProblems(problems), decodeChanges(changes)
	if f := decodeProblems(failure); len(f) > 0 {
		r.Failure = &f[0]
	}
	return &r, nil
}

// A run's problems and changes are kept one a line, fields separated by
// tabs (none of them holds a tab or a newline: clean removes them).

func flat(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

func failureList(p *SyncProblem) []SyncProblem {
	if p == nil {
		return nil
	}
	return []SyncProblem{*p}
}

func failureText(p *SyncProblem) string {
	if p == nil {
		return ""
	}
	return p.String()
}

func encodeProblems(ps []SyncProblem) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(flat(p.Entry) + "\t" + flat(p.Code) + "\t" + flat(p.Detail))
	}
	return b.String()
}

func decodeProblems(s string) []SyncProblem {
	out := []SyncProblem{}
	if s == "" {
		return out
	}
	for _, line := range strings.Split(s, "\n") {
		f := strings.SplitN(line, "\t", 3)
		for len(f) < 3 {
			f = append(f, "")
		}
		out = append(out, SyncProblem{Entry: f[0], Code: f[1], Detail: f[2]})
	}
	return out
}

func encodeChanges(cs []SyncChange) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(flat(c.Kind) + "\t" + flat(c.Email) + "\t" + flat(c.Name) + "\t" + flat(c.Unit))
	}
	return b.String()
}

func decodeChanges(s string) []SyncChange {
	out := []SyncChange{}
	if s == "" {
		return out
	}
	for _, line := range strings.Split(s, "\n") {
		f := strings.SplitN(line, "\t", 4)
		for len(f) < 4 {
			f = append(f, "")
		}
		out = append(out, SyncChange{Kind: f[0], Email: f[1], Name: f[2], Unit: f[3]})
	}
	return out
}
