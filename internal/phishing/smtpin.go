package phishing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// ReportListener is the hub's SMTP listener for the report address: the
// organisation's mail server delivers (or forwards) mail for that address
// to it, and each message is read for drill tokens (ReportMail). It takes
// mail for the report addresses only (550 for any other), at most
// MaxReportSize a message, and answers 250 whether or not a drill was in
// it, as /phish/report does: a sender learns nothing from the answer.
type ReportListener struct {
	Service   *Service
	Addresses []string // the report addresses it accepts, e.g. baocao-luadao@bhxh.gov.vn
	Logger    *slog.Logger
	srv       *smtp.Server
}

// Serve accepts connections on ln until Close.
func (l *ReportListener) Serve(ln net.Listener) error {
	l.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ip := ""
		if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
			ip = a.IP.String()
		}
		return &reportSession{l: l, ip: ip}, nil
	}))
	l.srv.Domain = "vigil"
	l.srv.MaxMessageBytes = MaxReportSize
	l.srv.MaxRecipients = 10
	l.srv.ReadTimeout, l.srv.WriteTimeout = time.Minute, time.Minute
	l.srv.ErrorLog = slogLogger{l.logger()}
	err := l.srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the listener.
func (l *ReportListener) Close() error {
	if l.srv == nil {
		return nil
	}
	return l.srv.Close()
}

func (l *ReportListener) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

func (l *ReportListener) accepts(to string) bool {
	for _, a := range l.Addresses {
		if strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(to)) {
			return true
		}
	}
	return false
}

type reportSession struct {
	l    *ReportListener
	ip   string
	from string
	to   int
}

func (s *reportSession) Reset()        { s.from, s.to = "", 0 }
func (s *reportSession) Logout() error { return nil }

func (s *reportSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *reportSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !s.l.accepts(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "this server takes only reports of suspicious e-mail"}
	}
	s.to++
	return nil
}

func (s *reportSession) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(r, MaxReportSize+1)); err != nil {
		return err
	}
	if b.Len() > MaxReportSize {
		return smtp.ErrDataTooLarge
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.l.Service.ReportMail(ctx, s.from, b.Bytes(), s.ip)
	if err != nil {
		s.l.logger().Error("phishing: reported e-mail", "from", s.from, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.l.logger().Info("phishing: reported e-mail", "from", s.from, "tokens", res.Tokens, "counted", res.Counted, "others", res.Others)
	return nil
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) {
	s.l.Warn("report smtp: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (s slogLogger) Println(v ...any) {
	s.l.Warn("report smtp: " + strings.TrimSpace(fmt.Sprint(v...)))
}
