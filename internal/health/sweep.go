package health

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/sources"
	"vigil/internal/store"
)

// ill is one subject in ill health now, as a sweep finds it.
type ill struct {
	subject string
	unitID  int64
	title   string
	since   time.Time
	detail  string
	match   alerts.Match
}

// Sweep looks at every source, unit and feed (a job, every minute): a
// subject newly in ill health begins an episode and raises its one alert;
// a subject well again ends its episode, noted on the alert.
func (s *Service) Sweep(ctx context.Context) error {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if s.Sources != nil {
		found, err := s.silentSources(ctx)
		if err == nil {
			err = s.reconcile(ctx, EpisodeSource, found, nil)
		}
		keep(err)
	}
	if s.Hosts != nil {
		found, err := s.offlineAgents(ctx)
		if err == nil {
			err = s.reconcile(ctx, EpisodeAgents, found, nil)
		}
		keep(err)
	}
	found, fresh, err := s.staleFeeds(ctx)
	if err == nil {
		err = s.reconcile(ctx, EpisodeFeed, found, fresh)
	}
	keep(err)
	return firstErr
}

// silentSources lists the active sources that have sent nothing for
// longer than their expected interval.
func (s *Service) silentSources(ctx context.Context) ([]ill, error) {
	var out []ill
	for offset := 0; ; {
		list, total, err := s.Sources.List(ctx, sources.Filter{Status: "silent", Offset: offset, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, src := range list {
			since := src.LastEventAt
			detail := "no event since " + since.UTC().Format(time.RFC3339)
			if since.IsZero() {
				since, detail = src.CreatedAt, "no event since it was registered"
			}
			detail += fmt.Sprintf("; expected every %d minutes", src.IntervalMinutes)
			id := strconv.FormatInt(src.ID, 10)
			out = append(out, ill{subject: id, unitID: src.UnitID, title: src.Name, since: since, detail: detail,
				match: alerts.Match{RuleID: RuleSourceSilent, RuleTitle: "Event source silent: " + src.Name, Level: "high",
					SourceID: src.ID, UnitID: src.UnitID, Key: "source:" + id}})
		}
		offset += len(list)
		if len(list) == 0 || offset >= total {
			return out, nil
		}
	}
}

// offlineAgents lists the units with agents not seen for longer than the
// threshold: one subject per unit, however many hosts.
func (s *Service) offlineAgents(ctx context.Context) ([]ill, error) {
	units, err := s.Hosts.OfflineAgentsByUnit(ctx, s.AgentsOfflineAfter)
	if err != nil {
		return nil, err
	}
	var out []ill
	for _, u := range units {
		id := strconv.FormatInt(u.UnitID, 10)
		out = append(out, ill{subject: id, unitID: u.UnitID, title: u.UnitName, since: u.Newest,
			detail: fmt.Sprintf("%d of %d agents offline", u.Offline, u.Agents),
			match: alerts.Match{RuleID: RuleAgentsOffline, RuleTitle: fmt.Sprintf("Agents offline in %s", u.UnitName), Level: "low",
				UnitID: u.UnitID, Key: "agents:" + id}})
	}
	return out, nil
}

// staleFeeds lists the feeds past their maximum age, and those this
// process knows to be fresh (a feed another process refreshes is neither:
// its episode is left as it is).
func (s *Service) staleFeeds(ctx context.Context) ([]ill, map[string]bool, error) {
	states := s.feedStates(ctx)
	var out []ill
	fresh := map[string]bool{}
	var root int64
	for _, f := range states {
		if !f.Stale {
			fresh[f.Name] = true
			continue
		}
		if root == 0 {
			err := s.DB.InTx(ctx, func(tx *store.Tx) (err error) {
				root, err = rootUnit(ctx, tx)
				return err
			})
			if err != nil {
				return nil, nil, err
			}
		}
		detail := "never updated"
		if !f.LastUpdate.IsZero() {
			detail = "last updated " + f.LastUpdate.UTC().Format(time.RFC3339)
		}
		if f.LastError != "" {
			detail += "; " + f.LastError
		}
		out = append(out, ill{subject: f.Name, unitID: root, title: f.Title, since: f.LastUpdate, detail: detail,
			match: alerts.Match{RuleID: RuleFeedStale, RuleTitle: "Feed stale: " + f.Title, Level: "medium", UnitID: root, Key: "feed:" + f.Name}})
	}
	return out, fresh, nil
}

// reconcile begins an episode (and raises its alert) for each subject of
// kind found ill that has none open, keeps the detail of those going on,
// and ends the open episodes of subjects no longer found — of those in
// well, when it is given (feeds: only what this process can vouch for).
func (s *Service) reconcile(ctx context.Context, kind string, found []ill, well map[string]bool) error {
	now := s.now()
	seen := map[string]bool{}
	var begun []*ill
	var ended []*episode
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		for i := range found {
			f := &found[i]
			seen[f.subject] = true
			since := f.since
			if since.IsZero() {
				since = now
			}
			e, err := beginEpisode(ctx, tx, episode{Kind: kind, Subject: f.subject, UnitID: f.unitID, Title: f.title, StartedAt: since, Detail: f.detail}, store.Micros(now))
			if err != nil {
				return err
			}
			if e != nil {
				begun = append(begun, f)
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE health_episodes SET detail = ? WHERE kind = ? AND subject = ? AND ended_at = 0 AND detail <> ?`,
				i18n.Shorten(f.detail, 500), kind, f.subject, i18n.Shorten(f.detail, 500)); err != nil {
				return fmt.Errorf("health: %s episode %s: %w", kind, f.subject, err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT subject FROM health_episodes WHERE kind = ? AND ended_at = 0`, kind)
		if err != nil {
			return fmt.Errorf("health: open %s episodes: %w", kind, err)
		}
		var gone []string
		for rows.Next() {
			var subject string
			if err := rows.Scan(&subject); err != nil {
				rows.Close()
				return err
			}
			if !seen[subject] && (well == nil || well[subject]) {
				gone = append(gone, subject)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, subject := range gone {
			e, err := endEpisode(ctx, tx, kind, subject, store.Micros(now), "well again")
			if err != nil {
				return err
			}
			if e != nil {
				ended = append(ended, e)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range begun {
		m := f.match
		m.Time = now
		s.raise(ctx, m)
	}
	for _, e := range ended {
		s.recovered(ctx, e)
	}
	return nil
}

// UseAlerts points Raise and Recover at the alert queue: an episode's
// alert is filed with Record; its end is added to the alert's note while
// the alert is still being worked.
func (s *Service) UseAlerts(a *alerts.Service) {
	s.Raise = func(ctx context.Context, m alerts.Match) error { return a.Record(ctx, []alerts.Match{m}) }
	s.Recover = func(ctx context.Context, rule string, unitID int64, key string, from, to time.Time) error {
		ctx = auth.WithPrincipal(ctx, auth.System)
		list, _, err := a.List(ctx, alerts.Filter{Rule: rule, Statuses: alerts.Active, Limit: 200})
		if err != nil {
			return err
		}
		for _, al := range list {
			if al.UnitID != unitID || al.Key != key {
				continue
			}
			note := recoveryNote(from, to)
			if al.Note != "" {
				note = al.Note + "\n" + note
			}
			if len(note) > 4000 {
				note = note[len(note)-4000:]
			}
			_, err := a.Update(ctx, al.ID, alerts.Update{Note: &note})
			return err
		}
		return nil
	}
}

// recoveryNote says, in both languages, when the ill health ended.
func recoveryNote(from, to time.Time) string {
	d := to.Sub(from).Round(time.Minute)
	return strings.Join([]string{
		fmt.Sprintf("Đã trở lại bình thường lúc %s (sau %s).", i18n.FormatTime(to, "vi"), d),
		fmt.Sprintf("Back to normal at %s (after %s).", i18n.FormatTime(to, "en"), d),
	}, " ")
}
