package hub

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/advisory"
	"vigil/internal/alerts"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/demo"
	"vigil/internal/duty"
	"vigil/internal/escalate"
	"vigil/internal/findings"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/incident"
	"vigil/internal/ingest"
	"vigil/internal/intel"
	"vigil/internal/jobs"
	"vigil/internal/measure"
	"vigil/internal/monthly"
	"vigil/internal/natreport"
	"vigil/internal/org"
	"vigil/internal/outbox"
	"vigil/internal/phishing"
	"vigil/internal/pipeline"
	"vigil/internal/readiness"
	"vigil/internal/scanimport"
	"vigil/internal/sources"
	"vigil/internal/store"
	"vigil/internal/taxii"
	"vigil/internal/training"
	"vigil/internal/vuln"
	"vigil/internal/vulnmatch"
	"vigil/internal/watchlist"
	"vigil/internal/web"
)

// This file is the one place a hub's capabilities are assembled: their
// services, their scheduled jobs and their demo data. Adding a capability
// means a field in web.Services, its line in each function below that
// concerns it, its migration, its handlers and routes in web, and its
// entries in the scope-matrix test (docs/architecture.md).

// services builds every capability's service on db, in dependency order.
func services(db *store.DB) web.Services {
	src := &sources.Service{DB: db}
	vs := &vuln.Service{DB: db}
	// Warning lists feed the agents (the hosts service's first indicator
	// source; watch_pipeline.go relies on it being first) and the pipeline.
	is := &intel.Service{DB: db}
	// The outbox delivers the national reports; the incident cases show its
	// deliveries on their timeline.
	ob := &outbox.Service{DB: db}
	ics := &incident.Service{DB: db, Deliveries: ob}
	hs := &hosts.Service{DB: db}
	hs.IndicatorSources = append(hs.IndicatorSources, is.AgentIndicators)
	hs.IndicatorVersion = is.AgentVersion
	sv := web.Services{
		Auth:     &auth.Service{DB: db, Audit: AuditAdapter, Throttle: auth.NewThrottle(20, 30)},
		Org:      &org.Service{DB: db},
		Hosts:    hs,
		Findings: &findings.Service{DB: db},
		Duty:     &duty.Service{DB: db},
		Sources:  src,
		Ingest:   ingest.New(src, ingest.Config{}, nil),
		Escalate: &escalate.Service{DB: db},
		Alerts:   &alerts.Service{DB: db},
		Rules:    &pipeline.Service{DB: db},
		Health:   &health.Service{DB: db},
		Scans:    &scanimport.Service{DB: db},
		Vuln:     vs,
		// Vulnerability matching: inventories against the knowledge base.
		VulnMatch: &vulnmatch.Service{DB: db, KB: vulnmatch.FromVuln(vs)},
		// Warning lists and threat intelligence (issue 12).
		Intel:      is,
		Watchlist:  &watchlist.Service{DB: db},
		TAXII:      &taxii.Service{DB: db},
		Advisories: &advisory.Service{DB: db},
		Training:   &training.Service{DB: db},
		Phishing:   &phishing.Service{DB: db},
		Incidents:  ics,
		// The outbox delivers the national reports (issue 13).
		Outbox: ob,
		// National incident reports (issue 13): cases read through the
		// incident service (which also keeps their reporting clocks), sent
		// through the outbox.
		Reports: &natreport.Service{DB: db, Cases: ics, Outbox: ob},
		// Readiness campaigns (issue 15): the measure providers below, the SOC's unit
		// in hooks.
		Readiness: &readiness.Service{DB: db},
	}
	// The monthly technical security report (issue 15) reads every
	// capability through its measure.Provider, incidents through their
	// monthly summary, warning lists through intel.
	providers := measureProviders(sv)
	sv.Monthly = &monthly.Service{DB: db, Providers: providers, Incidents: ics, Lists: is}
	sv.Readiness.Providers = providers
	return sv
}

// measureProviders lists the services that are measure providers
// (internal/measure), in the order of the directive's measures; a
// capability that stops being one fails to compile here.
func measureProviders(sv web.Services) []measure.Provider {
	return []measure.Provider{sv.Hosts, sv.Findings, sv.Alerts, sv.Duty, sv.Sources, sv.Health, sv.Training, sv.Phishing, sv.Incidents}
}

