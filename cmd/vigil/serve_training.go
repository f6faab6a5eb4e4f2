package main

import (
	"vigil/internal/cli"
	"vigil/internal/hub"
)

// addTrainingFlags declares the flags of awareness training's mail.
func addTrainingFlags(fs *cli.FlagSet) func() hub.TrainingConfig {
	mail := fs.Int("training-mail-rate", "-", 60, "training invitations and reminders sent a minute (through --smtp-addr)")
	drill := fs.Int("drill-relay-rate", "-", 30, "phishing drill messages one SMTP relay takes a minute")
	reportSMTP := fs.String("report-smtp", "-", "", "receive e-mail forwarded to the phishing report address on this SMTP address (e.g. :2525; the mail server delivers that address here); off when empty")
	reportAddr := fs.Strings("report-address", "the address employees forward suspicious e-mail to, which --report-smtp takes mail for (repeatable; env: comma-separated)")
	return func() hub.TrainingConfig {
		return hub.TrainingConfig{MailPerMinute: *mail, DrillPerMinute: *drill, ReportSMTP: *reportSMTP, ReportAddresses: *reportAddr}
	}
}
