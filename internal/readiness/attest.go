package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// AttachType is the object type of an attestation's evidence files.
const AttachType = "readiness_attestation"

const maxNote = 4000

// Attestation is a unit's attestation of a criterion.
type Attestation struct {
	ID         int64                `json:"id"`
	Campaign   int64                `json:"campaign"`
	Unit       string               `json:"unit"`
	UnitName   string               `json:"unit_name"`
	Criterion  string               `json:"criterion"`
	Label      string               `json:"label"`
	LabelEn    string               `json:"label_en,omitempty"`
	State      string               `json:"state"`
	Note       string               `json:"note"`
	AttestedBy string               `json:"attested_by"`
	AttestedAt time.Time            `json:"attested_at"`
	ReviewedBy string               `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time            `json:"reviewed_at,omitzero"`
	ReviewNote string               `json:"review_note,omitempty"`
	Files      []*attach.Attachment `json:"files"`
	unitID     int64
	unitPath   string
}

// AttestInput is an officer's attestation; Files are its evidence.
type AttestInput struct {
	Unit      string         `json:"unit"` // "" is the caller's own unit
	Criterion string         `json:"criterion"`
	Note      string         `json:"note"`
	Files     []attach.Input `json:"-"`
}

const attestColumns = `a.id, a.campaign_id, u.code, u.name, a.criterion, COALESCE(cc.label, a.criterion), COALESCE(cc.label_en, ''), a.state, a.note,
	a.attested_by, a.attested_at, a.reviewed_by, a.reviewed_at, a.review_note, u.id, u.path`

const attestFrom = ` FROM readiness_attestations a JOIN units u ON u.id = a.unit_id
	LEFT JOIN readiness_campaign_criteria cc ON cc.campaign_id = a.campaign_id AND cc.key = a.criterion`

func scanAttestation(sc store.Scanner) (*Attestation, error) {
	var a Attestation
	var at, rev int64
	if err := sc.Scan(&a.ID, &a.Campaign, &a.Unit, &a.UnitName, &a.Criterion, &a.Label, &a.LabelEn, &a.State, &a.Note,
		&a.AttestedBy, &at, &a.ReviewedBy, &rev, &a.ReviewNote, &a.unitID, &a.unitPath); err != nil {
		return nil, err
	}
	a.AttestedAt, a.ReviewedAt = store.Time(at), store.Time(rev)
	a.Files = []*attach.Attachment{}
	return &a, nil
}

func (s *Service) files(ctx context.Context, as []*Attestation) error {
	if len(as) == 0 {
		return nil
	}
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = strconv.FormatInt(a.ID, 10)
	}
	m, err := attach.List(ctx, s.DB, AttachType, ids...)
	if err != nil {
		return fmt.Errorf("readiness: evidence: %w", err)
	}
	for _, a := range as {
		if f := m[strconv.FormatInt(a.ID, 10)]; f != nil {
			a.Files = f
		}
	}
	return nil
}

// ownAttestations returns a campaign's attestations keyed by unit and
// criterion, with their files.
func (s *Service) ownAttestations(ctx context.Context, id int64) (map[string]*Attestation, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+attestColumns+attestFrom+` WHERE a.campaign_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("readiness: attestations: %w", err)
	}
	var list []*Attestation
	for rows.Next() {
		a, err := scanAttestation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.files(ctx, list); err != nil {
		return nil, err
	}
	out := map[string]*Attestation{}
	for _, a := range list {
		out[snapKey(a.unitID, a.Criterion)] = a
	}
	return out, nil
}

