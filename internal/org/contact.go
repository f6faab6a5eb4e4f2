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

// ListContacts returns every contact of a unit the caller may read (a
// unit has a handful), in the order they were added.
func (s *Service) ListContacts(ctx context.Context, unitCode string) ([]*Contact, error) {
	var out []*Contact
	for {
		page, total, err := s.Contacts(ctx, ContactFilter{Unit: unitCode, Offset: len(out), Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) == 0 || len(out) >= total {
			return out, nil
		}
	}
}

// ContactFilter selects a unit's contacts.
type ContactFilter struct {
	Unit   string // the unit's code
	Sort   string // a key of ContactSorts; "" is the order they were added
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// ContactSorts are the columns a list of contacts sorts by.
var ContactSorts = map[string]string{
	"name":     "c.name",
	"position": "c.position",
	"email":    "c.email",
	"created":  "c.created_at",
}

// ContactSortKeys lists the keys of ContactSorts.
var ContactSortKeys = []string{"name", "position", "email", "created"}

// Contacts returns a page of the contacts of a unit the caller may read,
// in f's order, and how many it has in all.
func (s *Service) Contacts(ctx context.Context, f ContactFilter) ([]*Contact, int, error) {
	u, err := s.GetUnit(ctx, f.Unit)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.id", f.Limit, 100).Where("c.unit_id = ?", u.ID)
	if f.Sort != "" {
		expr, ok := ContactSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ContactSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT c.id, c.name, c.position, c.phone, c.email, c.created_at`, ` FROM contacts c`,
		func(sc store.Scanner) (*Contact, error) {
			c := &Contact{Unit: u.Code}
			var created int64
			if err := sc.Scan(&c.ID, &c.Name, &c.Position, &c.Phone, &c.Email, &created); err != nil {
				return nil, err
			}
			c.CreatedAt = store.Time(created)
			return c, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("org: list contacts: %w", err)
	}
	return out, total, nil
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
