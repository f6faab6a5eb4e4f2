package phishing

import (
	"context"
	"fmt"
	"strconv"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Editing and deleting drill templates. A unit's template is changed or
// deleted by those who may write in that unit; a built-in template is
// changed by the IT Center only (every unit sees it) and never deleted.
// A template a drill used is never deleted: the drill's record names it.
// Messages of a drill still to be sent go out with the edited text (it is
// checked again before each message, as always).

// TemplateUse is a template with who may change it and how many drills
// used it.
type TemplateUse struct {
	*Template
	Drills   int  `json:"drills"`
	Editable bool `json:"editable"`
}

// templateRef loads a template the caller sees, with its unit's path.
func (s *Service) templateRef(ctx context.Context, p *auth.Principal, id int64) (*Template, string, error) {
	var t Template
	var path string
	err := s.DB.QueryRow(ctx, `SELECT t.id, t.name, t.subject, t.sender_name, t.body, t.landing, t.course_id, t.builtin, COALESCE(u.path, '')
		FROM phishing_templates t LEFT JOIN units u ON u.id = t.unit_id WHERE t.id = ?`, id).
		Scan(&t.ID, &t.Name, &t.Subject, &t.SenderName, &t.Body, &t.Landing, &t.CourseID, &t.Builtin, &path)
	if store.IsNoRows(err) || (err == nil && !t.Builtin && !p.CanRead(path)) {
		return nil, "", errs.NotFound("template")
	}
	if err != nil {
		return nil, "", fmt.Errorf("phishing: template: %w", err)
	}
	return &t, path, nil
}

// mayEdit says whether p may change template t (of the unit at path).
func (s *Service) mayEdit(ctx context.Context, p *auth.Principal, t *Template, path string) (bool, error) {
	if p.Role != auth.RoleAdmin && p.Role != auth.RoleOfficer {
		return false, nil
	}
	if t.Builtin {
		var root string
		if err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&root); err != nil && !store.IsNoRows(err) {
			return false, err
		}
		return root != "" && p.CanWrite(root), nil
	}
	return p.CanWrite(path), nil
}

// TemplateUses lists the templates the caller sees with their use.
func (s *Service) TemplateUses(ctx context.Context) ([]*TemplateUse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Templates(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*TemplateUse, 0, len(list))
	for _, t := range list {
		u := &TemplateUse{Template: t}
		var path string
		if err := s.DB.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM phishing_campaigns c WHERE c.template_id = t.id), COALESCE(u.path, '')
			FROM phishing_templates t LEFT JOIN units u ON u.id = t.unit_id WHERE t.id = ?`, t.ID).Scan(&u.Drills, &path); err != nil {
			return nil, fmt.Errorf("phishing: template use: %w", err)
		}
		if u.Editable, err = s.mayEdit(ctx, p, t, path); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// Template returns one template the caller sees.
func (s *Service) Template(ctx context.Context, id int64) (*TemplateUse, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	t, path, err := s.templateRef(ctx, p, id)
	if err != nil {
		return nil, err
	}
	u := &TemplateUse{Template: t}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_campaigns WHERE template_id = ?`, id).Scan(&u.Drills); err != nil {
		return nil, err
	}
	if u.Editable, err = s.mayEdit(ctx, p, t, path); err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateTemplate changes a template (placeholders checked first; audited).
func (s *Service) UpdateTemplate(ctx context.Context, id int64, in TemplateInput) (*Template, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	t, path, err := s.templateRef(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if ok, err := s.mayEdit(ctx, p, t, path); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.Forbidden("only the template's unit (the IT Center for a built-in one) changes it")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE phishing_templates SET name = ?, subject = ?, sender_name = ?, body = ?, landing = ? WHERE id = ?`,
			in.Name, in.Subject, in.SenderName, in.Body, in.Landing, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "phishing.edit_template", ObjectType: "phishing_template", ObjectID: strconv.FormatInt(id, 10), UnitID: unitIDOf(ctx, tx, id),
			Before: map[string]any{"name": t.Name, "subject": t.Subject}, After: map[string]any{"name": in.Name, "subject": in.Subject}})
	})
	if err != nil {
		return nil, fmt.Errorf("phishing: edit template: %w", err)
	}
	t.Name, t.Subject, t.SenderName, t.Body, t.Landing = in.Name, in.Subject, in.SenderName, in.Body, in.Landing
	return t, nil
}

func unitIDOf(ctx context.Context, tx *store.Tx, id int64) int64 {
	var u int64
	tx.QueryRow(ctx, `SELECT unit_id FROM phishing_templates WHERE id = ?`, id).Scan(&u)
	return u
}

// ErrTemplateUsed refuses deleting a template a drill used.
var ErrTemplateUsed = errs.Conflict("template", "a drill used this template: it is kept with the drill's record")

// DeleteTemplate deletes a template no drill used (audited).
func (s *Service) DeleteTemplate(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	t, path, err := s.templateRef(ctx, p, id)
	if err != nil {
		return err
	}
	if t.Builtin {
		return errs.Forbidden("a built-in template is never deleted")
	}
	if ok, err := s.mayEdit(ctx, p, t, path); err != nil {
		return err
	} else if !ok {
		return errs.Forbidden("only the template's unit (the IT Center for a built-in one) changes it")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var used int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_campaigns WHERE template_id = ?`, id).Scan(&used); err != nil {
			return err
		}
		if used > 0 {
			return ErrTemplateUsed
		}
		unit := unitIDOf(ctx, tx, id)
		// The audit entry is written first: its lookup names the template
		// while it still exists.
		if err := audit.Append(ctx, tx, audit.Entry{Action: "phishing.delete_template", ObjectType: "phishing_template", ObjectID: strconv.FormatInt(id, 10), UnitID: unit,
			Before: map[string]any{"name": t.Name, "subject": t.Subject}}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM phishing_templates WHERE id = ?`, id)
		if store.IsForeignKeyViolation(err) {
			return ErrTemplateUsed // a drill was scheduled meanwhile
		}
		return err
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return err
		}
		return fmt.Errorf("phishing: delete template: %w", err)
	}
	return nil
}
