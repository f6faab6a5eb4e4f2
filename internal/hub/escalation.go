package hub

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
)

// EscalationConfig is the part of `vigil serve` that tells people about
// alerts nobody acknowledges: the SMTP server, the hub's address for
// links, the Telegram Bot API, and how often escalation runs.
type EscalationConfig struct {
	// SMTPAddr (host:port) is the mail server; e-mail notifications fail
	// with a clear reason when it is empty. SMTPUser and SMTPPassword
	// authenticate (after STARTTLS); SMTPFrom is the sender.
	SMTPAddr, SMTPFrom, SMTPUser, SMTPPassword string
	// SMTPTLS configures STARTTLS (the system's roots and the server's
	// name when nil); tests trust their own server's certificate here.
	SMTPTLS *tls.Config
	// PublicURL is the hub's address as people reach it, for links in
	// messages ("https://vigil.example.vn"); http://LISTEN when empty.
	PublicURL string
	// TelegramAPI is the Bot API's base URL (a mirror, or a test server).
	TelegramAPI string
	// Every is how often alerts are checked and due notifications sent
	// (15 s when 0).
	Every time.Duration
	// Minute is the length of a policy's "minute": tests make it a few
	// milliseconds so that a 15-minute step comes in a moment.
	Minute time.Duration
}

// configureEscalation connects escalation to the duty roster and applies
// cfg. It is called once the services are built (New).
func (h *Hub) configureEscalation(cfg Config) {
	e, c := h.Escalate, cfg.Escalation
	e.Logger = h.logger
	e.Alerts = escalate.FromAlerts(h.Alerts)
	e.OnDuty = func(ctx context.Context, unitID int64, at time.Time) ([]escalate.Person, error) {
		ps, err := h.Duty.OnDuty(auth.WithPrincipal(ctx, auth.System), unitID, at)
		if err != nil {
			return nil, err
		}
		out := make([]escalate.Person, len(ps))
		for i, p := range ps {
			out[i] = escalate.Person{UserID: p.UserID, Email: p.Email, Name: p.Name, Lead: p.Role == "lead"}
		}
		return out, nil
	}
	e.SOCUnit = func(ctx context.Context) (int64, string, error) {
		soc, err := h.Duty.SOCUnit(auth.WithPrincipal(ctx, auth.System))
		if err != nil || soc == nil {
			return 0, "", err
		}
		return soc.UnitID, soc.Unit, nil
	}
	if c.SMTPAddr != "" {
		from := c.SMTPFrom
		if from == "" {
			host, _, _ := net.SplitHostPort(c.SMTPAddr)
			from = "vigil@" + strings.TrimPrefix(host, "smtp.")
		}
		e.Mail = &escalate.Mailer{Addr: c.SMTPAddr, From: from, User: c.SMTPUser, Password: c.SMTPPassword, TLS: c.SMTPTLS}
	}
	e.PublicURL = c.PublicURL
	if e.PublicURL == "" {
		e.PublicURL = "http://" + cfg.Listen
	}
	e.TelegramAPI = c.TelegramAPI
	e.Minute = c.Minute
}

// startEscalation runs escalation and delivery until ctx ends; wg waits
// for it.
func (h *Hub) startEscalation(ctx context.Context, cfg Config, wg *sync.WaitGroup) {
	if h.Escalate == nil {
		return
	}
	if h.Escalate.Mail != nil {
		h.logger.Info("notifications by e-mail", "smtp", h.Escalate.Mail.String())
	}
	if h.Escalate.Metrics == nil {
		m := escalate.NewMetrics()
		if err := m.Register(h.Server.Registry()); err == nil {
			h.Escalate.Metrics = m
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.Escalate.Run(ctx, cfg.Escalation.Every)
	}()
}