// hooks connects capabilities to one another once the services are built.
func (h *Hub) hooks() {
	// Publishing a warning list starts matching it (issue 12).
	h.Intel.OnPublish = append(h.Intel.OnPublish, h.Watchlist.Start)
	h.Watchlist.Logger = h.logger
	// Awareness training mails through the escalation SMTP settings (issue 14).
	h.Training.Logger, h.Training.Mail = h.logger, func() (*escalate.Mailer, string) { return h.Escalate.Mail, h.Escalate.PublicURL }
	// Phishing drills: the same relay; clickers are enrolled in training.
	h.Phishing.Training, h.Phishing.Logger, h.Phishing.Relay = h.Training, h.logger, h.Training.Mail
	h.Monthly.Logger = h.logger
	// An issued advisory is told to its target units through their
	// escalation channels.
	h.Advisories.Notify, h.Advisories.Logger = h.Escalate, h.logger
	// Readiness's measure 5 belongs to the SOC's unit (issue 15).
	h.Readiness.SOCUnit, h.Readiness.Logger = readiness.SOCOf(h.Duty), h.logger
}

// jobs lists the scheduled jobs of the hub and its capabilities.
func (h *Hub) jobs(sched *jobs.Scheduler) []jobs.Job {
	return []jobs.Job{
		{Name: "purge-sessions", Every: 10 * time.Minute, Run: func(ctx context.Context) error {
			_, err := h.Auth.PurgeSessions(ctx)
			return err
		}},
		{Name: "prune-job-runs", Every: time.Hour, Run: func(ctx context.Context) error {
			return sched.Prune(ctx, 7*24*time.Hour)
		}},
		// The audit head goes to the log every ten minutes: shipped off the
		// machine, these lines are anchors `vigil audit verify
		// --anchor-file` checks a rewritten history against.
		{Name: "audit-anchor", Every: 10 * time.Minute, Run: func(ctx context.Context) error {
			a, err := audit.Head(ctx, h.DB)
			if err == nil && a.Seq > 0 {
				h.logger.Info("audit anchor", "anchor", fmt.Sprintf("%d:%s", a.Seq, a.Hash))
			}
			return err
		}},
		// Health: single probe checks give way to their hourly roll-up.
		{Name: "health-prune", Every: time.Hour, Run: h.Health.Prune},
		// Health: silent sources, units with agents offline, stale feeds.
		{Name: "health-sweep", Every: time.Minute, Run: h.Health.Sweep},
		// Findings: risk acceptances that ended reopen; priorities follow
		// changed EPSS/KEV facts and host exposure (issue 11).
		{Name: "finding-risk-expiry", Every: 10 * time.Minute, Run: func(ctx context.Context) error { _, err := h.Findings.ExpireRisks(ctx); return err }},
		// Vulnerability matching: hosts whose inventory or the knowledge
		// base changed get their missing updates and CVEs again.
		{Name: "vuln-match", Every: time.Minute, Run: h.VulnMatch.Run},
		{Name: "finding-priority", Every: time.Hour, Run: func(ctx context.Context) error { _, err := findings.RecomputePriorities(ctx, h.DB); return err }},
		// Intel feeds (TAXII, MISP, STIX, CSV, RSS) whose time has come.
		{Name: "intel-feeds", Every: time.Minute, Run: h.TAXII.RunDue},
		// Warning lists: runs a stopped hub left pending resume; hosts
		// whose inventory changed are matched against the lists in force;
		// recorded actions a clean scan or inventory confirms close.
		{Name: "watchlist-runs", Every: time.Minute, Run: func(ctx context.Context) error { _, err := h.Watchlist.RunPending(ctx); return err }},
		{Name: "watchlist-rematch", Every: time.Minute, Run: h.Watchlist.Rematch},
		// Awareness training: invitations and reminders at the configured
		// rate, reminders whose time has come, expired sign-in links.
		{Name: "training-mail", Every: 10 * time.Second, Run: func(ctx context.Context) error { _, err := h.Training.SendDue(ctx, h.Training.Batch()); return err }},
		{Name: "training-remind", Every: 10 * time.Minute, Run: func(ctx context.Context) error { _, err := h.Training.QueueReminders(ctx); return err }},
		{Name: "phishing-send", Every: 10 * time.Second, Run: func(ctx context.Context) error { _, err := h.Phishing.SendDue(ctx, 50); return err }},
		{Name: "training-purge", Every: time.Hour, Run: h.Training.Purge},
		{Name: "directory-sync", Every: time.Minute, Run: func(ctx context.Context) error { _, err := h.Training.SyncDue(ctx); return err }},
		{Name: "watchlist-verify", Every: time.Minute, Run: func(ctx context.Context) error { _, err := h.Watchlist.Verify(ctx); return err }},
		// Incidents: reminders through the escalation channels before a
		// national report's deadline passes (issue 13).
		{Name: "incident-reminders", Every: time.Minute, Run: func(ctx context.Context) error { _, err := h.Incidents.Remind(ctx, h.Escalate); return err }},
		// The summaries (Mẫu 05) due before 20/06 and 15/12: a reminder a
		// week before and once overdue, to units that have not sent theirs.
		{Name: "report-summary-reminders", Every: time.Hour, Run: func(ctx context.Context) error { _, err := h.Reports.RemindSummaries(ctx, h.Escalate); return err }},
		// The monthly report: last month's, from the first working day of
		// the month (issue 15); hourly, it generates once.
		{Name: "monthly-report", Every: time.Hour, Run: h.Monthly.Run},
		// Readiness (issue 15): snapshots recomputed from the providers;
		// units at risk reminded once a day through their channels.
		{Name: "readiness-refresh", Every: 5 * time.Minute, Run: func(ctx context.Context) error { _, err := h.Readiness.RefreshDue(ctx); return err }},
		{Name: "readiness-remind", Every: time.Hour, Run: func(ctx context.Context) error { _, err := h.Readiness.Remind(ctx, h.Escalate); return err }},
	}
}

