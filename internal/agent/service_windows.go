package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// Install registers the agent as an automatic Windows service that
// restarts on failure, and starts it (unless start is false).
func Install(ctx context.Context, c ServiceConfig, start bool) error {
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return fmt.Errorf("agent: install: %w", err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("agent: install: connect to the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(WindowsServiceName); err == nil {
		s.Close()
		return fmt.Errorf("agent: install: service %s already exists; uninstall it first", WindowsServiceName)
	}
	s, err := m.CreateService(WindowsServiceName, c.Executable, mgr.Config{
		DisplayName:      "Vigil Agent",
		Description:      serviceDescription,
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true,
	}, "agent", "run", "--state-dir", c.StateDir)
	if err != nil {
		return fmt.Errorf("agent: install: create service: %w", err)
	}
	defer s.Close()
	_ = s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
		{Type: mgr.ServiceRestart, Delay: 5 * time.Minute},
	}, 86400)
	if start {
		if err := s.Start(); err != nil {
			return fmt.Errorf("agent: install: start service: %w", err)
		}
	}
	return nil
}

// Uninstall stops and deletes the service. The state directory stays
// unless purge.
func Uninstall(ctx context.Context, stateDir string, purge bool) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("agent: uninstall: connect to the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(WindowsServiceName)
	if err != nil {
		return fmt.Errorf("agent: uninstall: service %s not found: %w", WindowsServiceName, err)
	}
	defer s.Close()
	if st, err := s.Control(svc.Stop); err == nil {
		deadline := time.Now().Add(30 * time.Second)
		for st.State != svc.Stopped && time.Now().Before(deadline) {
			time.Sleep(300 * time.Millisecond)
			if st, err = s.Query(); err != nil {
				break
			}
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("agent: uninstall: delete service: %w", err)
	}
	if purge {
		return os.RemoveAll(stateDir)
	}
	return nil
}

// RunService runs the agent loop under the Windows service manager when
// started by it, answering stop and shutdown requests; otherwise in the
// foreground.
func RunService(ctx context.Context, run func(context.Context) error) error {
	isSvc, err := svc.IsWindowsService()
	if err != nil || !isSvc {
		return run(ctx)
	}
	h := &serviceHandler{run: run, ctx: ctx}
	if err := svc.Run(WindowsServiceName, h); err != nil {
		return fmt.Errorf("agent: service: %w", err)
	}
	return h.err
}

type serviceHandler struct {
	ctx context.Context
	run func(context.Context) error
	err error
}

func (h *serviceHandler) Execute(args []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			h.err = err
			if err != nil && !errors.Is(err, context.Canceled) {
				return true, uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR)
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
				select {
				case h.err = <-done:
				case <-time.After(20 * time.Second):
				}
				return false, 0
			}
		}
	}
}