// Attest records the unit's officer's attestation of a criterion with a
// note and evidence files; it waits for the IT Center's review. An
// attestation sent back is attested again; an accepted one stays.
func (s *Service) Attest(ctx context.Context, id int64, in AttestInput) (*Attestation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(in.Unit)
	if code == "" {
		code = p.UnitCode
	}
	var unitID int64
	var path string
	err = s.DB.QueryRow(ctx, `SELECT u.id, u.path FROM readiness_campaign_units t JOIN units u ON u.id = t.unit_id WHERE t.campaign_id = ? AND u.code = ?`,
		id, code).Scan(&unitID, &path)
	if err != nil && !store.IsNoRows(err) {
		return nil, fmt.Errorf("readiness: attest: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return nil, errs.Invalid("unit", "unit %q is not a target of this campaign", code)
	}
	if !p.CanWrite(path) {
		return nil, errs.Forbidden("only an officer of the unit attests for it")
	}
	var cr *Criterion
	for _, x := range c.Criteria {
		if x.Key == in.Criterion {
			cr = x
		}
	}
	if cr == nil || cr.Kind != KindAttest {
		return nil, errs.Invalid("criterion", "%q is not a criterion to attest in this campaign", in.Criterion)
	}
	soc, err := s.socUnit(ctx)
	if err != nil {
		return nil, err
	}
	if !applies(cr, unitID, soc) {
		return nil, errs.Invalid("criterion", "%q is not a criterion to attest in this campaign", in.Criterion)
	}
	note, err := text("note", in.Note, maxNote)
	if err != nil {
		return nil, err
	}
	if note == "" {
		return nil, errs.Invalid("note", "say what was done")
	}
	if len(in.Files) > attach.MaxPerObject {
		return nil, errs.Invalid("file", "attach at most %d files", attach.MaxPerObject)
	}
	var aid int64
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT id, state FROM readiness_attestations WHERE campaign_id = ? AND unit_id = ? AND criterion = ?`, id, unitID, cr.Key).Scan(&aid, &state)
		switch {
		case store.IsNoRows(err):
			if err := tx.QueryRow(ctx, `INSERT INTO readiness_attestations (campaign_id, unit_id, criterion, state, note, attested_by, attested_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, unitID, cr.Key, AttestSubmitted, note, p.Email, store.Micros(now)).Scan(&aid); err != nil {
				return fmt.Errorf("readiness: attest: %w", err)
			}
		case err != nil:
			return fmt.Errorf("readiness: attest: %w", err)
		case state == AttestAccepted:
			return errs.Conflict("state", "this attestation was accepted already")
		default:
			if _, err := tx.Exec(ctx, `UPDATE readiness_attestations SET state = ?, note = ?, attested_by = ?, attested_at = ?, reviewed_by = '', reviewed_at = 0, review_note = ''
				WHERE id = ?`, AttestSubmitted, note, p.Email, store.Micros(now), aid); err != nil {
				return fmt.Errorf("readiness: attest: %w", err)
			}
		}
		var names []string
		for _, f := range in.Files {
			f.ObjectType, f.ObjectID, f.UnitID, f.By, f.At = AttachType, strconv.FormatInt(aid, 10), unitID, p.Email, now
			a, err := attach.Add(ctx, tx, f)
			if err != nil {
				return err
			}
			names = append(names, a.Name+" (SHA-256 "+a.SHA256+")")
		}
		after := map[string]any{"campaign": c.Name, "unit": code, "criterion": cr.Label, "state": AttestSubmitted, "note": note}
		if len(names) > 0 {
			after["evidence"] = strings.Join(names, "; ")
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "readiness.attest", ObjectType: "readiness_attestation", ObjectID: strconv.FormatInt(aid, 10),
			UnitID: unitID, After: after})
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.refresh(ctx, c, false); err != nil {
		return nil, err
	}
	return s.Attestation(ctx, aid)
}

