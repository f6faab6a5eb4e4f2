package sigma

import (
	"fmt"
	"strings"
)

// Windows event log channels the logsource mapping routes to.
const (
	chSysmon     = "Microsoft-Windows-Sysmon/Operational"
	chSecurity   = "Security"
	chSystem     = "System"
	chPowerShell = "Microsoft-Windows-PowerShell/Operational"
	chPSClassic  = "Windows PowerShell"
	chDefender   = "Microsoft-Windows-Windows Defender/Operational"
)

// route is one (channel, event IDs) pair a rule applies to. Empty Channel
// means every Windows channel; nil EventIDs means every event of the
// channel.
type route struct {
	Channel  string
	EventIDs []int
}

func sysmon(ids ...int) []route { return []route{{chSysmon, ids}} }

// windowsCategories maps Sigma's Windows categories to the events that carry
// them, after SigmaHQ's Sysmon and Windows-audit processing pipelines.
// Security 4688 carries process creation with other field names; the
// matcher adds Sysmon-named aliases for those events (see aliases).
var windowsCategories = map[string][]route{
	"process_creation":          {{chSysmon, []int{1}}, {chSecurity, []int{4688}}},
	"file_change":               sysmon(2),
	"network_connection":        sysmon(3),
	"sysmon_status":             sysmon(4, 16),
	"process_termination":       sysmon(5),
	"driver_load":               sysmon(6),
	"image_load":                sysmon(7),
	"create_remote_thread":      sysmon(8),
	"raw_access_thread":         sysmon(9),
	"process_access":            sysmon(10),
	"file_event":                sysmon(11),
	"registry_add":              sysmon(12),
	"registry_delete":           sysmon(12),
	"registry_set":              sysmon(13),
	"registry_rename":           sysmon(14),
	"registry_event":            sysmon(12, 13, 14),
	"create_stream_hash":        sysmon(15),
	"pipe_created":              sysmon(17, 18),
	"wmi_event":                 sysmon(19, 20, 21),
	"dns_query":                 sysmon(22),
	"file_delete":               sysmon(23, 26),
	"file_delete_detected":      sysmon(26),
	"clipboard_capture":         sysmon(24),
	"process_tampering":         sysmon(25),
	"file_block_executable":     sysmon(27),
	"file_block_shredding":      sysmon(28),
	"file_executable_detected":  sysmon(29),
	"sysmon_error":              sysmon(255),
	"ps_module":                 {{chPowerShell, []int{4103}}},
	"ps_script":                 {{chPowerShell, []int{4104}}},
	"ps_classic_start":          {{chPSClassic, []int{400}}},
	"ps_classic_provider_start": {{chPSClassic, []int{600}}},
	"ps_classic_script":         {{chPSClassic, []int{800}}},
	"dns":                       {{"Microsoft-Windows-DNS-Client/Operational", nil}},
	"antivirus":                 {{chDefender, []int{1006, 1007, 1008, 1009, 1010, 1011, 1012, 1015, 1116, 1117, 1118, 1119}}},
	"file_access":               {{"Microsoft-Windows-Kernel-File/Analytic", nil}},
	"file_rename":               {{"Microsoft-Windows-Kernel-File/Analytic", nil}},
	"network_connection_etw":    {{"Microsoft-Windows-Kernel-Network/Analytic", nil}},
}

