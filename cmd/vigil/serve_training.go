package main

import (
	"vigil/internal/cli"
	"vigil/internal/hub"
)

// addTrainingFlags declares the flags of awareness training's mail.
func addTrainingFlags(fs *cli.FlagSet) func() hub.TrainingConfig {
	mail := fs.Int("training-mail-rate", "-", 60, "training invitations and reminders sent a minute (through --smtp-addr)")
	drill := fs.Int("drill-relay-rate", "-", 30, "phishing drill messages one SMTP relay takes a minute")
	return func() hub.TrainingConfig { return hub.TrainingConfig{MailPerMinute: *mail, DrillPerMinute: *drill} }
}