// loadDemo adds each capability's demo data to the demo organisation
// (which demo.Load has created); each loader does nothing when its data
// exists.
func (h *Hub) loadDemo(ctx context.Context) error {
	n, err := h.Hosts.LoadDemo(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		h.logger.Info("demo hosts loaded", "hosts", n)
	}
	officers, soc := map[string]string{}, ""
	for _, a := range demo.Accounts {
		switch a.Role {
		case auth.RoleOfficer:
			officers[a.Unit] = a.Email
		case auth.RoleAnalyst:
			soc = a.Email
		}
	}
	if n, err := h.Vuln.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo vulnerability knowledge base loaded", "records", n)
	}
	if n, err := h.VulnMatch.LoadDemo(ctx, h.Hosts); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo hosts matched against the knowledge base", "hosts", n)
	}
	// Warning lists from the shared STIX/MISP samples and demo hosts,
	// published. The watchlist's demo below queues their matching itself
	// (what the publish hook does) and then closes one item and makes one
	// late, which it does only while nothing is matched yet: the hooks
	// wait for it.
	hooks := h.Intel.OnPublish
	h.Intel.OnPublish = nil
	n, err = h.Intel.LoadDemo(ctx, vuln.SharedDataDir())
	h.Intel.OnPublish = hooks
	if err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo warning lists published", "indicators", n)
	}
	if err := h.Findings.LoadDemo(ctx, officers, soc); err != nil {
		return err
	}
	if n, err := h.Advisories.LoadDemo(ctx, officers); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo advisories loaded", "advisories", n)
	}
	if err := h.Alerts.LoadDemo(ctx, officers, soc); err != nil {
		return err
	}
	if n, err := h.Incidents.LoadDemo(ctx, officers, soc); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo incident cases loaded", "cases", n)
	}
	if n, err := h.Outbox.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo report recipients set", "purposes", n)
	}
	if n, err := h.Escalate.LoadDemo(ctx, officers, soc); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo escalation policies loaded", "policies", n)
	}
	if n, err := h.Sources.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo event sources loaded", "sources", n)
	}
	if _, err := h.Health.LoadDemo(ctx, h.listen); err != nil {
		return err
	}
	if n, err := h.Rules.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo detection rules loaded", "rules", n)
	}
	if err := h.Duty.LoadDemo(ctx, h.Org, demo.Password, soc, officers); err != nil {
		return err
	}
	if n, err := h.TAXII.LoadDemo(ctx, soc, officers); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo TAXII collection and example feed loaded", "added", n)
	}
	if n, err := h.Scans.LoadDemo(ctx, []string{"T01", "T48"}); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo scan imports loaded", "imports", n)
	}
	// Warning lists: the published demo list matched, queues in T01 and T48.
	if n, err := h.Watchlist.LoadDemo(ctx, officers); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo warning-list matches loaded", "matches", n)
	}
	if n, err := h.Training.LoadDemo(ctx, officers); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo training loaded", "employees", n)
	}
	if n, err := h.Phishing.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo phishing drill loaded", "drills", n)
	}
	// Last month's monthly technical report of the demo organisation
	// (after every capability's demo data).
	if made, err := h.Monthly.LoadDemo(ctx); err != nil {
		return err
	} else if made {
		h.logger.Info("demo monthly report generated")
	}
	// National reports of the demo cases (after the cases' demo).
	if n, err := h.Reports.LoadDemo(ctx); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo national reports loaded", "reports", n)
	}
	// The readiness campaign "Tết Đinh Mùi 2027" over every demo unit
	// (after every capability's demo data, which it reads).
	if n, err := h.Readiness.LoadDemo(ctx, officers); err != nil {
		return err
	} else if n > 0 {
		h.logger.Info("demo readiness campaign opened", "campaigns", n)
	}
	return nil
}
