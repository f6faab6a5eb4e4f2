package org

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Contact is a unit's point of contact for security matters.
type Contact struct {
	ID        int64     `json:"id"`
	Unit      string    `json:"unit"`
	Name      string    `json:"name"`
	Position  string    `json:"position"`
	Phone     string    `json:"phone"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// ContactInput creates or replaces a contact.
type ContactInput struct {
	Name     string `json:"name"`
	Position string `json:"position"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
}

// Validate checks and trims the input.
func (in *ContactInput) Validate() error {
	in.Name, in.Position = strings.TrimSpace(in.Name), strings.TrimSpace(in.Position)
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	if in.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(in.Name) > 200 || len(in.Position) > 200 {
		return errs.Invalid("name", "name and position must be at most 200 bytes")
	}
	if in.Phone != "" && strings.Trim(in.Phone, "+0123456789 .-()") != "" {
		return errs.Invalid("phone", "may hold only digits, spaces, +, -, . and parentheses")
	}
	if in.Email != "" {
		if _, err := mail.ParseAddress(in.Email); err != nil {
			return errs.Invalid("email", "is not an e-mail address")
		}
	}
	if in.Phone == "" && in.Email == "" {
		return errs.Invalid("phone", "a phone or an e-mail is required")
	}
	return nil
}

// ListContacts returns the contacts of a unit the caller may read.
func (s *Service) ListContacts(ctx context.Context, unitCode string) ([]*Contact, error) {
	u, err := s.GetUnit(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id, name, position, phone, email, created_at FROM contacts WHERE unit_id = ? ORDER BY id`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("org: list contacts: %w", err)
	}
	defer rows.Close()
	var out []*Contact
	for rows.Next() {
		c := &Contact{Unit: u.Code}
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Position, &c.Phone, &c.Email, &created); err != nil {
			return nil, fmt.Errorf("org: list contacts: %w", err)
		}
		c.CreatedAt = store.Time(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddContact adds a point of contact to a unit the caller may write.
func (s *Service) AddContact(ctx context.Context, unitCode string, in ContactInput) (*Contact, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.GetUnit(ctx, unitCode)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(u.Path) {
		return nil, errs.Forbidden("you may not change contacts of unit %s", unitCode)
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	c := &Contact{Unit: u.Code, Name: in.Name, Position: in.Position, Phone: in.Phone, Email: in.Email}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		if err := tx.QueryRow(ctx, `INSERT INTO contacts (unit_id, name, position, phone, email, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			u.ID, in.Name, in.Position, in.Phone, in.Email, now, now).Scan(&c.ID); err != nil {
			return fmt.Errorf("org: add contact: %w", err)
		}
		c.CreatedAt = store.Time(now)
		return audit.Append(ctx, tx, audit.Entry{Action: "contact.create", ObjectType: "contact", ObjectID: strconv.FormatInt(c.ID, 10), UnitID: u.ID, After: in})
	})
	return c, err
}

// DeleteContact removes a contact of a unit the caller may write.
func (s *Service) DeleteContact(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var c ContactInput
		var unitID int64
		var path string
		err := tx.QueryRow(ctx, `SELECT c.name, c.position, c.phone, c.email, u.id, u.path FROM contacts c JOIN units u ON u.id = c.unit_id WHERE c.id = ?`, id).
			Scan(&c.Name, &c.Position, &c.Phone, &c.Email, &unitID, &path)
		if err := p.CheckRead(err, func() string { return path }, errs.NotFound("contact")); err != nil {
			return fmt.Errorf("org: delete contact %d: %w", id, err)
		}
		if !p.CanWrite(path) {
			return errs.Forbidden("you may not change this unit's contacts")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE id = ?`, id); err != nil {
			return fmt.Errorf("org: delete contact: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "contact.delete", ObjectType: "contact", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID, Before: c})
	})
}
