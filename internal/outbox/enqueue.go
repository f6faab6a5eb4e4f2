package outbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// recipient is one address (or the endpoint) a message goes to.
type recipient struct {
	channel, target, name, secret string
}

// Limits of a message.
const (
	MaxFiles     = 10
	MaxFileBytes = 20 << 20 // a report's PDF is a few hundred kB
	MaxJSONBytes = 10 << 20
)

// Enqueue stores the deliveries of m inside the caller's transaction
// (with the caller's audit entry) and returns their ids: one per e-mail
// address the purpose's recipients and m.To name, and one for the
// purpose's HTTP endpoint when one is set and m.JSON is not nil. Calling
// it again with the same Key adds nothing for a recipient that already
// has its delivery (and returns that delivery's id): a recipient added to
// the settings since gets its own. A purpose with no recipient configured
// and no m.To is errs.Invalid naming the settings page. Nothing is sent
// here: the worker sends once the transaction has committed.
func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Message) ([]int64, error) {
	if err := validPurpose(m.Purpose); err != nil {
		return nil, err
	}
	if m.UnitID <= 0 {
		return nil, errs.Invalid("unit", "a message belongs to a unit")
	}
	m.Subject = strings.TrimSpace(m.Subject)
	if m.Subject == "" {
		return nil, errs.Invalid("subject", "a message needs a subject")
	}
	if len(m.Files) > MaxFiles {
		return nil, errs.Invalid("files", "at most %d files", MaxFiles)
	}
	for _, f := range m.Files {
		if strings.TrimSpace(f.Name) == "" || len(f.Name) > 200 || !utf8.ValidString(f.Name) {
			return nil, errs.Invalid("files", "a file needs a name of at most 200 bytes")
		}
		if len(f.Data) > MaxFileBytes {
			return nil, errs.Invalid("files", "%s is larger than %d MiB", f.Name, MaxFileBytes>>20)
		}
	}
	if len(m.JSON) > MaxJSONBytes {
		return nil, errs.Invalid("json", "the JSON document is larger than %d MiB", MaxJSONBytes>>20)
	}
	if m.Key == "" {
		m.Key = "vigil-" + rand.Text()
	}
	if len(m.Key) > 200 {
		return nil, errs.Invalid("key", "must be at most 200 characters")
	}
	extra, err := CleanEmails("to", m.To)
	if err != nil {
		return nil, err
	}
	r, err := s.recipients(ctx, tx, m.Purpose)
	if err != nil {
		return nil, err
	}
	var rcpts []recipient
	add := func(channel, target, name, secret string) {
		for _, x := range rcpts {
			if x.channel == channel && strings.EqualFold(x.target, target) {
				return
			}
		}
		rcpts = append(rcpts, recipient{channel, target, name, secret})
	}
	for _, a := range r.OwnerEmails {
		add(ChannelEmail, a, r.OwnerName, "")
	}
	for _, a := range r.CoordinatorEmails {
		add(ChannelEmail, a, r.CoordinatorName, "")
	}
	for _, a := range r.SpecialisedEmails {
		add(ChannelEmail, a, r.SpecialisedName, "")
	}
	for _, a := range extra {
		add(ChannelEmail, a, "", "")
	}
	if r.HTTPURL != "" && m.JSON != nil {
		add(ChannelHTTP, r.HTTPURL, "", r.secret)
	}
	if len(rcpts) == 0 {
		return nil, errs.Invalid("recipients", "no recipient is configured for %s: the IT Center sets them on %s", m.Purpose, SettingsPage)
	}

	now := store.Micros(s.now())
	by := ""
	if p := auth.FromContext(ctx); p != nil {
		by = p.Email
	}
	res, err := tx.Exec(ctx, `INSERT INTO outbox_messages (msg_key, purpose, object_type, object_id, unit_id, subject, body, json_body, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.Key, m.Purpose, m.ObjectType, m.ObjectID, m.UnitID, m.Subject, m.Body, string(m.JSON), by, now)
	if err != nil {
		if store.IsForeignKeyViolation(err) {
			return nil, errs.Invalid("unit", "no unit has the id %d", m.UnitID)
		}
		return nil, fmt.Errorf("outbox: store message: %w", err)
	}
	var msgID int64
	var purpose string
	if err := tx.QueryRow(ctx, `SELECT id, purpose FROM outbox_messages WHERE msg_key = ?`, m.Key).Scan(&msgID, &purpose); err != nil {
		return nil, fmt.Errorf("outbox: read message: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		for i, f := range m.Files {
			ct := f.ContentType
			if ct == "" {
				ct = "application/octet-stream"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outbox_files (message_id, seq, name, content_type, data) VALUES (?, ?, ?, ?, ?)`,
				msgID, i+1, f.Name, ct, f.Data); err != nil {
				return nil, fmt.Errorf("outbox: store %s: %w", f.Name, err)
			}
		}
	} else if purpose != m.Purpose {
		return nil, errs.Conflict("key", "the key %q was used for %s already", m.Key, purpose)
	}
	giveUp := now + s.giveUpAfter().Microseconds()
	ids := make([]int64, 0, len(rcpts))
	for _, rc := range rcpts {
		if _, err := tx.Exec(ctx, `INSERT INTO outbox_deliveries (message_id, unit_id, channel, target, recipient, secret, status, next_at, give_up_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			msgID, m.UnitID, rc.channel, rc.target, rc.name, rc.secret, now, giveUp, now, now); err != nil {
			return nil, fmt.Errorf("outbox: store delivery to %s: %w", rc.target, err)
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM outbox_deliveries WHERE message_id = ? AND channel = ? AND target = ?`, msgID, rc.channel, rc.target).Scan(&id); err != nil {
			return nil, fmt.Errorf("outbox: read delivery: %w", err)
		}
		ids = append(ids, id)
	}
	// The worker looks once the caller has had time to commit; its tick
	// finds the rows anyway.
	time.AfterFunc(300*time.Millisecond, s.Kick)
	return ids, nil
}

// ForObject lists the deliveries about one object, newest first, each
// with its attempts, after the caller's scope check by the caller.
func (s *Service) ForObject(ctx context.Context, objectType, objectID string) ([]*Delivery, error) {
	rows, err := s.DB.Query(ctx, deliveryColumns+deliveryFrom+` WHERE m.object_type = ? AND m.object_id = ? ORDER BY d.id DESC LIMIT 1000`, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("outbox: deliveries of %s %s: %w", objectType, objectID, err)
	}
	var out []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows, false)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.attachLogs(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
