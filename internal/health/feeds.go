package health

import (
	"context"
	"sort"
	"time"
)

// Feed is anything the hub refreshes from outside: indicator sources, the
// rules directory, later the vulnerability feeds and the warning lists.
// It reports each feed it knows with its last successful update and how
// old it may grow; one past that age is stale, shown on the health page
// and alerted (one alert per stale stretch).
type Feed interface {
	FeedStates(ctx context.Context) ([]FeedState, error)
}

// FeedFunc adapts a function to Feed.
type FeedFunc func(ctx context.Context) ([]FeedState, error)

// FeedStates calls f.
func (f FeedFunc) FeedStates(ctx context.Context) ([]FeedState, error) { return f(ctx) }

// FeedState is one feed's freshness.
type FeedState struct {
	// Name is stable and unique across feeds ("rules", "indicators/misp").
	Name  string `json:"name"`
	Title string `json:"title"`
	// LastUpdate is the last successful refresh; zero if there was none.
	LastUpdate time.Time     `json:"last_update,omitzero"`
	MaxAge     time.Duration `json:"-"`
	// LastError is the last refresh's failure, if it failed.
	LastError string `json:"last_error,omitempty"`

	MaxAgeSeconds int  `json:"max_age_seconds"`
	AgeSeconds    int  `json:"age_seconds"` // -1 when never updated
	Stale         bool `json:"stale"`
}

// feedStates gathers every feed's state, stale ones first then by name;
// a feed that cannot say is reported stale with its error.
func (s *Service) feedStates(ctx context.Context) []FeedState {
	now := s.now()
	var out []FeedState
	for _, f := range s.Feeds {
		states, err := f.FeedStates(ctx)
		if err != nil {
			s.logger().Warn("health: feed state", "err", err)
			continue
		}
		for _, st := range states {
			st.MaxAgeSeconds = int(st.MaxAge / time.Second)
			st.AgeSeconds = -1
			if !st.LastUpdate.IsZero() {
				st.AgeSeconds = int(now.Sub(st.LastUpdate) / time.Second)
			}
			st.Stale = st.LastUpdate.IsZero() || (st.MaxAge > 0 && now.Sub(st.LastUpdate) > st.MaxAge)
			out = append(out, st)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Stale != out[j].Stale {
			return out[i].Stale
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// FeedStatus reports every feed the hub refreshes (everyone signed in).
func (s *Service) FeedStatus(ctx context.Context) ([]FeedState, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	return s.feedStates(ctx), nil
}
