package web

import (
	"io/fs"
	"net/http"

	"vigil/internal/agent/agentapi"
	"vigil/internal/alerts"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/findings"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/org"
	"vigil/internal/pipeline"
	"vigil/internal/scanimport"
	"vigil/internal/sources"
	"vigil/internal/vuln"
	"vigil/internal/vulnmatch"
)

// This file lists every route the hub serves, in one place (as Miniflux
// does): health and metrics, the JSON API (whose table also builds the
// OpenAPI document), and the pages. A capability adds its block here, its
// handlers in web/<capability>_*.go and its dashboard card and unit-page
// section in the two lists at the end.

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if !s.MetricsElsewhere {
		s.mux.Handle("GET /metrics", s.MetricsHandler())
	}

	// API: sign-in, units and contacts, users, tokens, audit.
	s.api(apiRoute{Method: "POST", Path: "/api/v1/auth/token", Tag: "auth", Public: true, Summary: "Exchange e-mail and password for an API token",
		Body: tokenRequest{}, Result: tokenResponse{}, Handler: s.apiLoginToken})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/me", Tag: "auth", Summary: "The caller", Result: me{}, Handler: s.apiMe})

	s.api(apiRoute{Method: "GET", Path: "/api/v1/units", Tag: "units", Summary: "List units in the caller's scope", Result: org.Unit{},
		Paged: true, Sorts: org.UnitSortKeys, Query: []string{"q", "kind", "parent", "under"}, Handler: s.apiListUnits})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/units", Tag: "units", Summary: "Create a unit", Body: org.UnitInput{}, Result: org.Unit{}, Handler: s.apiCreateUnit})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/units/import", Tag: "units", Summary: "Import units from CSV (text/csv body; atomic)", RawBody: "text/csv", Status: http.StatusOK, Result: org.ImportResult{},
		Query: []string{"file"}, Handler: s.apiImportUnits})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/units/{code}", Tag: "units", Summary: "Fetch a unit", Result: org.Unit{}, Handler: s.apiGetUnit})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/units/{code}", Tag: "units", Summary: "Change a unit's name or kind", Body: org.UnitPatch{}, Result: org.Unit{}, Handler: s.apiUpdateUnit})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/units/{code}", Tag: "units", Summary: "Delete an empty unit", Handler: s.apiDeleteUnit})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/units/{code}/contacts", Tag: "units", Summary: "A unit's points of contact", Result: org.Contact{},
		Paged: true, Sorts: org.ContactSortKeys, Handler: s.apiListContacts})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/units/{code}/contacts", Tag: "units", Summary: "Add a point of contact", Body: org.ContactInput{}, Result: org.Contact{}, Handler: s.apiAddContact})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/contacts/{id}", Tag: "units", Summary: "Remove a point of contact", Handler: s.apiDeleteContact})

	s.api(apiRoute{Method: "GET", Path: "/api/v1/users", Tag: "users", Summary: "List users in the caller's scope", Result: org.User{},
		Paged: true, Sorts: org.UserSortKeys, Query: []string{"q", "role", "unit"}, Handler: s.apiListUsers})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/users", Tag: "users", Summary: "Create a user", Body: org.UserInput{}, Result: org.User{}, Handler: s.apiCreateUser})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/users/{id}", Tag: "users", Summary: "Fetch a user", Result: org.User{}, Handler: s.apiGetUser})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/users/{id}", Tag: "users", Summary: "Change a user (role, unit, disabled, password, unlock)", Body: org.UserPatch{}, Result: org.User{}, Handler: s.apiUpdateUser})

	s.api(apiRoute{Method: "GET", Path: "/api/v1/tokens", Tag: "auth", Summary: "The caller's API tokens (admins: ?all=1 for everyone's)", Result: auth.APIToken{},
		Paged: true, Sorts: auth.TokenSortKeys, Query: []string{"all"}, Handler: s.apiListTokens})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/tokens", Tag: "auth", Summary: "Create an API token acting as the caller", Body: tokenCreate{}, Result: tokenResponse{}, Handler: s.apiCreateToken})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/tokens/{id}", Tag: "auth", Summary: "Revoke an API token", Handler: s.apiRevokeToken})

	s.api(apiRoute{Method: "GET", Path: "/api/v1/audit", Tag: "audit", Summary: "Browse the audit log, newest first (sort=at&order=asc: oldest first); total counts at most 10,000 rows past the page (total_capped)", Result: auditItem{},
		Paged: true, Sorts: audit.SortKeys, Query: []string{"actor", "actor_kind", "action", "object_type", "object_id", "unit", "since", "until", "lang"}, Handler: s.apiAudit})

	// API: measure 1 — agents, hosts, malware review, coverage.
	s.api(apiRoute{Method: "POST", Path: "/api/v1/enrollment-tokens", Tag: "agents", Summary: "Create an enrolment token for a unit's agents",
		Body: hosts.EnrollmentTokenInput{}, Result: hosts.EnrollmentToken{}, Handler: s.apiCreateEnrollmentToken})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/enrollment-tokens", Tag: "agents", Summary: "List enrolment tokens in scope", Result: hosts.EnrollmentToken{},
		Paged: true, Sorts: hosts.EnrollmentTokenSortKeys, Query: []string{"unit"}, Handler: s.apiListEnrollmentTokens})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/enrollment-tokens/{id}", Tag: "agents", Summary: "Revoke an enrolment token", Handler: s.apiRevokeEnrollmentToken})

	s.api(apiRoute{Method: "POST", Path: agentapi.PathEnroll, Tag: "agents", Public: true, Summary: "Enrol an agent with an enrolment token (Authorization: Bearer vge_..., checked before the body is read)",
		Body: agentapi.EnrollRequest{}, Result: agentapi.EnrollResponse{}, Handler: s.apiEnroll})
	s.api(apiRoute{Method: "POST", Path: agentapi.PathHeartbeat, Tag: "agents", Agent: true, Summary: "Agent heartbeat; returns pending tasks",
		Body: agentapi.HeartbeatRequest{}, Result: agentapi.HeartbeatResponse{}, Status: http.StatusOK, Handler: s.apiHeartbeat})
	s.api(apiRoute{Method: "POST", Path: agentapi.PathInventory, Tag: "agents", Agent: true, Summary: "Agent posts a full inventory or the changes since the last",
		Body: agentapi.InventoryRequest{}, Result: agentapi.InventoryResponse{}, Status: http.StatusOK, Handler: s.apiAgentInventory})
	s.api(apiRoute{Method: "GET", Path: agentapi.PathIndicators, Tag: "agents", Agent: true, Summary: "Indicators agents scan for",
		Result: agentapi.IndicatorsResponse{}, Query: []string{"since"}, Handler: s.apiAgentIndicators})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/agents/tasks/{id}/result", Tag: "agents", Agent: true, Summary: "Agent reports a task's progress or result",
		Body: agentapi.TaskResult{}, Handler: s.apiTaskResult})
	s.api(apiRoute{Method: "POST", Path: agentapi.PathScanReports, Tag: "agents", Agent: true, Summary: "Agent reports a scan it ran on its own (vigil agent scan --report)",
		Body: agentapi.ScanReport{}, Result: agentapi.ScanReportResponse{}, Status: http.StatusCreated, Handler: s.apiScanReport})

	s.api(apiRoute{Method: "GET", Path: "/api/v1/hosts", Tag: "hosts", Summary: "List hosts in scope", Result: hosts.Host{},
		Paged: true, Sorts: hosts.HostSortKeys, Query: []string{"unit", "os", "role", "failing", "stale", "seen_before", "seen_after", "q"}, Handler: s.apiListHosts})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/hosts/import", Tag: "hosts", Summary: "Import host inventories (agent JSON, CSV template or osquery JSON) into a unit; all validated before any is written; at most --import-max-rows hosts",
		RawBody: "application/octet-stream", Status: http.StatusOK, Result: hosts.ImportResult{}, Query: []string{"unit", "file", "format"}, Handler: s.apiImportHosts})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/hosts/{id}", Tag: "hosts", Summary: "A host with its latest inventory", Result: hosts.HostDetail{}, Handler: s.apiGetHost})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/hosts/{id}", Tag: "hosts", Summary: "Remove a decommissioned host", Handler: s.apiDeleteHost})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/hosts/{id}/changes", Tag: "hosts", Summary: "A host's inventory history", Result: hosts.ChangeRecord{},
		Paged: true, Sorts: hosts.ChangeSortKeys, Handler: s.apiHostChanges})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/hosts/{id}/tasks", Tag: "hosts", Summary: "Tasks sent to a host's agent", Result: hosts.Task{},
		Paged: true, Sorts: hosts.TaskSortKeys, Handler: s.apiHostTasks})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/hosts/{id}/scan", Tag: "hosts", Summary: "Ask a host's agent for a malware scan", Body: scanRequest{}, Result: hosts.Task{}, Handler: s.apiScanHost})
	// API: a host's missing Microsoft updates (internal/vulnmatch).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/hosts/{id}/missing-updates", Tag: "hosts", Summary: "The Microsoft security updates a host lacks (from MSRC data): the KB to install, the CVEs it closes, severity, product",
		Result: vulnmatch.MissingUpdate{}, List: true, Handler: s.apiMissingUpdates})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/units/{code}/coverage", Tag: "hosts", Summary: "Security-control coverage of a unit's subtree", Result: hosts.Coverage{}, Handler: s.apiCoverage})

	// API: the findings queue (every kind: malware, vulnerabilities,
	// missing updates, warning-list matches).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/findings", Tag: "findings", Summary: "Findings on hosts in scope, newest first", Result: findings.Finding{},
		Paged: true, Sorts: findings.SortKeys, Query: []string{"unit", "kind", "status", "severity", "host", "owner", "overdue", "cve", "kev", "source", "kb", "ms2023"}, Handler: s.apiListFindings})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/findings/bulk", Tag: "findings", Summary: "Change several findings at once (all or none)",
		Body: findingsBulk{}, Result: findings.Finding{}, List: true, Handler: s.apiUpdateFindings})
	// API: findings to closure and the vulnerability views (issue 11).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/findings/due-days", Tag: "findings", Summary: "Days to fix a finding, per kind and severity", Result: dueDaysBody{}, Handler: s.apiDueDays})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/findings/due-days", Tag: "findings", Summary: "Change the days to fix a finding (administrators; new and reopened findings)",
		Body: dueDaysBody{}, Result: dueDaysBody{}, Status: http.StatusOK, Handler: s.apiSetDueDays})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/vulnerabilities/dashboard", Tag: "findings", Summary: "A unit's vulnerabilities and missing updates: totals, the units under it rolled up, the weekly trend",
		Result: findings.Dashboard{}, Query: []string{"unit", "weeks", "ms2023"}, Handler: s.apiVulnDashboard})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/findings/{id}", Tag: "findings", Summary: "A finding with its evidence", Result: findings.Finding{}, Handler: s.apiGetFinding})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/findings/{id}", Tag: "findings", Summary: "Change a finding's status, note, owner or due date", Body: findings.Update{}, Result: findings.Finding{}, Handler: s.apiUpdateFinding})

	// API: vulnerability scanners' reports (internal/scanimport).
	s.api(apiRoute{Method: "POST", Path: "/api/v1/scans/import", Tag: "scans", Summary: "Import a scanner's report (Nessus, OpenVAS, Qualys, Nexpose, Nmap, Trivy, Grype, OSV-Scanner, Nuclei; detected from the content) into a unit's hosts and vulnerability findings; streamed, atomic, at most 256 MiB",
		RawBody: "application/octet-stream", Status: http.StatusOK, Result: scanimport.Result{}, Query: []string{"unit", "file", "format", "host"}, Handler: s.apiImportScan})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/scan-imports", Tag: "scans", Summary: "Past scanner imports into units in scope, newest first, with what each did",
		Result: scanimport.Import{}, Paged: true, Sorts: scanimport.SortKeys, Query: []string{"unit", "scanner", "status"}, Handler: s.apiListScanImports})

	// API: the vulnerability knowledge base (internal/vuln): feed files
	// loaded by administrators and the SOC, read by every signed-in user.
	s.api(apiRoute{Method: "POST", Path: "/api/v1/feeds/import", Tag: "vulnerabilities",
		Summary: "Load a feed file (MSRC CVRF XML/JSON or CSAF, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV; gzip accepted), detected by content and parsed as it arrives; idempotent; administrators and analysts",
		RawBody: "application/octet-stream", Status: http.StatusOK, Result: vuln.Result{}, Query: []string{"file"}, Handler: s.apiImportFeed})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/feeds", Tag: "vulnerabilities", Summary: "What each feed has loaded, from where, how old it is, its last error; MSRC documents; recent imports",
		Result: vuln.Status{}, Handler: s.apiFeedStatus})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/cves/{id}", Tag: "vulnerabilities", Summary: "A CVE with what MSRC, NVD, KEV and EPSS say of it and Microsoft's fixes",
		Result: vuln.CVEDetail{}, Handler: s.apiGetCVE})

	// API: the watch — event sources (internal/sources).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/sources", Tag: "sources", Summary: "Event sources in scope, with their counts", Result: sources.Source{},
		Paged: true, Sorts: sources.SortKeys, Query: []string{"unit", "kind", "status", "q"}, Handler: s.apiListSources})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/sources", Tag: "sources", Summary: "Register an event source in a unit; the answer holds its token, shown this once",
		Body: sources.Input{}, Result: sources.Source{}, Handler: s.apiCreateSource})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/sources/unknown-senders", Tag: "sources", Summary: "Syslog senders no source claims (administrators and analysts)", Result: sources.UnknownSender{},
		Paged: true, Sorts: sources.UnknownSortKeys, Handler: s.apiUnknownSenders})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/sources/{id}", Tag: "sources", Summary: "An event source with its counts", Result: sources.Source{}, Handler: s.apiGetSource})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/sources/{id}", Tag: "sources", Summary: "Change a source's name, kind, interval or sender addresses", Body: sources.Patch{}, Result: sources.Source{}, Handler: s.apiUpdateSource})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/sources/{id}", Tag: "sources", Summary: "Revoke an event source (its token and addresses stop being accepted)", Handler: s.apiRevokeSource})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/sources/{id}/token", Tag: "sources", Summary: "Give a source a new token (returned this once); the old one stops working",
		Result: sources.Source{}, Status: http.StatusOK, Handler: s.apiRotateSourceToken})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/events", Tag: "sources", Public: true,
		Summary: "Send events as a source (Authorization: Bearer vgs_..., checked before the body is read): JSON lines, a JSON array of objects, or text/plain log lines; gzip accepted. 202 once durable, with counts and each refused line's reason; 503 with Retry-After when the pipeline is full",
		RawBody: "application/x-ndjson", Result: eventsAccepted{}, Status: http.StatusAccepted, Handler: s.apiPostEvents})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/events/evtx", Tag: "sources", Public: true,
		Summary: "Upload a Windows EVTX file as a source (Authorization: Bearer vgs_...); its events are published as they are read",
		RawBody: "application/octet-stream", Result: eventsAccepted{}, Status: http.StatusAccepted, Query: []string{"file"}, Handler: s.apiPostEVTX})

	// API: the duty roster (measures 2 and 5; internal/duty).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/now", Tag: "duty", Summary: "Who is on duty now at a unit (the SOC's unit without ?unit=), with the previous shift's handover notes",
		Result: duty.Now{}, Query: []string{"unit", "at"}, Handler: s.apiDutyNow})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/rosters", Tag: "duty", Summary: "Duty rosters in scope, the latest period first, with their uncovered hours", Result: duty.Roster{},
		Paged: true, Sorts: duty.RosterSortKeys, Query: []string{"unit", "q", "active"}, Handler: s.apiListRosters})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/duty/rosters", Tag: "duty", Summary: "Make a roster and its shifts from a pattern (3x8, 2x12, custom) over a period or the Tết preset",
		Body: duty.RosterInput{}, Result: duty.Roster{}, Handler: s.apiCreateRoster})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/rosters/{id}", Tag: "duty", Summary: "A roster", Result: duty.Roster{}, Handler: s.apiGetRoster})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/duty/rosters/{id}", Tag: "duty", Summary: "Remove a roster with its shifts, swaps and notes", Handler: s.apiDeleteRoster})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/rosters/{id}/shifts", Tag: "duty", Summary: "A roster's shifts in time order with the people on them", Result: duty.Shift{},
		Paged: true, Sorts: duty.ShiftSortKeys, Query: []string{"from", "to", "uncovered", "user"}, Handler: s.apiRosterShifts})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/rosters/{id}/calendar.ics", Tag: "duty", Summary: "A roster as iCalendar (RFC 5545)", Status: http.StatusOK, Handler: s.apiRosterCalendar})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/calendar.ics", Tag: "duty", Summary: "One person's shifts as iCalendar (?user=e-mail; the caller's by default)", Query: []string{"user"}, Status: http.StatusOK, Handler: s.apiPersonCalendar})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/shifts/{id}", Tag: "duty", Summary: "A shift with the people on it", Result: duty.Shift{}, Handler: s.apiGetShift})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/duty/shifts/{id}/assignments", Tag: "duty", Summary: "Put someone on a shift (or change their role on it)",
		Body: duty.Assignment{}, Result: duty.Shift{}, Status: http.StatusOK, Handler: s.apiAssign})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/duty/shifts/{id}/assignments/{user}", Tag: "duty", Summary: "Take someone (a user id) off a shift", Result: duty.Shift{}, Handler: s.apiUnassign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/shifts/{id}/notes", Tag: "duty", Summary: "A shift's handover notes", Result: duty.Note{},
		Paged: true, Sorts: duty.NoteSortKeys, Handler: s.apiShiftNotes})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/duty/shifts/{id}/notes", Tag: "duty", Summary: "Write a handover note on a shift you are on", Body: noteInput{}, Result: duty.Note{}, Handler: s.apiAddNote})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/swaps", Tag: "duty", Summary: "Swaps of shifts in scope", Result: duty.Swap{},
		Paged: true, Sorts: duty.SwapSortKeys, Query: []string{"unit", "roster"}, Handler: s.apiListSwaps})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/duty/swaps", Tag: "duty", Summary: "Swap two people's shifts (or, without shift_b, have user_b cover user_a)", Body: duty.SwapInput{}, Result: duty.Swap{}, Handler: s.apiSwap})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/soc", Tag: "duty", Summary: "The unit that runs the 24/7 SOC", Result: duty.SOC{}, Handler: s.apiGetSOC})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/duty/soc", Tag: "duty", Summary: "Name the unit that runs the SOC (administrators)", Body: socInput{}, Result: duty.SOC{}, Handler: s.apiSetSOC})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/duty/tet", Tag: "duty", Summary: "The Tết preset's estimate of a year's holiday (?year=)", Result: duty.Holiday{}, Query: []string{"year"}, Handler: s.apiTet})

	// API: the alert queue (the watch).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/alerts", Tag: "alerts", Summary: "Alerts in scope, newest first (status=active: open and acknowledged)", Result: alerts.Alert{},
		Paged: true, Sorts: alerts.SortKeys, Query: []string{"unit", "severity", "status", "rule", "host", "host_id", "assignee"}, Handler: s.apiListAlerts})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/alerts/bulk", Tag: "alerts", Summary: "Acknowledge, assign, close or reopen several alerts at once (all or none)",
		Body: alertsBulk{}, Result: alerts.Alert{}, List: true, Status: http.StatusOK, Handler: s.apiUpdateAlerts})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/alerts/{id}", Tag: "alerts", Summary: "An alert with its kept events", Result: alerts.Alert{}, Handler: s.apiGetAlert})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/alerts/{id}", Tag: "alerts", Summary: "Acknowledge, assign, close (with a reason) or reopen an alert", Body: alerts.Update{}, Result: alerts.Alert{}, Handler: s.apiUpdateAlert})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/alerts/stream", Tag: "alerts", Summary: "Server-sent events: each change of an alert in scope (event alert, with match for the filters given), reload when changes were dropped; at most 5 per user",
		Result: liveAlert{}, Status: http.StatusOK, Query: []string{"unit", "severity", "status", "rule", "host", "host_id", "assignee"}, Handler: s.apiAlertStream})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/alerts/suppressions", Tag: "alerts", Summary: "Suppression rules in scope (inactive=true: expired and removed ones too)", Result: alerts.Suppression{},
		Paged: true, Sorts: alerts.SuppressionSortKeys, Query: []string{"unit", "rule", "inactive"}, Handler: s.apiListSuppressions})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/alerts/suppressions", Tag: "alerts", Summary: "Add a suppression rule (rule id; optional host, unit, field value; expiry date; reason)",
		Body: alerts.SuppressionInput{}, Result: alerts.Suppression{}, Handler: s.apiCreateSuppression})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/alerts/suppressions/{id}", Tag: "alerts", Summary: "Remove a suppression rule before its expiry", Handler: s.apiRemoveSuppression})

	// API: escalation of unacknowledged alerts (internal/escalate).
	s.api(apiRoute{Method: "GET", Path: "/api/v1/escalation/policies", Tag: "escalation", Summary: "Escalation policies in scope", Result: escalate.Policy{},
		Paged: true, Sorts: escalate.PolicySortKeys, Query: []string{"unit"}, Handler: s.apiListPolicies})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/escalation/policies", Tag: "escalation", Summary: "Create an escalation policy for a unit's subtree (steps: delay in minutes after the previous step, target)",
		Body: escalate.PolicyInput{}, Result: escalate.Policy{}, Handler: s.apiCreatePolicy})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/escalation/policies/{id}", Tag: "escalation", Summary: "An escalation policy", Result: escalate.Policy{}, Handler: s.apiGetPolicy})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/escalation/policies/{id}", Tag: "escalation", Summary: "Replace an escalation policy", Body: escalate.PolicyInput{}, Result: escalate.Policy{}, Handler: s.apiUpdatePolicy})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/escalation/policies/{id}", Tag: "escalation", Summary: "Delete an escalation policy (its notifications stay in the log)", Handler: s.apiDeletePolicy})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/escalation/channels", Tag: "escalation", Summary: "Notification channels in scope (secrets shown by their last four characters)", Result: escalate.Channel{},
		Paged: true, Sorts: escalate.ChannelSortKeys, Query: []string{"unit", "kind"}, Handler: s.apiListChannels})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/escalation/channels", Tag: "escalation", Summary: "Create a channel: e-mail addresses, a webhook (HMAC-signed) or a Telegram chat",
		Body: escalate.ChannelInput{}, Result: escalate.Channel{}, Handler: s.apiCreateChannel})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/escalation/channels/{id}", Tag: "escalation", Summary: "A notification channel", Result: escalate.Channel{}, Handler: s.apiGetChannel})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/escalation/channels/{id}", Tag: "escalation", Summary: "Replace a channel (an empty secret keeps the current one)", Body: escalate.ChannelInput{}, Result: escalate.Channel{}, Handler: s.apiUpdateChannel})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/escalation/channels/{id}", Tag: "escalation", Summary: "Delete a channel no policy uses", Handler: s.apiDeleteChannel})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/escalation/channels/{id}/test", Tag: "escalation", Summary: "Send a test message on a channel now; the answer is the notification with its result",
		Result: escalate.Notification{}, Status: http.StatusOK, Handler: s.apiTestChannel})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/escalation/notifications", Tag: "escalation", Summary: "The notification log: who was told what, when, with which result; newest first",
		Result: escalate.Notification{}, Paged: true, Sorts: escalate.NotificationSortKeys, Query: []string{"unit", "status", "kind", "target", "alert", "channel", "q", "since", "until"}, Handler: s.apiListNotifications})
	// API: health of the watch — the probe of the national monitoring
	// center and its uptime, episodes of ill health, feeds.
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/probes", Tag: "health", Summary: "Probes of the connection to the national monitoring center, with their state", Result: health.Probe{},
		Paged: true, Sorts: health.ProbeSortKeys, Handler: s.apiListProbes})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/health/probes", Tag: "health", Summary: "Add a probe (administrators)", Body: health.ProbeInput{}, Result: health.Probe{}, Handler: s.apiCreateProbe})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/probes/{id}", Tag: "health", Summary: "A probe and its last check", Result: health.Probe{}, Handler: s.apiGetProbe})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/health/probes/{id}", Tag: "health", Summary: "Change a probe (administrators)", Body: health.ProbeInput{}, Result: health.Probe{}, Handler: s.apiUpdateProbe})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/health/probes/{id}", Tag: "health", Summary: "Remove a probe and its history (administrators)", Handler: s.apiDeleteProbe})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/health/probes/{id}/check", Tag: "health", Summary: "Check a probe now and record the result (administrators)", Result: health.Result{}, Status: http.StatusOK, Handler: s.apiCheckProbe})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/probes/{id}/uptime", Tag: "health", Summary: "A probe's uptime over a period (period=24h|7d|holiday, or since/until), by hour or by day; time no check vouches for is unknown, not up",
		Result: health.History{}, Query: []string{"period", "since", "until"}, Handler: s.apiProbeUptime})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/probes/{id}/results", Tag: "health", Summary: "A probe's single checks, newest first (kept a few days; the hourly roll-up stays)", Result: health.Result{},
		Paged: true, Handler: s.apiProbeResults})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/episodes", Tag: "health", Summary: "Episodes of ill health (probe down, source silent, agents offline, feed stale), newest first; scoped by unit", Result: health.Episode{},
		Paged: true, Query: []string{"kind", "open"}, Handler: s.apiHealthEpisodes})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/feeds", Tag: "health", Summary: "Feeds the hub refreshes from outside, with their age", Result: health.FeedState{}, List: true, Handler: s.apiHealthFeeds})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/sources", Tag: "health", Summary: "Active event sources in scope: reporting, or silent since their last event", Result: health.SourceHealth{},
		Paged: true, Sorts: health.SourceSortKeys, Query: []string{"unit", "silent"}, Handler: s.apiHealthSources})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/agents", Tag: "health", Summary: "Units in scope with agents offline (not seen for longer than the threshold), counted per unit", Result: hosts.OfflineAgents{}, List: true, Handler: s.apiHealthAgents})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/health/counters", Tag: "health", Summary: "The pipeline's counters: bus backlog (this process), ingest's UDP drops and refusals (callers who see every unit)", Result: health.Counter{}, List: true, Handler: s.apiHealthCounters})

	// API: detection rules of the watch (internal/pipeline): directory
	// and UI rules, enabling, per-unit exceptions.
	s.api(apiRoute{Method: "GET", Path: "/api/v1/rules", Tag: "rules", Summary: "Detection rules (directory and UI) with their state and matches in the last 24 h",
		Result: pipeline.Rule{}, Paged: true, Sorts: pipeline.RuleSortKeys, Query: []string{"q", "source", "level", "enabled"}, Handler: s.apiListRules})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/rules", Tag: "rules", Summary: "Add a Sigma rule (YAML) managed in the UI; errors name the line",
		Body: pipeline.RuleInput{}, Result: pipeline.Rule{}, Handler: s.apiCreateRule})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/rules/{id}", Tag: "rules", Summary: "A rule with its YAML", Result: pipeline.Rule{}, Handler: s.apiGetRule})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/rules/{id}", Tag: "rules", Summary: "Enable or disable a rule, or replace a UI rule's YAML",
		Body: pipeline.RulePatch{}, Result: pipeline.Rule{}, Handler: s.apiUpdateRule})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/rules/{id}", Tag: "rules", Summary: "Delete a rule managed in the UI", Handler: s.apiDeleteRule})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/rules/{id}/exceptions", Tag: "rules", Summary: "A rule's exceptions in scope", Result: pipeline.Exception{},
		Paged: true, Sorts: pipeline.ExceptionSortKeys, Query: []string{"unit"}, Handler: s.apiListRuleExceptions})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/rules/{id}/exceptions", Tag: "rules", Summary: "Stop a rule alerting for a unit's subtree (officers: their units)",
		Body: pipeline.ExceptionInput{}, Result: pipeline.Exception{}, Handler: s.apiAddRuleException})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/rule-exceptions", Tag: "rules", Summary: "Rule exceptions in scope", Result: pipeline.Exception{},
		Paged: true, Sorts: pipeline.ExceptionSortKeys, Query: []string{"rule", "unit"}, Handler: s.apiListRuleExceptions})
	s.api(apiRoute{Method: "DELETE", Path: "/api/v1/rule-exceptions/{id}", Tag: "rules", Summary: "Remove an exception: the rule alerts for the unit again", Handler: s.apiDeleteRuleException})

	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	s.mux.HandleFunc(apiCatchAll, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errs.NotFound("API endpoint "+r.Method+" "+r.URL.Path))
	})

	// Pages.
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.FileServerFS(static)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})))
	s.mux.HandleFunc("GET /login", s.uiLoginPage)
	s.mux.HandleFunc("POST /login", s.uiLogin)
	s.mux.HandleFunc("POST /logout", s.uiLogout)
	s.mux.HandleFunc("GET /auth/oidc/login", s.uiOIDCLogin)
	s.mux.HandleFunc("GET /auth/oidc/callback", s.uiOIDCCallback)
	s.mux.HandleFunc("GET /lang/{lang}", s.uiSetLang)
	s.mux.HandleFunc("GET /{$}", s.uiAuth(s.uiDashboard))
	s.mux.HandleFunc("GET /units", s.uiAuth(s.uiUnits))
	s.mux.HandleFunc("POST /units", s.uiAuth(s.uiCreateUnit))
	s.mux.HandleFunc("GET /units/{code}", s.uiAuth(s.uiUnit))
	s.mux.HandleFunc("POST /units/{code}/contacts", s.uiAuth(s.uiAddContact))
	s.mux.HandleFunc("POST /contacts/{id}/delete", s.uiAuth(s.uiDeleteContact))
	s.mux.HandleFunc("GET /users", s.uiAuth(s.uiUsers))
	s.mux.HandleFunc("POST /users", s.uiAuth(s.uiCreateUser))
	s.mux.HandleFunc("GET /users/{id}", s.uiAuth(s.uiUser))
	s.mux.HandleFunc("POST /users/{id}", s.uiAuth(s.uiUpdateUser))
	s.mux.HandleFunc("GET /tokens", s.uiAuth(s.uiTokens))
	s.mux.HandleFunc("POST /tokens", s.uiAuth(s.uiCreateToken))
	s.mux.HandleFunc("POST /tokens/{id}/revoke", s.uiAuth(s.uiRevokeToken))
	s.mux.HandleFunc("GET /audit", s.uiAuth(s.uiAudit))

	// Pages: measure 1.
	s.mux.HandleFunc("GET /hosts", s.uiAuth(s.uiHosts))
	s.mux.HandleFunc("GET /hosts/{id}", s.uiAuth(s.uiHost))
	s.mux.HandleFunc("POST /hosts/{id}/scan", s.uiAuth(s.uiScanHost))
	s.mux.HandleFunc("GET /units/{code}/coverage", s.uiAuth(s.uiCoverage))
	s.mux.HandleFunc("GET /scans", s.uiAuth(s.uiScans))
	s.mux.HandleFunc("POST /scans", s.uiAuth(s.uiImportScan))
	s.mux.HandleFunc("GET /findings", s.uiAuth(s.uiFindings))
	s.mux.HandleFunc("POST /findings", s.uiAuth(s.uiUpdateFindings))
	s.mux.HandleFunc("POST /findings/{id}", s.uiAuth(s.uiUpdateFinding))
	// Pages: vulnerabilities (measure 3).
	s.mux.HandleFunc("GET /vulnerabilities", s.uiAuth(s.uiVulnerabilities))
	s.mux.HandleFunc("GET /vulnerabilities/ms2023", s.uiAuth(s.uiMS2023))
	s.mux.HandleFunc("GET /vulnerabilities/due-days", s.uiAuth(s.uiDueDays))
	s.mux.HandleFunc("POST /vulnerabilities/due-days", s.uiAuth(s.uiSetDueDays))
	// Pages: the duty roster.
	s.mux.HandleFunc("GET /duty", s.uiAuth(s.uiDuty))
	s.mux.HandleFunc("GET /duty/new", s.uiAuth(s.uiDutyNew))
	s.mux.HandleFunc("POST /duty/rosters", s.uiAuth(s.uiCreateRoster))
	s.mux.HandleFunc("GET /duty/rosters/{id}", s.uiAuth(s.uiRoster))
	s.mux.HandleFunc("POST /duty/rosters/{id}/delete", s.uiAuth(s.uiDeleteRoster))
	s.mux.HandleFunc("GET /duty/shifts/{id}", s.uiAuth(s.uiShift))
	s.mux.HandleFunc("POST /duty/shifts/{id}/assign", s.uiAuth(s.uiAssign))
	s.mux.HandleFunc("POST /duty/shifts/{id}/unassign", s.uiAuth(s.uiUnassign))
	s.mux.HandleFunc("POST /duty/shifts/{id}/swap", s.uiAuth(s.uiSwap))
	s.mux.HandleFunc("POST /duty/shifts/{id}/notes", s.uiAuth(s.uiAddNote))

	s.mux.HandleFunc("GET /enrollment", s.uiAuth(s.uiEnrollment))
	s.mux.HandleFunc("POST /enrollment", s.uiAuth(s.uiCreateEnrollment))
	s.mux.HandleFunc("POST /enrollment/{id}/revoke", s.uiAuth(s.uiRevokeEnrollment))

	// Pages: health of the watch.
	s.mux.HandleFunc("GET /health", s.uiAuth(s.uiHealth))
	s.mux.HandleFunc("GET /feeds", s.uiAuth(s.uiFeeds))
	s.mux.HandleFunc("POST /health/probes", s.uiAuth(s.uiCreateProbe))
	s.mux.HandleFunc("GET /health/probes/{id}", s.uiAuth(s.uiProbe))
	s.mux.HandleFunc("POST /health/probes/{id}", s.uiAuth(s.uiUpdateProbe))
	s.mux.HandleFunc("POST /health/probes/{id}/delete", s.uiAuth(s.uiDeleteProbe))
	s.mux.HandleFunc("POST /health/probes/{id}/check", s.uiAuth(s.uiCheckProbe))

	// Pages: detection rules (internal/pipeline).
	s.mux.HandleFunc("GET /rules", s.uiAuth(s.uiRules))
	s.mux.HandleFunc("POST /rules", s.uiAuth(s.uiCreateRule))
	s.mux.HandleFunc("GET /rules/{id}", s.uiAuth(s.uiRule))
	s.mux.HandleFunc("POST /rules/{id}", s.uiAuth(s.uiUpdateRule))
	s.mux.HandleFunc("POST /rules/{id}/delete", s.uiAuth(s.uiDeleteRule))
	s.mux.HandleFunc("POST /rules/{id}/exceptions", s.uiAuth(s.uiAddRuleException))
	s.mux.HandleFunc("POST /rule-exceptions/{id}/delete", s.uiAuth(s.uiDeleteRuleException))
	// Pages: the alert queue (the watch).
	s.mux.HandleFunc("GET /alerts", s.uiAuth(s.uiAlerts))
	s.mux.HandleFunc("POST /alerts", s.uiAuth(s.uiUpdateAlerts))
	s.mux.HandleFunc("GET /alerts/suppressions", s.uiAuth(s.uiSuppressions))
	s.mux.HandleFunc("POST /alerts/suppressions", s.uiAuth(s.uiCreateSuppression))
	s.mux.HandleFunc("POST /alerts/suppressions/{id}/remove", s.uiAuth(s.uiRemoveSuppression))
	s.mux.HandleFunc("GET /alerts/{id}", s.uiAuth(s.uiAlert))
	s.mux.HandleFunc("POST /alerts/{id}", s.uiAuth(s.uiUpdateAlert))

	// Pages: escalation of unacknowledged alerts.
	s.mux.HandleFunc("GET /escalation", s.uiAuth(s.uiEscalation))
	s.mux.HandleFunc("GET /escalation/policies/new", s.uiAuth(s.uiNewPolicy))
	s.mux.HandleFunc("POST /escalation/policies", s.uiAuth(s.uiCreatePolicy))
	s.mux.HandleFunc("GET /escalation/policies/{id}", s.uiAuth(s.uiPolicy))
	s.mux.HandleFunc("POST /escalation/policies/{id}", s.uiAuth(s.uiUpdatePolicy))
	s.mux.HandleFunc("POST /escalation/policies/{id}/delete", s.uiAuth(s.uiDeletePolicy))
	s.mux.HandleFunc("GET /escalation/channels", s.uiAuth(s.uiChannels))
	s.mux.HandleFunc("GET /escalation/channels/new", s.uiAuth(s.uiNewChannel))
	s.mux.HandleFunc("POST /escalation/channels", s.uiAuth(s.uiCreateChannel))
	s.mux.HandleFunc("GET /escalation/channels/{id}", s.uiAuth(s.uiChannel))
	s.mux.HandleFunc("POST /escalation/channels/{id}", s.uiAuth(s.uiUpdateChannel))
	s.mux.HandleFunc("POST /escalation/channels/{id}/test", s.uiAuth(s.uiTestChannel))
	s.mux.HandleFunc("POST /escalation/channels/{id}/delete", s.uiAuth(s.uiDeleteChannel))
	s.mux.HandleFunc("GET /escalation/notifications", s.uiAuth(s.uiNotifications))

	// Pages: the watch — event sources.
	s.mux.HandleFunc("GET /sources", s.uiAuth(s.uiSources))
	s.mux.HandleFunc("POST /sources", s.uiAuth(s.uiCreateSource))
	s.mux.HandleFunc("POST /sources/{id}/revoke", s.uiAuth(s.uiRevokeSource))
	s.mux.HandleFunc("POST /sources/{id}/token", s.uiAuth(s.uiRotateSource))

	// Warning lists and threat intelligence (issue 12): each capability
	// lists its API routes and pages in its own routes_<x>.go.
	s.routesIntel()
	s.routesWatchlist()
	s.routesTAXII()
	s.routesAdvisories()
	s.routesTraining()
	s.routesPhishing()
	s.routesIncidents()
	s.routesOutbox()
	s.routesReports() // national incident reports (issue 13)
	s.routesMonthly() // the monthly technical security report (issue 15)
	// Readiness campaigns over the five measures (issue 15).
	s.routesReadiness()

	// Any other page path: a "no such page" page in the layout.
	s.mux.HandleFunc(pageCatchAll, s.uiNotFound)
}

// measureCards fill the dashboard's cards for the directive's five
// measures, in order; nil leaves a measure's card in its empty state.
func (s *Server) measureCards() [5]func(r *http.Request) (*measureCard, error) {
	return [5]func(r *http.Request) (*measureCard, error){
		s.hostsCard,              // 1: hosts, controls, malware review
		s.alertsCard,             // 2: the watch
		s.vulnCard,               // 3: vulnerabilities and missing updates, Microsoft 2023 first
		nil,                      // 4: awareness
		s.withHealth(s.dutyCard), // 5: the SOC's watch (who is on duty, the holiday roster's gaps), the NCSC link's uptime, and incidents
	}
}

// unitSections add capabilities' blocks to a unit's page, in order.
func (s *Server) unitSections() []func(r *http.Request, u *org.Unit) (*unitSection, error) {
	return []func(r *http.Request, u *org.Unit) (*unitSection, error){
		s.hostsUnitSection,
		s.alertsUnitSection,
		s.vulnUnitSection,
		s.dutyUnitSection,
		s.healthUnitSection,
		s.advisoryUnitSection,
		s.incidentUnitSection,
		s.readinessUnitSection,
	}
}
