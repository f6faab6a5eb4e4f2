package outbox

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/escalate"
	"vigil/internal/store"
)

// Purposes select the recipients of a message.
const (
	PurposeInitial = "incident_initial" // Mẫu 03, the initial report
	PurposeFinal   = "incident_final"   // Mẫu 04, the final report
	PurposeSummary = "incident_summary" // Mẫu 05, the six-monthly / annual summary
)

// Purposes lists the purposes in the order the settings page shows them.
var Purposes = []string{PurposeInitial, PurposeFinal, PurposeSummary}

// Channels of a delivery.
const (
	ChannelEmail = "email"
	ChannelHTTP  = "http"
)

// Channels lists the delivery channels.
var Channels = []string{ChannelEmail, ChannelHTTP}

// Statuses of a delivery.
const (
	StatusPending   = "pending"   // waiting for its (next) attempt
	StatusSending   = "sending"   // claimed by a hub process, being sent
	StatusDelivered = "delivered" // the server or receiver accepted it
	StatusFailed    = "failed"    // given up: refused for good, or retried past the give-up span
)

// Statuses lists the delivery statuses.
var Statuses = []string{StatusPending, StatusSending, StatusDelivered, StatusFailed}

// Results of an attempt.
const (
	ResultDelivered = "delivered"
	ResultRetry     = "retry"
	ResultFailed    = "failed"
)

// Recipient roles: whom an address stands for (Circular 20/2017 Art. 9
// names the first three).
const (
	RoleOwner       = "owner"       // the system's owner body (cơ quan chủ quản)
	RoleCoordinator = "coordinator" // the national coordinator (VNCERT/CC, now under A05)
	RoleSpecialised = "specialised" // the specialised response unit
	RoleExtra       = "extra"       // an address the caller added (Message.To)
	RoleEndpoint    = "endpoint"    // the purpose's HTTP endpoint
)

// Service is the outbox: recipients per purpose, the deliveries and their
// worker.
type Service struct {
	DB     *store.DB
	Logger *slog.Logger
	// Mail sends e-mail (the hub's SMTP server, shared with escalation);
	// nil makes e-mail deliveries wait and retry with "no SMTP server is
	// configured" until one is, or until they give up.
	Mail *escalate.Mailer
	// HTTP is the client of HTTP deliveries: when nil, one with a 30 s
	// timeout that follows no redirect.
	HTTP escalate.HTTPDoer
	// RetryBase and RetryMax bound the wait between attempts (30 s
	// doubling up to 1 h when 0); GiveUpAfter is how long a delivery is
	// retried before it fails for good (7 days when 0).
	RetryBase, RetryMax, GiveUpAfter time.Duration
	// Lease is how long a claimed delivery is this process's (5 min when
	// 0): longer than any one attempt, so only a process that died lets a
	// delivery go before its attempt is recorded.
	Lease time.Duration
	// Metrics, when set, count attempts for /metrics.
	Metrics *Metrics
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Holder names this process in claims and attempts.
	Holder string
	// Batch is how many due deliveries one round takes (50 when 0).
	Batch int

	wake     chan struct{}
	wakeOnce sync.Once
	holdOnce sync.Once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) holder() string {
	s.holdOnce.Do(func() {
		if s.Holder == "" {
			host, _ := os.Hostname()
			s.Holder = host + ":" + strconv.Itoa(os.Getpid())
		}
	})
	return s.Holder
}

func (s *Service) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return 5 * time.Minute
}

func (s *Service) giveUpAfter() time.Duration {
	if s.GiveUpAfter > 0 {
		return s.GiveUpAfter
	}
	return 7 * 24 * time.Hour
}

var defaultHTTP = &http.Client{
	Timeout: 30 * time.Second,
	// A receiver that redirects is answered as it is: following it would
	// send the report somewhere nobody configured.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (s *Service) http() escalate.HTTPDoer {
	if s.HTTP != nil {
		return s.HTTP
	}
	return defaultHTTP
}

// Backoff is the wait before attempt n+1 after n failed attempts:
// RetryBase (30 s) doubled each time up to RetryMax (1 h), with ±20 %
// jitter so that a receiver coming back is not hit by every hub at once.
func (s *Service) Backoff(n int) time.Duration {
	base, top := s.RetryBase, s.RetryMax
	if base <= 0 {
		base = 30 * time.Second
	}
	if top <= 0 {
		top = time.Hour
	}
	d := base
	for i := 1; i < n && d < top; i++ {
		d *= 2
	}
	d = min(d, top)
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

func (s *Service) wakeCh() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Kick asks the worker to deliver now rather than at its next tick (a
// new message, a "retry now").
func (s *Service) Kick() {
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
}

// Run delivers what is due every interval (and when kicked) until ctx
// ends. Any number of hub processes may run it on one database.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Deliver(ctx); err != nil && ctx.Err() == nil {
			s.logger().Warn("outbox delivery failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeCh():
		}
	}
}

// Metrics count what the outbox does, for /metrics.
type Metrics struct {
	// Attempts by channel and result: delivered, retry, failed.
	Attempts *prometheus.CounterVec
}

// NewMetrics makes the counters.
func NewMetrics() *Metrics {
	return &Metrics{Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_outbox_attempts_total",
		Help: "Outbox delivery attempts (national reports) by channel and result (delivered, retry, failed)."}, []string{"channel", "result"})}
}

// Register adds the counters to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error { return reg.Register(m.Attempts) }

func (s *Service) count(channel, result string) {
	if s.Metrics != nil {
		s.Metrics.Attempts.WithLabelValues(channel, result).Inc()
	}
}