// windowsServices maps Sigma's Windows services to channels.
var windowsServices = map[string][]string{
	"security":                             {chSecurity},
	"system":                               {chSystem},
	"application":                          {"Application"},
	"sysmon":                               {chSysmon},
	"powershell":                           {chPowerShell},
	"powershell-classic":                   {chPSClassic},
	"taskscheduler":                        {"Microsoft-Windows-TaskScheduler/Operational"},
	"wmi":                                  {"Microsoft-Windows-WMI-Activity/Operational"},
	"dns-server":                           {"DNS Server"},
	"dns-server-analytic":                  {"Microsoft-Windows-DNS-Server/Analytical"},
	"dns-client":                           {"Microsoft-Windows-DNS-Client/Operational"},
	"driver-framework":                     {"Microsoft-Windows-DriverFrameworks-UserMode/Operational"},
	"ntlm":                                 {"Microsoft-Windows-NTLM/Operational"},
	"windefend":                            {chDefender},
	"firewall-as":                          {"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"},
	"bits-client":                          {"Microsoft-Windows-Bits-Client/Operational"},
	"codeintegrity-operational":            {"Microsoft-Windows-CodeIntegrity/Operational"},
	"applocker":                            {"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL", "Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution"},
	"msexchange-management":                {"MSExchange Management"},
	"printservice-admin":                   {"Microsoft-Windows-PrintService/Admin"},
	"printservice-operational":             {"Microsoft-Windows-PrintService/Operational"},
	"smbclient-security":                   {"Microsoft-Windows-SmbClient/Security"},
	"smbclient-connectivity":               {"Microsoft-Windows-SmbClient/Connectivity"},
	"smbserver-connectivity":               {"Microsoft-Windows-SMBServer/Connectivity"},
	"terminalservices-localsessionmanager": {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"},
	"openssh":                              {"OpenSSH/Operational"},
	"ldap":                                 {"Microsoft-Windows-LDAP-Client/Debug"},
	"ldap_debug":                           {"Microsoft-Windows-LDAP-Client/Debug"},
	"diagnosis-scripted":                   {"Microsoft-Windows-Diagnosis-Scripted/Operational"},
	"shell-core":                           {"Microsoft-Windows-Shell-Core/Operational"},
	"security-mitigations":                 {"Microsoft-Windows-Security-Mitigations/KernelMode", "Microsoft-Windows-Security-Mitigations/UserMode"},
	"appxdeployment-server":                {"Microsoft-Windows-AppXDeploymentServer/Operational"},
	"appxpackaging-om":                     {"Microsoft-Windows-AppxPackagingOM/Operational"},
	"appmodel-runtime":                     {"Microsoft-Windows-AppModel-Runtime/Admin"},
	"capi2":                                {"Microsoft-Windows-CAPI2/Operational"},
	"certificateservicesclient-lifecycle-system": {"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"},
	"lsa-server":                  {"Microsoft-Windows-LSA/Operational"},
	"iis-configuration":           {"Microsoft-IIS-Configuration/Operational"},
	"microsoft-servicebus-client": {"Microsoft-ServiceBus-Client"},
	"servicebus-client":           {"Microsoft-ServiceBus-Client"},
	"kernel-shimengine":           {"Microsoft-Windows-Kernel-ShimEngine/Operational", "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"},
	"hyper-v-worker":              {"Microsoft-Windows-Hyper-V-Worker-Admin"},
	"vhdmp":                       {"Microsoft-Windows-VHDMP-Operational"},
	"bitlocker":                   {"Microsoft-Windows-BitLocker/BitLocker Management"},
	"dhcp":                        {"Microsoft-Windows-DHCP-Server/Operational"},
	"ntfs":                        {"Microsoft-Windows-Ntfs/Operational"},
	"sense":                       {"Microsoft-Windows-SENSE/Operational"},
	"wmi-activity":                {"Microsoft-Windows-WMI-Activity/Operational"},
}

// providerChannels lets events forwarded through Windows Event Forwarding
// (channel ForwardedEvents) be hunted like the channel they came from; the
// provider names the source channel.
var providerChannels = map[string]string{
	"Microsoft-Windows-Sysmon":                                  chSysmon,
	"Microsoft-Windows-Security-Auditing":                       chSecurity,
	"Microsoft-Windows-Eventlog":                                chSecurity, // 1102 log cleared; System 104 is told apart by EventID
	"Service Control Manager":                                   chSystem,
	"Microsoft-Windows-Kernel-General":                          chSystem,
	"Microsoft-Windows-PowerShell":                              chPowerShell,
	"PowerShell":                                                chPSClassic,
	"Microsoft-Windows-Windows Defender":                        chDefender,
	"Microsoft-Windows-TaskScheduler":                           "Microsoft-Windows-TaskScheduler/Operational",
	"Microsoft-Windows-WMI-Activity":                            "Microsoft-Windows-WMI-Activity/Operational",
	"Microsoft-Windows-Bits-Client":                             "Microsoft-Windows-Bits-Client/Operational",
	"Microsoft-Windows-CodeIntegrity":                           "Microsoft-Windows-CodeIntegrity/Operational",
	"Microsoft-Windows-DNS-Client":                              "Microsoft-Windows-DNS-Client/Operational",
	"Microsoft-Windows-NTLM":                                    "Microsoft-Windows-NTLM/Operational",
	"Microsoft-Windows-TerminalServices-LocalSessionManager":    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
	"Microsoft-Windows-SMBClient":                               "Microsoft-Windows-SmbClient/Security",
	"Microsoft-Windows-Windows Firewall With Advanced Security": "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
	"Microsoft-Windows-AppXDeploymentServer":                    "Microsoft-Windows-AppXDeploymentServer/Operational",
	"Microsoft-Windows-DriverFrameworks-UserMode":               "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
	"Microsoft-Windows-PrintService":                            "Microsoft-Windows-PrintService/Operational",
	"Microsoft-Windows-LSA":                                     "Microsoft-Windows-LSA/Operational",
	"Microsoft-Windows-Shell-Core":                              "Microsoft-Windows-Shell-Core/Operational",
	"Microsoft-Windows-CAPI2":                                   "Microsoft-Windows-CAPI2/Operational",
}

// SourceChannel returns the channel an event is hunted as: its own, or for
// forwarded events the channel its provider writes to.
func SourceChannel(channel, provider string, eventID int) string {
	if !strings.EqualFold(channel, "ForwardedEvents") {
		return channel
	}
	if provider == "Microsoft-Windows-Eventlog" && eventID == 104 {
		return chSystem
	}
	if c, ok := providerChannels[provider]; ok {
		if c == chPowerShell && (eventID == 400 || eventID == 403 || eventID == 600 || eventID == 800) {
			return chPSClassic
		}
		return c
	}
	return channel
}

// windowsRoutes returns where a Windows rule applies. A nil slice with a nil
// error means every Windows event.
func windowsRoutes(ls Logsource) ([]route, error) {
	var routes []route
	if ls.Category != "" {
		r, ok := windowsCategories[ls.Category]
		if !ok {
			return nil, fmt.Errorf("unknown windows logsource category %q", ls.Category)
		}
		routes = r
	}
	if ls.Service != "" {
		chans, ok := windowsServices[ls.Service]
		if !ok {
			return nil, fmt.Errorf("unknown windows logsource service %q", ls.Service)
		}
		if routes == nil {
			for _, c := range chans {
				routes = append(routes, route{Channel: c})
			}
		} else {
			var kept []route
			for _, r := range routes {
				for _, c := range chans {
					if strings.EqualFold(r.Channel, c) {
						kept = append(kept, r)
					}
				}
			}
			if len(kept) == 0 {
				for _, c := range chans {
					kept = append(kept, route{Channel: c})
				}
			}
			routes = kept
		}
	}
	return routes, nil
}

// alias is a Sysmon-named field the matcher derives for events that carry
// the same information under another name.
type alias struct {
	name string   // Sigma name rules use
	from []string // source fields; two are joined as DOMAIN\user
}

// aliases4688 maps Security 4688 to the Sysmon process-creation names, as
// SigmaHQ's windows-audit pipeline does.
var aliases4688 = []alias{
	{"Image", []string{"NewProcessName"}},
	{"ParentImage", []string{"ParentProcessName"}},
	{"ProcessId", []string{"NewProcessId"}},
	{"ParentProcessId", []string{"ProcessId"}},
	{"LogonId", []string{"SubjectLogonId"}},
	{"User", []string{"SubjectDomainName", "SubjectUserName"}},
	{"IntegrityLevel", []string{"MandatoryLabel"}},
}
