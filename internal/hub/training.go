package hub

import (
	"fmt"
	"net"

	"vigil/internal/phishing"
)

// TrainingConfig is the part of `vigil serve` about awareness training
// and phishing drills (issue 14): how fast their mail goes out.
type TrainingConfig struct {
	// MailPerMinute is the rate of invitations and reminders (60 when 0).
	MailPerMinute int
	// DrillPerMinute bounds the drill messages one SMTP relay takes (30
	// when 0).
	DrillPerMinute int
	// ReportSMTP is where the hub receives e-mail forwarded to the report
	// address (an SMTP listener, e.g. :2525; off when empty), and
	// ReportAddresses the addresses it takes mail for.
	ReportSMTP      string
	ReportAddresses []string
}

// configureTraining applies cfg to training and drills.
func (h *Hub) configureTraining(cfg Config) {
	h.Training.MailPerMinute = cfg.Training.MailPerMinute
	h.Phishing.PerRelayPerMinute = cfg.Training.DrillPerMinute
}

// startReportListener starts the SMTP listener of the report address when
// configured; the returned function stops it.
func (h *Hub) startReportListener(cfg Config) (func(), error) {
	if cfg.Training.ReportSMTP == "" {
		return func() {}, nil
	}
	if len(cfg.Training.ReportAddresses) == 0 {
		return nil, fmt.Errorf("--report-smtp needs --report-address: the address employees forward suspicious e-mail to")
	}
	ln, err := net.Listen("tcp", cfg.Training.ReportSMTP)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Training.ReportSMTP, err)
	}
	l := &phishing.ReportListener{Service: h.Phishing, Addresses: cfg.Training.ReportAddresses, Logger: cfg.Logger}
	go func() {
		if err := l.Serve(ln); err != nil {
			cfg.Logger.Error("report SMTP listener", "err", err)
		}
	}()
	cfg.Logger.Info("phishing reports received by e-mail", "smtp", ln.Addr().String(), "addresses", cfg.Training.ReportAddresses)
	return func() { l.Close() }, nil
}
