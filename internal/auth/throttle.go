package auth

import (
	"sync"
	"time"
)

// Throttle limits login attempts per client address with a token bucket, in
// memory. Per-account lockout lives in the database so it holds across hub
// processes; this guards against one address spraying many accounts.
type Throttle struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewThrottle allows burst attempts at once and perMinute on average.
func NewThrottle(burst int, perMinute float64) *Throttle {
	return &Throttle{buckets: map[string]*bucket{}, rate: perMinute / 60, burst: float64(burst), now: time.Now}
}

// Allow takes one token for key and reports whether the attempt may go on.
func (t *Throttle) Allow(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.buckets[key]
	if b == nil {
		if len(t.buckets) > 100000 {
			t.sweep(now)
		}
		b = &bucket{tokens: t.burst, last: now}
		t.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * t.rate
	if b.tokens > t.burst {
		b.tokens = t.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (t *Throttle) sweep(now time.Time) {
	for k, b := range t.buckets {
		if now.Sub(b.last) > 10*time.Minute {
			delete(t.buckets, k)
		}
	}
}
