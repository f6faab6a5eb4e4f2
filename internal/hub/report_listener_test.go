package hub

import (
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The report address's SMTP listener runs when --report-smtp is given,
// needs --report-address, takes mail for that address only, and stops.
func TestReportListener(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	h, err := New(db, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Logger: slog.New(slog.DiscardHandler)}
	if stop, err := h.startReportListener(cfg); err != nil {
		t.Fatal(err)
	} else {
		stop() // off: nothing to stop
	}
	cfg.Training.ReportSMTP = "127.0.0.1:0"
	if _, err := h.startReportListener(cfg); err == nil || !strings.Contains(err.Error(), "--report-address") {
		t.Fatalf("without an address: %v", err)
	}
	// A free port, then the listener on it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg.Training.ReportSMTP, cfg.Training.ReportAddresses = addr, []string{"baocao@a.vn"}
	stop, err := h.startReportListener(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	msg := []byte("From: an@a.vn\r\nSubject: FW\r\n\r\nnothing of a drill\r\n")
	if err := smtp.SendMail(addr, nil, "an@a.vn", []string{"baocao@a.vn"}, msg); err != nil {
		t.Fatalf("a report: %v", err)
	}
	if err := smtp.SendMail(addr, nil, "an@a.vn", []string{"other@a.vn"}, msg); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail for another address: %v", err)
	}
}
