package health

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store"
)

// Episode kinds.
const (
	EpisodeProbe  = "probe"
	EpisodeSource = "source"
	EpisodeAgents = "agents"
	EpisodeFeed   = "feed"
)

// episode is a stretch of ill health of one subject.
type episode struct {
	ID        int64
	Kind      string
	Subject   string
	UnitID    int64
	Title     string
	StartedAt time.Time
	EndedAt   time.Time
	Detail    string
}

// beginEpisode opens the subject's episode unless one is open; it returns
// the episode when this call opened it (and so must raise its alert).
func beginEpisode(ctx context.Context, tx *store.Tx, e episode, now int64) (*episode, error) {
	res, err := tx.Exec(ctx, `INSERT INTO health_episodes (kind, subject, unit_id, title, started_at, alerted_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, e.Kind, e.Subject, e.UnitID, i18n.Shorten(e.Title, 200), store.Micros(e.StartedAt), now, i18n.Shorten(e.Detail, 500))
	if err != nil {
		return nil, fmt.Errorf("health: begin %s episode %s: %w", e.Kind, e.Subject, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil
	}
	return &e, nil
}

// endEpisode closes the subject's open episode, if any, and returns it.
func endEpisode(ctx context.Context, tx *store.Tx, kind, subject string, now int64, detail string) (*episode, error) {
	var e episode
	var started int64
	err := tx.QueryRow(ctx, `SELECT id, unit_id, title, started_at FROM health_episodes WHERE kind = ? AND subject = ? AND ended_at = 0`, kind, subject).
		Scan(&e.ID, &e.UnitID, &e.Title, &started)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("health: end %s episode %s: %w", kind, subject, err)
	}
	res, err := tx.Exec(ctx, `UPDATE health_episodes SET ended_at = ?, detail = CASE WHEN detail = '' THEN ? ELSE detail || '; ' || ? END WHERE id = ? AND ended_at = 0`,
		now, detail, detail, e.ID)
	if err != nil {
		return nil, fmt.Errorf("health: end %s episode %s: %w", kind, subject, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil // another hub ended it
	}
	e.Kind, e.Subject, e.StartedAt, e.EndedAt = kind, subject, store.Time(started), store.Time(now)
	return &e, nil
}

// rootUnit is the unit the hub's own alerts belong to: the top of the
// organisation.
func rootUnit(ctx context.Context, tx *store.Tx) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, org.RootCode).Scan(&id)
	if store.IsNoRows(err) {
		err = tx.QueryRow(ctx, `SELECT MIN(id) FROM units`).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("health: root unit: %w", err)
	}
	return id, nil
}

// recovered notes the end of an episode whose alert was raised.
func (s *Service) recovered(ctx context.Context, e *episode) {
	s.logger().Info("health recovered", "kind", e.Kind, "subject", e.Subject, "title", e.Title, "after", e.EndedAt.Sub(e.StartedAt).Round(time.Second))
	if s.Recover != nil {
		if err := s.Recover(ctx, e.rule(), e.UnitID, e.key(), e.StartedAt, e.EndedAt); err != nil {
			s.logger().Error("health recovery not noted on the alert", "kind", e.Kind, "subject", e.Subject, "err", err)
		}
	}
}

func (e *episode) rule() string {
	switch e.Kind {
	case EpisodeProbe:
		return RuleProbeDown
	case EpisodeSource:
		return RuleSourceSilent
	case EpisodeAgents:
		return RuleAgentsOffline
	}
	return RuleFeedStale
}

func (e *episode) key() string { return e.Kind + ":" + e.Subject }

// Episode is a stretch of ill health as the page and the API show it.
type Episode struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Subject   string    `json:"subject"`
	Unit      string    `json:"unit,omitempty"`
	UnitName  string    `json:"unit_name,omitempty"`
	Title     string    `json:"title"`
	StartedAt time.Time `json:"started_at"`
	AlertedAt time.Time `json:"alerted_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Detail    string    `json:"detail,omitempty"`
}

// Open reports whether the episode goes on.
func (e *Episode) Open() bool { return e.EndedAt.IsZero() }

// Duration is how long the episode lasted, or has lasted until now.
func (e *Episode) Duration(now time.Time) time.Duration {
	if e.EndedAt.IsZero() {
		return now.Sub(e.StartedAt)
	}
	return e.EndedAt.Sub(e.StartedAt)
}

// EpisodeFilter selects episodes.
type EpisodeFilter struct {
	Kinds  []string
	Open   bool // only those going on
	Offset int
	Limit  int
}

// ListEpisodes returns a page of episodes, newest first: probe and feed
// episodes for everyone signed in, source and agent episodes of units in
// the caller's scope.
func (s *Service) ListEpisodes(ctx context.Context, f EpisodeFilter) ([]*Episode, int, error) {
	p, err := requireReader(ctx)
	if err != nil {
		return nil, 0, err
	}
	scope, args := p.Scope("u.path")
	l := store.NewList("e.id DESC", f.Limit, 50).Where("(e.kind IN ('probe', 'feed') OR ("+scope+"))", args...)
	if len(f.Kinds) > 0 {
		marks := make([]string, len(f.Kinds))
		kargs := make([]any, len(f.Kinds))
		for i, k := range f.Kinds {
			switch k {
			case EpisodeProbe, EpisodeSource, EpisodeAgents, EpisodeFeed:
			default:
				return nil, 0, errs.Invalid("kind", "must be one of %s", "probe, source, agents, feed")
			}
			marks[i], kargs[i] = "?", k
		}
		l.Where("e.kind IN ("+strings.Join(marks, ", ")+")", kargs...)
	}
	if f.Open {
		l.Where("e.ended_at = 0")
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT e.id, e.kind, e.subject, COALESCE(u.code, ''), COALESCE(u.name, ''), e.title, e.started_at, e.alerted_at, e.ended_at, e.detail`,
		` FROM health_episodes e LEFT JOIN units u ON u.id = e.unit_id`, func(sc store.Scanner) (*Episode, error) {
			var e Episode
			var started, alerted, ended int64
			if err := sc.Scan(&e.ID, &e.Kind, &e.Subject, &e.Unit, &e.UnitName, &e.Title, &started, &alerted, &ended, &e.Detail); err != nil {
				return nil, err
			}
			e.StartedAt, e.AlertedAt, e.EndedAt = store.Time(started), store.Time(alerted), store.Time(ended)
			return &e, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("health: list episodes: %w", err)
	}
	return out, total, nil
}
