// Package escalate makes sure nobody's alert is left unacknowledged: an
// escalation policy says who is told, and when, about an alert that stays
// unacknowledged — "a critical alert not acknowledged in 15 minutes goes
// to the unit's officer on duty, then after 10 more minutes to the SOC
// analyst on duty, then to the SOC lead" — and notifications carry it by
// e-mail (SMTP), webhook (HMAC-signed JSON) or Telegram bot.
//
// Every notification is a row of the outbox (table notifications) before
// it is sent: who, which alert and step, what was said, every attempt and
// its result. A worker delivers due rows, claiming each so that two hub
// processes never both send it, retries failures with exponential backoff
// and jitter, and picks up where it left off after a restart. Reaching a
// step is itself claimed (table escalation_steps), so a step's
// notifications are made once however many hubs run the escalation.
//
// Alerts come from internal/alerts and who is on duty from internal/duty,
// through the Alerts and OnDuty fields the hub sets (internal/hub/wiring.go);
// escalate imports neither's tables.
package escalate

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"vigil/internal/store"
)

// Severities of alerts, least severe first (Sigma rule levels).
var Severities = []string{"informational", "low", "medium", "high", "critical"}

// severityRank orders severities; an unknown one ranks below every known.
func severityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i + 1
		}
	}
	return 0
}

// AtLeast reports whether severity s is min or more severe.
func AtLeast(s, min string) bool { return severityRank(s) >= severityRank(min) && severityRank(s) > 0 }

// Targets of an escalation step.
const (
	TargetUnitDuty = "unit_duty" // the person on duty for the alert's unit (or the nearest unit above it with one)
	TargetSOCDuty  = "soc_duty"  // the person on duty at the policy's SOC unit
	TargetSOCLead  = "soc_lead"  // the lead on duty at the policy's SOC unit
	TargetUser     = "user"      // a named user
	TargetChannel  = "channel"   // a channel: mailing list, webhook, Telegram chat
)

// Targets lists the step targets in the order forms show them.
var Targets = []string{TargetUnitDuty, TargetSOCDuty, TargetSOCLead, TargetUser, TargetChannel}

// Kinds of channels (and of notifications: a person is told by e-mail).
const (
	KindEmail    = "email"
	KindWebhook  = "webhook"
	KindTelegram = "telegram"
)

// Kinds lists the channel kinds.
var Kinds = []string{KindEmail, KindWebhook, KindTelegram}

// Statuses of a notification.
const (
	StatusPending   = "pending"   // waiting for its (next) attempt
	StatusDelivered = "delivered" // the server or receiver accepted it
	StatusFailed    = "failed"    // gave up: attempts exhausted, refused for good, or nobody to send to
	StatusCancelled = "cancelled" // the alert was acknowledged before it was sent
)

// Statuses lists the notification statuses.
var Statuses = []string{StatusPending, StatusDelivered, StatusFailed, StatusCancelled}

// Alert is what escalation needs to know of an unacknowledged alert.
type Alert struct {
	ID        int64
	RuleID    string
	Title     string
	Severity  string
	Host      string
	UnitID    int64
	Count     int
	FirstSeen time.Time // the first matched event's time
	LastSeen  time.Time
	// Raised is when the hub raised the alert: step delays count from
	// here (FirstSeen when zero). An event's own time may be long past.
	Raised time.Time
}

// Alerts is the alert queue as escalation sees it (internal/alerts
// provides it; see AlertsFunc).
type Alerts interface {
	// Unacknowledged lists open alerts nobody has acknowledged, of
	// severity min or above, raised more than olderThan ago, in the order
	// of their ids from the first above afterID, at most limit.
	Unacknowledged(ctx context.Context, min string, olderThan time.Duration, afterID int64, limit int) ([]Alert, error)
	// Acknowledged reports which of ids are no longer waiting for
	// someone: acknowledged, assigned or closed since they were raised.
	Acknowledged(ctx context.Context, ids []int64) (map[int64]bool, error)
}

