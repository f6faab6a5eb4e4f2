package agent

import (
	"strings"

	"vigil/internal/asset"
)

// knownAgent is a security or monitoring product recognised by the name of
// its process or service.
type knownAgent struct {
	kind      string
	product   string
	processes []string // process names (Linux comm, Windows image name without .exe), lowercase
	services  []string // systemd unit or Windows service names, lowercase
}

// knownAgents lists common EDR, antivirus and monitoring agents. Names come
// from the vendors' install documentation.
var knownAgents = []knownAgent{
	{asset.ControlEDR, "CrowdStrike Falcon", []string{"falcon-sensor", "falcond", "csfalconservice"}, []string{"falcon-sensor", "csfalconservice"}},
	{asset.ControlEDR, "Wazuh agent", []string{"wazuh-agentd", "wazuh-execd", "wazuh-modulesd", "wazuh-agent"}, []string{"wazuh-agent", "wazuhsvc"}},
	{asset.ControlEDR, "OSSEC agent", []string{"ossec-agentd"}, []string{"ossec", "ossecsvc"}},
	{asset.ControlEDR, "Elastic Agent", []string{"elastic-agent", "elastic-endpoint"}, []string{"elastic-agent", "elasticendpoint"}},
	{asset.ControlEDR, "SentinelOne", []string{"sentinelone-agent", "s1-agent", "sentinelagent"}, []string{"sentinelone", "sentinelagent"}},
	{asset.ControlEDR, "Microsoft Defender for Endpoint", []string{"wdavdaemon", "mssense"}, []string{"mdatp", "sense"}},
	{asset.ControlEDR, "VMware Carbon Black", []string{"cbagentd", "cbdaemon", "repmgr"}, []string{"cbagentd", "carbonblack"}},
	{asset.ControlEDR, "Cybereason", []string{"cybereason-sensor", "activeconsole"}, []string{"cybereasonactiveprobe"}},
	{asset.ControlEDR, "Velociraptor", []string{"velociraptor"}, []string{"velociraptor", "velociraptor_client"}},
	{asset.ControlEDR, "Sophos", []string{"sophos-spl", "savd", "sophosed"}, []string{"sophos-spl", "sophos mcs agent"}},
	{asset.ControlEDR, "Trend Micro Deep Security", []string{"ds_agent"}, []string{"ds_agent"}},
	{asset.ControlAntivirus, "ESET", []string{"esets_daemon", "oaeventd", "ekrn"}, []string{"esets", "eset_rtp", "ekrn"}},
	{asset.ControlAntivirus, "Kaspersky Endpoint Security", []string{"kesl", "klnagent", "avp"}, []string{"kesl", "klnagent", "avp"}},
	{asset.ControlAntivirus, "Bitdefender", []string{"bdsecd", "bdepsecd", "epsecurityservice"}, []string{"bdsec", "epsecurityservice"}},
	{asset.ControlAntivirus, "Cylance", []string{"cylancesvc"}, []string{"cylancesvc"}},
	{asset.ControlMonitoring, "osquery", []string{"osqueryd"}, []string{"osqueryd"}},
	{asset.ControlMonitoring, "Elastic Beats", []string{"filebeat", "auditbeat", "winlogbeat", "packetbeat"}, []string{"filebeat", "auditbeat", "winlogbeat"}},
	{asset.ControlMonitoring, "Zabbix agent", []string{"zabbix_agentd", "zabbix_agent2"}, []string{"zabbix-agent", "zabbix-agent2", "zabbix agent"}},
	{asset.ControlMonitoring, "Sysmon", []string{"sysmon", "sysmon64", "sysmonforlinux"}, []string{"sysmon", "sysmon64"}},
	{asset.ControlMonitoring, "auditd", []string{"auditd"}, []string{"auditd"}},
	{asset.ControlMonitoring, "Qualys Cloud Agent", []string{"qualys-cloud-agent", "qualysagent"}, []string{"qualys-cloud-agent", "qualysagent"}},
	{asset.ControlMonitoring, "Fluent Bit", []string{"fluent-bit"}, []string{"fluent-bit"}},
	{asset.ControlMonitoring, "NXLog", []string{"nxlog"}, []string{"nxlog"}},
}

// matchAgents returns a control for each known agent that has a running
// process or an installed service. running is keyed by lowercase process
// name; services maps a lowercase service name to whether it is enabled.
func matchAgents(running map[string]bool, services map[string]bool) []asset.Control {
	var out []asset.Control
	for _, a := range knownAgents {
		run := false
		for _, p := range a.processes {
			if running[p] {
				run = true
			}
		}
		installed, enabled := false, false
		for _, s := range a.services {
			if e, ok := services[s]; ok {
				installed = true
				enabled = enabled || e
			}
		}
		if !run && !installed {
			continue
		}
		c := asset.Control{Kind: a.kind, Product: a.product, Enabled: run || enabled, Running: boolp(run)}
		if !run {
			c.Detail = "installed, not running"
		}
		out = append(out, c)
	}
	return out
}

// processKey is the lowercase process name without a Windows ".exe".
func processKey(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".exe")
}
