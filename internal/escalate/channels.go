package escalate

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Channel is somewhere to send that is not a person: a mailing list
// (Target: addresses), a webhook (Target: URL; Secret: the HMAC key) or a
// Telegram chat (Target: chat id or @channel; Secret: the bot token). The
// secret is never shown back: SecretHint is its last four characters.
type Channel struct {
	ID         int64     `json:"id"`
	Unit       string    `json:"unit"`
	UnitName   string    `json:"unit_name"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	Target     string    `json:"target"`
	SecretSet  bool      `json:"secret_set"`
	SecretHint string    `json:"secret_hint,omitempty"`
	Lang       string    `json:"lang"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	unitID   int64
	unitPath string
	secret   string
}

// UnitPath is the path of the channel's unit, for scope checks.
func (c *Channel) UnitPath() string { return c.unitPath }

// ChannelInput creates a channel or replaces one. An empty Secret on a
// replace keeps the channel's secret.
type ChannelInput struct {
	Unit     string `json:"unit"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Target   string `json:"target"`
	Secret   string `json:"secret,omitempty"`
	Lang     string `json:"lang,omitempty"` // vi (default) or en: the language of its messages
	Disabled bool   `json:"disabled,omitempty"`
}

// Hint shows the end of a secret, enough to tell two apart.
func Hint(secret string) string {
	if len(secret) < 12 {
		return ""
	}
	return "…" + secret[len(secret)-4:]
}

// MinWebhookSecret is the shortest webhook signing secret accepted.
const MinWebhookSecret = 16

var (
	botTokenRE = regexp.MustCompile(`^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$`)
	chatIDRE   = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,64})$`)
)

// splitAddresses reads a list of e-mail addresses separated by commas,
// semicolons or new lines.
func splitAddresses(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
	return f
}

func validateChannel(in *ChannelInput, creating bool, hadSecret bool) error {
	in.Name = strings.TrimSpace(in.Name)
	in.Target = strings.TrimSpace(in.Target)
	if in.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(in.Name) > 200 {
		return errs.Invalid("name", "must be at most 200 bytes")
	}
	switch in.Lang {
	case "":
		in.Lang = "vi"
	case "vi", "en":
	default:
		return errs.Invalid("lang", "must be vi or en")
	}
	if in.Target == "" {
		return errs.Invalid("target", "is required")
	}
	if len(in.Target) > 2000 {
		return errs.Invalid("target", "must be at most 2000 bytes")
	}
	secretNeeded := creating || !hadSecret
	switch in.Kind {
	case KindEmail:
		addrs := splitAddresses(in.Target)
		if len(addrs) == 0 || len(addrs) > 20 {
			return errs.Invalid("target", "give 1 to 20 e-mail addresses")
		}
		for _, a := range addrs {
			if m, err := mail.ParseAddress(a); err != nil || m.Address != a {
				return errs.Invalid("target", "%q is not an e-mail address", a)
			}
		}
		in.Target = strings.Join(addrs, ", ")
		if in.Secret != "" {
			return errs.Invalid("secret", "an e-mail channel has no secret")
		}
	case KindWebhook:
		u, err := url.Parse(in.Target)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return errs.Invalid("target", "must be an http:// or https:// URL without a user name or password")
		}
		if in.Secret != "" || secretNeeded {
			if len(in.Secret) < MinWebhookSecret {
				return errs.Invalid("secret", "must be at least %d characters", MinWebhookSecret)
			}
			if len(in.Secret) > 256 {
				return errs.Invalid("secret", "must be at most 256 bytes")
			}
		}
	case KindTelegram:
		if !chatIDRE.MatchString(in.Target) {
			return errs.Invalid("target", "must be a Telegram chat id (a number, -100… for groups) or @channel name")
		}
		if in.Secret != "" || secretNeeded {
			if !botTokenRE.MatchString(in.Secret) {
				return errs.Invalid("secret", "must be a Telegram bot token (123456789:AA…, from @BotFather)")
			}
		}
	default:
		return errs.Invalid("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	return nil
}

// CreateChannel adds a channel, as the caller.
func (s *Service) CreateChannel(ctx context.Context, in ChannelInput) (*Channel, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateChannel(&in, true, false); err != nil {
		return nil, err
	}
	var out *Channel
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		unit, err := writableUnit(ctx, tx, p, "unit", in.Unit)
		if err != nil {
			return err
		}
		now := store.Micros(s.now())
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO escalation_channels (unit_id, name, kind, target, secret, lang, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, unit.ID, in.Name, in.Kind, in.Target, in.Secret, in.Lang, in.Disabled, now, now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a channel named %q", unit.Code, in.Name)
		}
		if err != nil {
			return fmt.Errorf("escalate: create channel: %w", err)
		}
		if out, err = s.readChannel(ctx, tx, p, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "notification_channel.create", ObjectType: "notification_channel", ObjectID: strconv.FormatInt(id, 10),
			UnitID: unit.ID, After: channelSummary(out)})
	})
	return out, err
}

// channelSummary is what the audit log keeps of a channel: never the
// secret, only whether there is one and its hint.
func channelSummary(c *Channel) map[string]any {
	return map[string]any{"name": c.Name, "unit": c.Unit, "channel_kind": c.Kind, "target": c.Target, "secret": c.SecretHint, "lang": c.Lang, "disabled": c.Disabled}
}