// Review accepts an attestation waiting for review, or sends it back with
// a reason, as the IT Center.
func (s *Service) Review(ctx context.Context, aid int64, accept bool, note string) (*Attestation, error) {
	if _, err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	a, err := s.Attestation(ctx, aid)
	if err != nil {
		return nil, err
	}
	if note, err = text("note", note, maxNote); err != nil {
		return nil, err
	}
	if !accept && note == "" {
		return nil, errs.Invalid("note", "say why it is sent back")
	}
	if a.State != AttestSubmitted {
		return nil, errs.Conflict("state", "only an attestation waiting for review is accepted or sent back")
	}
	state, action := AttestAccepted, "readiness.accept"
	if !accept {
		state, action = AttestReturned, "readiness.return"
	}
	p := auth.FromContext(ctx)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE readiness_attestations SET state = ?, reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ? AND state = ?`,
			state, p.Email, store.Micros(s.now()), note, aid, AttestSubmitted)
		if err != nil {
			return fmt.Errorf("readiness: review: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("state", "only an attestation waiting for review is accepted or sent back")
		}
		return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "readiness_attestation", ObjectID: strconv.FormatInt(aid, 10), UnitID: a.unitID,
			Before: map[string]any{"state": a.State}, After: map[string]any{"state": state, "note": note, "unit": a.Unit, "criterion": a.Label}})
	})
	if err != nil {
		return nil, err
	}
	c, err := s.load(ctx, s.DB, a.Campaign)
	if err != nil {
		return nil, err
	}
	if _, err := s.refresh(ctx, c, false); err != nil {
		return nil, err
	}
	return s.Attestation(ctx, aid)
}

// Attestation returns one attestation of a unit the caller reads.
func (s *Service) Attestation(ctx context.Context, aid int64) (*Attestation, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := scanAttestation(s.DB.QueryRow(ctx, `SELECT `+attestColumns+attestFrom+` WHERE a.id = ?`, aid))
	if err := p.CheckRead(err, func() string { return a.unitPath }, errs.NotFound("attestation "+strconv.FormatInt(aid, 10))); err != nil {
		return nil, err
	}
	if err := s.files(ctx, []*Attestation{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// File returns an evidence file of an attestation the caller reads.
func (s *Service) File(ctx context.Context, aid, fileID int64) (*attach.Attachment, []byte, error) {
	if _, err := s.Attestation(ctx, aid); err != nil {
		return nil, nil, err
	}
	return attach.Get(ctx, s.DB, AttachType, strconv.FormatInt(aid, 10), fileID)
}

// AttestFilter selects attestations.
type AttestFilter struct {
	Campaign int64
	State    string // one of AttestStates, "" for any
	Unit     string // a unit code: it and its subtree
	Sort     string // a key of AttestSorts; "" is oldest waiting first
	Desc     bool
	Offset   int
	Limit    int
}

// AttestSorts are the columns a list of attestations sorts by.
var AttestSorts = map[string]string{"attested": "a.attested_at", "unit": "u.code", "state": "a.state", "criterion": "a.criterion", "reviewed": "a.reviewed_at"}

// AttestSortKeys lists the keys of AttestSorts.
var AttestSortKeys = []string{"attested", "criterion", "reviewed", "state", "unit"}

// Attestations lists a campaign's attestations in the caller's subtree,
// filtered, sorted and paged, with the true total.
func (s *Service) Attestations(ctx context.Context, f AttestFilter) ([]*Attestation, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.Get(ctx, f.Campaign); err != nil {
		return nil, 0, err
	}
	l := store.NewList("a.attested_at, a.id", f.Limit, 100)
	l.Where("a.campaign_id = ?", f.Campaign)
	l.Scope(p, "u.path")
	if f.State != "" {
		if !slices.Contains(AttestStates, f.State) {
			return nil, 0, errs.Invalid("state", "must be one of %s", strings.Join(AttestStates, ", "))
		}
		l.Where("a.state = ?", f.State)
	}
	if f.Unit != "" {
		var path string
		err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, f.Unit).Scan(&path)
		if err != nil && !store.IsNoRows(err) {
			return nil, 0, fmt.Errorf("readiness: unit: %w", err)
		}
		if err != nil || !p.CanRead(path) {
			return nil, 0, errs.NotFound("unit " + strconv.Quote(f.Unit))
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	if f.Sort != "" {
		expr, ok := AttestSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(AttestSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+attestColumns, attestFrom, scanAttestation)
	if err != nil {
		return nil, 0, fmt.Errorf("readiness: attestations: %w", err)
	}
	if err := s.files(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
