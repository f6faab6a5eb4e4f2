package main

import (
	"time"

	"vigil/internal/cli"
	"vigil/internal/hub"
)

// addEscalationFlags declares the flags of notifications (each with its
// VIGIL_* variable: VIGIL_SMTP_ADDR, VIGIL_SMTP_PASSWORD, ...) and returns
// the configuration they give once parsed.
func addEscalationFlags(fs *cli.FlagSet) func() hub.EscalationConfig {
	addr := fs.String("smtp-addr", "-", "", "SMTP server (host:port, e.g. smtp.example.vn:587) for e-mail notifications; STARTTLS is used when offered")
	from := fs.String("smtp-from", "-", "", "sender address of notifications (vigil@ the SMTP server's domain when empty)")
	user := fs.String("smtp-user", "-", "", "SMTP user name (AUTH PLAIN, only after STARTTLS unless the server is on this machine)")
	password := fs.String("smtp-password", "-", "", "SMTP password; prefer the VIGIL_SMTP_PASSWORD variable to a flag others can read in ps")
	publicURL := fs.String("public-url", "-", "", "the hub's address as people reach it, for links in notifications (http://LISTEN when empty)")
	telegram := fs.String("telegram-api", "-", "", "Telegram Bot API base URL (https://api.telegram.org when empty; a mirror for air-gapped networks)")
	every := fs.Duration("escalation-every", "-", 15*time.Second, "how often unacknowledged alerts are checked and due notifications sent")
	return func() hub.EscalationConfig {
		return hub.EscalationConfig{SMTPAddr: *addr, SMTPFrom: *from, SMTPUser: *user, SMTPPassword: *password,
			PublicURL: *publicURL, TelegramAPI: *telegram, Every: *every}
	}
}
