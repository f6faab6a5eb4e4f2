package hub

// TrainingConfig is the part of `vigil serve` about awareness training
// and phishing drills (issue 14): how fast their mail goes out.
type TrainingConfig struct {
	// MailPerMinute is the rate of invitations and reminders (60 when 0).
	MailPerMinute int
	// DrillPerMinute bounds the drill messages one SMTP relay takes (30
	// when 0).
	DrillPerMinute int
}

// configureTraining applies cfg to training and drills.
func (h *Hub) configureTraining(cfg Config) {
	h.Training.MailPerMinute = cfg.Training.MailPerMinute
	h.Phishing.PerRelayPerMinute = cfg.Training.DrillPerMinute
}