// UpdateChannel replaces a channel with in (keeping its secret when in
// has none), as the caller.
func (s *Service) UpdateChannel(ctx context.Context, id int64, in ChannelInput) (*Channel, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Channel
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.readChannel(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.CanWrite(cur.unitPath) {
			return errs.Forbidden("you may not manage escalation of unit %s", cur.Unit)
		}
		if in.Kind != cur.Kind && in.Secret == "" {
			// A secret belongs to its kind: a webhook key is no bot token.
			if err := validateChannel(&in, true, false); err != nil {
				return err
			}
		} else if err := validateChannel(&in, false, cur.secret != ""); err != nil {
			return err
		}
		unit, err := writableUnit(ctx, tx, p, "unit", in.Unit)
		if err != nil {
			return err
		}
		secret := cur.secret
		if in.Secret != "" {
			secret = in.Secret
		}
		if in.Kind == KindEmail {
			secret = ""
		}
		_, err = tx.Exec(ctx, `UPDATE escalation_channels SET unit_id = ?, name = ?, kind = ?, target = ?, secret = ?, lang = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			unit.ID, in.Name, in.Kind, in.Target, secret, in.Lang, in.Disabled, store.Micros(s.now()), id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "unit %s already has a channel named %q", unit.Code, in.Name)
		}
		if err != nil {
			return fmt.Errorf("escalate: update channel %d: %w", id, err)
		}
		if out, err = s.readChannel(ctx, tx, p, id); err != nil {
			return err
		}
		before, after := channelSummary(cur), channelSummary(out)
		if in.Secret != "" {
			after["secret_changed"] = true
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "notification_channel.update", ObjectType: "notification_channel", ObjectID: strconv.FormatInt(id, 10),
			UnitID: unit.ID, Before: before, After: after})
	})
	return out, err
}

// DeleteChannel removes a channel no policy uses.
func (s *Service) DeleteChannel(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.readChannel(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !p.CanWrite(cur.unitPath) {
			return errs.Forbidden("you may not manage escalation of unit %s", cur.Unit)
		}
		var policy string
		err = tx.QueryRow(ctx, `SELECT name FROM escalation_policies WHERE steps LIKE ? ORDER BY id LIMIT 1`, `%"channel_id":`+strconv.FormatInt(id, 10)+`}%`).Scan(&policy)
		if err == nil {
			return errs.Conflict("", "channel %q is used by escalation policy %q; change the policy first", cur.Name, policy)
		}
		if !store.IsNoRows(err) {
			return fmt.Errorf("escalate: delete channel %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM escalation_channels WHERE id = ?`, id); err != nil {
			return fmt.Errorf("escalate: delete channel %d: %w", id, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "notification_channel.delete", ObjectType: "notification_channel", ObjectID: strconv.FormatInt(id, 10),
			UnitID: cur.unitID, Before: channelSummary(cur)})
	})
}

// GetChannel returns a channel in the caller's scope.
func (s *Service) GetChannel(ctx context.Context, id int64) (*Channel, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.readChannel(ctx, s.DB, p, id)
}

const channelColumns = `SELECT c.id, c.unit_id, u.code, u.name, u.path, c.name, c.kind, c.target, c.secret, c.lang, c.disabled, c.created_at, c.updated_at`

const channelFrom = ` FROM escalation_channels c JOIN units u ON u.id = c.unit_id`

func scanChannel(sc store.Scanner) (*Channel, error) {
	var c Channel
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.unitID, &c.Unit, &c.UnitName, &c.unitPath, &c.Name, &c.Kind, &c.Target, &c.secret, &c.Lang, &c.Disabled, &created, &updated); err != nil {
		return nil, err
	}
	c.SecretSet, c.SecretHint = c.secret != "", Hint(c.secret)
	c.CreatedAt, c.UpdatedAt = store.Time(created), store.Time(updated)
	return &c, nil
}

// getChannel reads a channel whatever the scope (the caller checks it).
func (s *Service) getChannel(ctx context.Context, q querier, id int64) (*Channel, error) {
	return scanChannel(q.QueryRow(ctx, channelColumns+channelFrom+` WHERE c.id = ?`, id))
}

func (s *Service) readChannel(ctx context.Context, q querier, p *auth.Principal, id int64) (*Channel, error) {
	c, err := s.getChannel(ctx, q, id)
	if err := p.CheckRead(err, func() string { return c.unitPath }, errs.NotFound("notification channel "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	return c, nil
}

// ChannelFilter selects channels.
type ChannelFilter struct {
	Unit   string
	Kind   string
	Sort   string
	Desc   bool
	Offset int
	Limit  int
}

// ChannelSorts are the columns channels sort by.
var ChannelSorts = map[string]string{"name": "c.name", "unit": "u.code", "kind": "c.kind", "updated": "c.updated_at"}

// ChannelSortKeys lists the keys of ChannelSorts.
var ChannelSortKeys = []string{"name", "unit", "kind", "updated"}

// ListChannels returns a page of the channels in the caller's scope and
// how many there are.
func (s *Service) ListChannels(ctx context.Context, f ChannelFilter) ([]*Channel, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.id", f.Limit, 100).Scope(p, "u.path")
	if err := s.unitFilter(ctx, p, l, f.Unit); err != nil {
		return nil, 0, err
	}
	if f.Kind != "" {
		if !slices.Contains(Kinds, f.Kind) {
			return nil, 0, errs.Invalid("kind", "must be one of %s", strings.Join(Kinds, ", "))
		}
		l.Where("c.kind = ?", f.Kind)
	}
	if f.Sort != "" {
		expr, ok := ChannelSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ChannelSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("u.path", false)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, channelColumns, channelFrom, scanChannel)
	if err != nil {
		return nil, 0, fmt.Errorf("escalate: list channels: %w", err)
	}
	return out, total, nil
}