// Person is someone on duty.
type Person struct {
	UserID int64
	Email  string
	Name   string
	// Lead marks the shift's lead (the SOC lead on duty).
	Lead bool
}

// OnDutyFunc says who is on duty for a unit at a time (internal/duty).
type OnDutyFunc func(ctx context.Context, unitID int64, at time.Time) ([]Person, error)

// Service is escalation: policies, channels, the outbox and its worker.
type Service struct {
	DB     *store.DB
	Logger *slog.Logger
	// Alerts and OnDuty connect escalation to the alert queue and the
	// duty roster; with either nil nothing is escalated (and a step whose
	// person on duty cannot be known is recorded as failed).
	Alerts Alerts
	OnDuty OnDutyFunc
	// SOCUnit names the unit that runs the SOC (internal/duty's setting),
	// for policies that name none.
	SOCUnit func(ctx context.Context) (id int64, code string, err error)
	// Mail sends e-mail; nil records e-mail notifications as failed
	// ("no SMTP server configured").
	Mail *Mailer
	// PublicURL is the hub's address as people reach it, for links in
	// messages ("https://vigil.example.vn").
	PublicURL string
	// TelegramAPI is the Bot API's base URL (https://api.telegram.org
	// when empty): a mirror, or a test server.
	TelegramAPI string
	// HTTP is the client of webhooks and Telegram (a 15 s timeout, no
	// redirects followed, when nil).
	HTTP HTTPDoer
	// UnackPage is how many unacknowledged alerts Escalate reads at once
	// (2,000 when 0); it walks through all of them, a page at a time.
	UnackPage int

	// Minute is how long a "minute" of a step's delay lasts: time.Minute
	// unless a test wants its escalation in seconds.
	Minute time.Duration
	// RetryBase and RetryMax bound the backoff between attempts (30 s and
	// 30 min when 0); MaxAttempts is how many attempts a notification
	// gets (8 when 0).
	RetryBase, RetryMax time.Duration
	MaxAttempts         int
	// Metrics, when set, count attempts and steps for /metrics.
	Metrics *Metrics
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Holder names this process in claims.
	Holder string

	wake     chan struct{}
	wakeOnce sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) minute() time.Duration {
	if s.Minute > 0 {
		return s.Minute
	}
	return time.Minute
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) holder() string {
	if s.Holder == "" {
		host, _ := os.Hostname()
		s.Holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	return s.Holder
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return 8
}

// Backoff is the wait before attempt n+1 after n failed attempts:
// RetryBase doubled each time, capped at RetryMax, with up to ±20 %
// jitter so that a receiver coming back is not hit by every hub at once.
func (s *Service) Backoff(n int) time.Duration {
	base, top := s.RetryBase, s.RetryMax
	if base <= 0 {
		base = 30 * time.Second
	}
	if top <= 0 {
		top = 30 * time.Minute
	}
	d := base
	for i := 1; i < n && d < top; i++ {
		d *= 2
	}
	d = min(d, top)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

func (s *Service) wakeCh() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Kick asks the worker to deliver now rather than at its next tick.
func (s *Service) Kick() {
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
}

// Run escalates and delivers every interval (and when kicked) until ctx
// ends. Any number of hub processes may run it on one database.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 15 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeCh():
		}
	}
}

// Tick runs one round: escalate the alerts whose next step is due, then
// deliver the due notifications. Errors are logged: the next tick retries.
func (s *Service) Tick(ctx context.Context) {
	if n, err := s.Escalate(ctx); err != nil {
		if ctx.Err() == nil {
			s.logger().Warn("escalation failed", "err", err)
		}
	} else if n > 0 {
		s.logger().Info("alerts escalated", "notifications", n)
	}
	if _, err := s.Deliver(ctx); err != nil && ctx.Err() == nil {
		s.logger().Warn("notification delivery failed", "err", err)
	}
}
