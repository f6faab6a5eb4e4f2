package agent

// Parsing of what the Windows collector reads: the JSON its PowerShell
// script prints (WMI/CIM classes, Defender, Security Center, firewall,
// BitLocker, Windows Update, local users) and the registry's Uninstall
// values. It has no build tags so it is tested on Linux against fixtures
// in testdata/windows, written from Microsoft's documentation of each class.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/asset"
)

// windowsScript is run with `powershell.exe -NoProfile -NonInteractive
// -ExecutionPolicy Bypass -Command -` (script on stdin). It works in Windows
// PowerShell 5.1 and PowerShell 7 and prints one JSON object. Each query is
// guarded: a missing class (SecurityCenter2 on servers) or module leaves
// its key null. Arrays are forced with @() so one item stays a list.
const windowsScript = `
$ErrorActionPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$o = [ordered]@{}
$o.os = Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,OSArchitecture,LastBootUpTime,ProductType
$o.ubr = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').UBR
$o.machine_guid = (Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Cryptography').MachineGuid
$o.cs = Get-CimInstance Win32_ComputerSystem | Select-Object Name,DNSHostName,Domain,PartOfDomain,Workgroup,Manufacturer,Model,TotalPhysicalMemory,UserName
$o.bios = Get-CimInstance Win32_BIOS | Select-Object SerialNumber
$o.cpu = @(Get-CimInstance Win32_Processor | Select-Object Name,NumberOfCores,NumberOfLogicalProcessors)
$o.disks = @(Get-CimInstance Win32_LogicalDisk -Filter 'DriveType=3' | Select-Object DeviceID,FileSystem,Size,FreeSpace)
$o.netcfg = @(Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' | Select-Object Description,DNSServerSearchOrder,DefaultIPGateway)
$o.qfe = @(Get-CimInstance Win32_QuickFixEngineering | Select-Object HotFixID,InstalledOn,Description)
$o.mp = Get-MpComputerStatus | Select-Object AMServiceEnabled,AntivirusEnabled,RealTimeProtectionEnabled,AntivirusSignatureLastUpdated,AntivirusSignatureVersion,AMProductVersion,AMRunningMode
$o.av = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | Select-Object displayName,productState,timestamp)
$o.fwproducts = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName FirewallProduct | Select-Object displayName,productState)
$o.fw = @(Get-NetFirewallProfile | Select-Object Name,@{n='Enabled';e={[string]$_.Enabled}})
$o.bitlocker = @(Get-CimInstance -Namespace root/CIMV2/Security/MicrosoftVolumeEncryption -ClassName Win32_EncryptableVolume | Select-Object DriveLetter,ProtectionStatus)
$au = Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU'
$wu = [ordered]@{ NoAutoUpdate = $au.NoAutoUpdate; AUOptions = $au.AUOptions; ServiceStartType = [string](Get-Service wuauserv).StartType }
try { $r = (New-Object -ComObject Microsoft.Update.AutoUpdate).Results; $wu.LastInstallationSuccessDate = $r.LastInstallationSuccessDate; $wu.LastSearchSuccessDate = $r.LastSearchSuccessDate } catch {}
$o.wu = $wu
$o.users = @(Get-LocalUser | Select-Object Name,@{n='SID';e={$_.SID.Value}},Enabled,LastLogon)
$o.admins = @(Get-LocalGroupMember -SID 'S-1-5-32-544' | Select-Object Name,@{n='SID';e={$_.SID.Value}},ObjectClass,PrincipalSource)
if ($o.admins.Count -eq 0) { $g = Get-CimInstance Win32_Group -Filter "SID='S-1-5-32-544'"; $o.admins = @(Get-CimAssociatedInstance -InputObject $g -Association Win32_GroupUser | Select-Object @{n='Name';e={$_.Domain + '\' + $_.Name}},SID,@{n='ObjectClass';e={$_.CimClass.CimClassName}},@{n='PrincipalSource';e={if ($_.LocalAccount) {'Local'} else {''}}}) }
$o.tcp = @(Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,OwningProcess)
$o.udp = @(Get-NetUDPEndpoint | Select-Object LocalAddress,LocalPort,OwningProcess)
$o.services = @(Get-Service | Select-Object Name,@{n='Status';e={[string]$_.Status}},@{n='StartType';e={[string]$_.StartType}})
$o.quser = ((quser 2>$null) -join "` + "`" + `n")
$o | ConvertTo-Json -Depth 4 -Compress
`

// winReport is the JSON windowsScript prints.
type winReport struct {
	OS *struct {
		Caption        string
		Version        string
		BuildNumber    string
		OSArchitecture string
		LastBootUpTime flexTime
		ProductType    flexInt
	} `json:"os"`
	UBR         flexInt `json:"ubr"`
	MachineGUID string  `json:"machine_guid"`
	CS          *struct {
		Name                string
		DNSHostName         string
		Domain              string
		PartOfDomain        flexBool
		Workgroup           string
		Manufacturer        string
		Model               string
		TotalPhysicalMemory flexInt
		UserName            string
	} `json:"cs"`
	BIOS *struct{ SerialNumber string } `json:"bios"`
	CPU  []struct {
		Name                      string
		NumberOfCores             flexInt
		NumberOfLogicalProcessors flexInt
	} `json:"cpu"`
	Disks []struct {
		DeviceID   string
		FileSystem string
		Size       flexInt
		FreeSpace  flexInt
	} `json:"disks"`
	NetCfg []struct {
		Description          string
		DNSServerSearchOrder flexStrings
		DefaultIPGateway     flexStrings
	} `json:"netcfg"`
	QFE []struct {
		HotFixID    string
		InstalledOn flexString
		Description string
	} `json:"qfe"`
	MP *struct {
		AMServiceEnabled              flexBool
		AntivirusEnabled              flexBool
		RealTimeProtectionEnabled     flexBool
		AntivirusSignatureLastUpdated flexTime
		AntivirusSignatureVersion     string
		AMProductVersion              string
		AMRunningMode                 string
	} `json:"mp"`
	AV []struct {
		DisplayName  string   `json:"displayName"`
		ProductState flexInt  `json:"productState"`
		Timestamp    flexTime `json:"timestamp"`
	} `json:"av"`
	FWProducts []struct {
		DisplayName  string  `json:"displayName"`
		ProductState flexInt `json:"productState"`
	} `json:"fwproducts"`
	FW []struct {
		Name    string
		Enabled flexBool
	} `json:"fw"`
	BitLocker []struct {
		DriveLetter      string
		ProtectionStatus flexInt
	} `json:"bitlocker"`
	WU *struct {
		NoAutoUpdate                flexInt
		AUOptions                   flexInt
		ServiceStartType            string
		LastInstallationSuccessDate flexTime
		LastSearchSuccessDate       flexTime
	} `json:"wu"`
	Users []struct {
		Name      string
		SID       string
		Enabled   flexBool
		LastLogon flexTime
	} `json:"users"`
	Admins []struct {
		Name            string
		SID             string
		ObjectClass     string
		PrincipalSource flexString
	} `json:"admins"`
	TCP      []winEndpoint `json:"tcp"`
	UDP      []winEndpoint `json:"udp"`
	Services []struct {
		Name      string
		Status    flexString
		StartType flexString
	} `json:"services"`
	QUser string `json:"quser"`
}

type winEndpoint struct {
	LocalAddress  string
	LocalPort     flexInt
	OwningProcess flexInt
}

// flexBool accepts true/false, 0/1, "True"/"False", and null.
type flexBool struct {
	V, Set bool
}

func (b *flexBool) UnmarshalJSON(d []byte) error {
	s := strings.Trim(strings.TrimSpace(string(d)), `"`)
	switch strings.ToLower(s) {
	case "true", "1", "on", "yes", "enabled":
		b.V, b.Set = true, true
	case "false", "0", "off", "no", "disabled":
		b.V, b.Set = false, true
	case "null", "":
	default:
		return fmt.Errorf("not a boolean: %s", short(s))
	}
	return nil
}

// flexInt accepts numbers and numeric strings (WMI uint64 values are
// strings in CIM JSON).
type flexInt struct {
	V   int64
	Set bool
}

func (n *flexInt) UnmarshalJSON(d []byte) error {
	s := strings.Trim(strings.TrimSpace(string(d)), `"`)
	if s == "null" || s == "" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("not a number: %s", short(s))
		}
		v = int64(f)
	}
	n.V, n.Set = v, true
	return nil
}

// flexString accepts a string, a number or an object carrying a
// "value"/"Value" (an enum serialised by PowerShell 5.1), as text.
type flexString string

func (s *flexString) UnmarshalJSON(d []byte) error {
	d = bytes.TrimSpace(d)
	switch {
	case len(d) == 0 || string(d) == "null":
		return nil
	case d[0] == '"':
		var v string
		if err := json.Unmarshal(d, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case d[0] == '{':
		var m map[string]any
		if err := json.Unmarshal(d, &m); err != nil {
			return err
		}
		for _, k := range []string{"value", "Value", "DateTime"} {
			if v, ok := m[k]; ok {
				*s = flexString(fmt.Sprint(v))
				return nil
			}
		}
	default:
		*s = flexString(string(d))
	}
	return nil
}

// flexStrings accepts a string, an array of strings or null.
type flexStrings []string

func (s *flexStrings) UnmarshalJSON(d []byte) error {
	d = bytes.TrimSpace(d)
	if len(d) == 0 || string(d) == "null" {
		return nil
	}
	if d[0] == '"' {
		var v string
		if err := json.Unmarshal(d, &v); err != nil {
			return err
		}
		*s = []string{v}
		return nil
	}
	var v []string
	if err := json.Unmarshal(d, &v); err != nil {
		return err
	}
	*s = v
	return nil
}

// flexTime accepts every date form the Windows sources produce; see
// parseWindowsTime. Unparseable or null leaves it unset.
type flexTime struct {
	T   time.Time
	Set bool
}

func (t *flexTime) UnmarshalJSON(d []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(d); err != nil {
		return err
	}
	if v, ok := parseWindowsTime(string(s)); ok {
		t.T, t.Set = v, true
	}
	return nil
}

func (t flexTime) ptr() *time.Time {
	if !t.Set {
		return nil
	}
	v := t.T.UTC()
	return &v
}

var msDate = regexp.MustCompile(`^/Date\((-?\d+)([+-]\d{4})?\)/$`)

// parseWindowsTime reads the date forms of the Windows sources:
//   - "/Date(1732694400000)/" and "/Date(1732694400000+0700)/": a .NET
//     DateTime from Windows PowerShell 5.1's ConvertTo-Json (milliseconds
//     since 1970 UTC; the offset only says where it was shown);
//   - RFC 3339 / ISO 8601 with or without offset (PowerShell 7);
//   - a CIM datetime "20241127083000.000000+420" (minutes east of UTC);
//   - Win32_QuickFixEngineering.InstalledOn: "11/27/2024" (M/d/yyyy, the
//     invariant culture WMI writes), "20241127", or 16 hex digits of a
//     FILETIME (some older updates);
//   - the registry's InstallDate "20241127";
//   - Security Center's timestamp, RFC 1123 "Wed, 27 Nov 2024 08:30:00 GMT".
//
// Years before 1990 or zero values mean "unknown".
func parseWindowsTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	var t time.Time
	var err error
	switch {
	case msDate.MatchString(s):
		m := msDate.FindStringSubmatch(s)
		ms, perr := strconv.ParseInt(m[1], 10, 64)
		if perr != nil {
			return time.Time{}, false
		}
		t = time.UnixMilli(ms)
	case len(s) == 16 && isHex(s):
		ft, perr := strconv.ParseUint(s, 16, 64)
		if perr != nil {
			return time.Time{}, false
		}
		// FILETIME: 100 ns intervals since 1601-01-01.
		const epochDiff = 116444736000000000
		if ft < epochDiff {
			return time.Time{}, false
		}
		t = time.Unix(0, int64(ft-epochDiff)*100)
	case len(s) >= 21 && s[14] == '.' && isDigits(s[:14]):
		t, err = time.Parse("20060102150405", s[:14])
		if err != nil {
			return time.Time{}, false
		}
		if len(s) >= 25 {
			if off, perr := strconv.Atoi(s[21:25]); perr == nil {
				t = t.Add(-time.Duration(off) * time.Minute)
			}
		}
	case len(s) == 8 && isDigits(s):
		t, err = time.Parse("20060102", s)
	default:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02",
			time.RFC1123, time.RFC1123Z, "1/2/2006", "1/2/2006 3:04:05 PM", "01/02/2006"} {
			if t, err = time.Parse(layout, s); err == nil {
				break
			}
		}
	}
	if err != nil || t.Year() < 1990 || t.Year() > 2200 {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// securityCenterState decodes AntiVirusProduct/FirewallProduct
// productState: a 24-bit value whose middle byte says whether the product
// is on (0x10 set: on; 0x00 off, 0x01 snoozed, 0x11 expired) and whose low
// byte says whether its signatures are out of date (0x10 set: out of date).
// E.g. 397568 (0x061100) is on and up to date; 393472 (0x060100) off;
// 397584 (0x061110) on with old signatures.
func securityCenterState(state int64) (enabled, upToDate bool) {
	return state&0x1000 != 0, state&0x10 == 0
}

// applyWindowsReport fills inv from the script's JSON. Sections that are
// missing are left empty; undecodable JSON is an error.
func applyWindowsReport(data []byte, inv *asset.Inventory) error {
	var w winReport
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("windows collector output: %w", err)
	}
	if w.OS != nil {
		inv.OS.Name = strings.TrimSpace(w.OS.Caption)
		inv.OS.Version = w.OS.Version
		inv.OS.Build = w.OS.BuildNumber
		if w.UBR.Set {
			inv.OS.Build += "." + strconv.FormatInt(w.UBR.V, 10)
		}
		inv.OS.Kernel = w.OS.Version
		inv.BootTime = w.OS.LastBootUpTime.ptr()
		switch w.OS.ProductType.V {
		case 1:
			inv.Role = asset.RoleWorkstation
		case 2, 3: // domain controller, server
			inv.Role = asset.RoleServer
		}
	}
	if w.MachineGUID != "" {
		inv.MachineID = strings.ToLower(w.MachineGUID)
	}
	if w.CS != nil {
		if w.CS.DNSHostName != "" {
			inv.Hostname = w.CS.DNSHostName // as Windows shows it; the hub matches case-insensitively
		}
		if w.CS.PartOfDomain.V {
			inv.Domain, inv.DomainKind = strings.ToLower(w.CS.Domain), "ad"
			inv.FQDN = inv.Hostname + "." + inv.Domain
		} else if w.CS.Workgroup != "" {
			inv.Domain, inv.DomainKind = w.CS.Workgroup, "workgroup"
		}
		inv.Hardware.Vendor = w.CS.Manufacturer
		inv.Hardware.Model = w.CS.Model
		if w.CS.TotalPhysicalMemory.V > 0 {
			inv.Hardware.MemoryBytes = uint64(w.CS.TotalPhysicalMemory.V)
		}
		m := strings.ToLower(w.CS.Model + " " + w.CS.Manufacturer)
		for _, v := range []string{"virtual", "vmware", "kvm", "qemu", "hvm domu", "xen"} {
			if strings.Contains(m, v) {
				inv.Hardware.Virtual = true
			}
		}
	}
	if w.BIOS != nil {
		inv.Hardware.Serial = strings.TrimSpace(w.BIOS.SerialNumber)
	}
	for i, c := range w.CPU {
		if i == 0 {
			inv.Hardware.CPUModel = strings.TrimSpace(c.Name)
		}
		inv.Hardware.CPUCores += int(c.NumberOfCores.V)
		inv.Hardware.CPUThreads += int(c.NumberOfLogicalProcessors.V)
	}
	encrypted := map[string]bool{}
	anyBitLocker := false
	for _, v := range w.BitLocker {
		anyBitLocker = true
		// ProtectionStatus: 0 off, 1 on, 2 unknown (locked).
		encrypted[strings.ToUpper(v.DriveLetter)] = v.ProtectionStatus.V == 1
	}
	for _, d := range w.Disks {
		disk := asset.Disk{Mount: d.DeviceID, FSType: d.FileSystem, SizeBytes: uint64(max(d.Size.V, 0)), FreeBytes: uint64(max(d.FreeSpace.V, 0))}
		if anyBitLocker {
			disk.Encrypted = boolp(encrypted[strings.ToUpper(d.DeviceID)])
		}
		inv.Disks = append(inv.Disks, disk)
	}
	for _, n := range w.NetCfg {
		for _, a := range n.DNSServerSearchOrder {
			if ip, err := netip.ParseAddr(a); err == nil {
				inv.DNSServers = append(inv.DNSServers, ip.String())
			}
		}
		for _, a := range n.DefaultIPGateway {
			if ip, err := netip.ParseAddr(a); err == nil {
				inv.Gateways = append(inv.Gateways, ip.String())
			}
		}
	}
	for _, q := range w.QFE {
		id := strings.TrimSpace(q.HotFixID)
		if id == "" || strings.EqualFold(id, "File 1") {
			continue // placeholder rows some updates leave
		}
		h := asset.Hotfix{ID: id, Description: q.Description}
		if t, ok := parseWindowsTime(string(q.InstalledOn)); ok {
			h.InstalledAt = &t
			if inv.LastPatchAt == nil || t.After(*inv.LastPatchAt) {
				tt := t
				inv.LastPatchAt = &tt
			}
		}
		inv.Hotfixes = append(inv.Hotfixes, h)
	}
	inv.Controls = append(inv.Controls, windowsAntivirus(&w)...)
	inv.Controls = append(inv.Controls, windowsFirewall(&w))
	if anyBitLocker {
		c := asset.Control{Kind: asset.ControlDiskEncryption, Product: "BitLocker"}
		var on, off []string
		for _, d := range inv.Disks {
			if d.Encrypted != nil && *d.Encrypted {
				on = append(on, d.Mount)
			} else {
				off = append(off, d.Mount)
			}
		}
		sys := "C:"
		c.Enabled = encrypted[sys]
		c.Detail = describeVolumes(on, off)
		inv.Controls = append(inv.Controls, c)
	} else {
		inv.Controls = append(inv.Controls, asset.Control{Kind: asset.ControlDiskEncryption, Product: "BitLocker", Detail: "BitLocker status not available (not installed, or the agent is not an administrator)"})
	}
	if w.WU != nil {
		inv.Controls = append(inv.Controls, windowsUpdate(&w))
		if t := w.WU.LastInstallationSuccessDate.ptr(); t != nil && (inv.LastPatchAt == nil || t.After(*inv.LastPatchAt)) {
			inv.LastPatchAt = t
		}
	}
	inv.Accounts = windowsAccounts(&w)
	inv.LoggedOn = parseQuser(w.QUser)
	return nil
}

func describeVolumes(on, off []string) string {
	var parts []string
	if len(on) > 0 {
		parts = append(parts, "protected: "+strings.Join(on, " "))
	}
	if len(off) > 0 {
		parts = append(parts, "not protected: "+strings.Join(off, " "))
	}
	return strings.Join(parts, "; ")
}

// windowsAntivirus merges Defender's own status (Get-MpComputerStatus,
// present on servers too) with Security Center's list of registered
// antivirus products (workstations only).
func windowsAntivirus(w *winReport) []asset.Control {
	var out []asset.Control
	if w.MP != nil && (w.MP.AMServiceEnabled.Set || w.MP.AMProductVersion != "") {
		c := asset.Control{
			Kind:      asset.ControlAntivirus,
			Product:   "Microsoft Defender Antivirus",
			Enabled:   w.MP.AMServiceEnabled.V && w.MP.AntivirusEnabled.V,
			RealTime:  boolp(w.MP.RealTimeProtectionEnabled.V),
			UpdatedAt: w.MP.AntivirusSignatureLastUpdated.ptr(),
			Version:   w.MP.AMProductVersion,
		}
		var detail []string
		if w.MP.AntivirusSignatureVersion != "" {
			detail = append(detail, "signatures "+w.MP.AntivirusSignatureVersion)
		}
		if m := w.MP.AMRunningMode; m != "" && !strings.EqualFold(m, "Normal") {
			// Passive mode: another antivirus is primary; Defender scans
			// only on demand.
			detail = append(detail, "running mode "+m)
			if strings.Contains(strings.ToLower(m), "passive") || strings.Contains(strings.ToLower(m), "disabled") {
				c.Enabled = false
			}
		}
		c.Detail = strings.Join(detail, "; ")
		out = append(out, c)
	}
	for _, p := range w.AV {
		name := strings.TrimSpace(p.DisplayName)
		if name == "" {
			continue
		}
		if len(out) > 0 && out[0].Product == "Microsoft Defender Antivirus" && strings.Contains(strings.ToLower(name), "defender") {
			continue // the same product, better described by Get-MpComputerStatus
		}
		on, current := securityCenterState(p.ProductState.V)
		c := asset.Control{Kind: asset.ControlAntivirus, Product: name, Enabled: on, RealTime: boolp(on), UpdatedAt: p.Timestamp.ptr()}
		c.Detail = fmt.Sprintf("Security Center productState 0x%06X", p.ProductState.V)
		if !current {
			c.Detail += "; signatures out of date"
		}
		out = append(out, c)
	}
	return out
}

// windowsFirewall: on when every profile (Domain, Private, Public) is
// enabled, or a third-party firewall registered with Security Center is.
func windowsFirewall(w *winReport) asset.Control {
	c := asset.Control{Kind: asset.ControlFirewall, Product: "Windows Defender Firewall"}
	var on, off []string
	for _, p := range w.FW {
		if p.Enabled.V {
			on = append(on, p.Name)
		} else {
			off = append(off, p.Name)
		}
		c.Profiles = append(c.Profiles, asset.ControlProfile{Name: p.Name, Enabled: p.Enabled.V})
	}
	c.Enabled = len(on) > 0 && len(off) == 0
	switch {
	case len(w.FW) == 0:
		c.Detail = "firewall profiles not available"
	case len(off) > 0:
		c.Detail = "profiles off: " + strings.Join(off, " ")
	default:
		c.Detail = "profiles on: " + strings.Join(on, " ")
	}
	for _, p := range w.FWProducts {
		if en, _ := securityCenterState(p.ProductState.V); en && !strings.Contains(strings.ToLower(p.DisplayName), "windows") {
			return asset.Control{Kind: asset.ControlFirewall, Product: strings.TrimSpace(p.DisplayName), Enabled: true,
				Detail: fmt.Sprintf("Security Center productState 0x%06X", p.ProductState.V)}
		}
	}
	return c
}

// windowsUpdate: automatic updates are off when the policy sets
// NoAutoUpdate=1, when AUOptions is 2 (notify only), or when the Windows
// Update service is disabled.
func windowsUpdate(w *winReport) asset.Control {
	c := asset.Control{Kind: asset.ControlAutoUpdate, Product: "Windows Update", Enabled: true,
		UpdatedAt: w.WU.LastInstallationSuccessDate.ptr()}
	var why []string
	if w.WU.NoAutoUpdate.V == 1 {
		c.Enabled = false
		why = append(why, "policy NoAutoUpdate=1")
	}
	if w.WU.AUOptions.V == 2 {
		c.Enabled = false
		why = append(why, "policy AUOptions=2 (notify only)")
	}
	if strings.EqualFold(w.WU.ServiceStartType, "Disabled") || w.WU.ServiceStartType == "4" {
		c.Enabled = false
		why = append(why, "wuauserv service disabled")
	}
	c.Detail = strings.Join(why, "; ")
	return c
}

// windowsAccounts lists local users, admin when they or (by name) their
// entry is in the local Administrators group (S-1-5-32-544).
func windowsAccounts(w *winReport) []asset.Account {
	admin := map[string]bool{}
	for _, a := range w.Admins {
		if a.SID != "" {
			admin[strings.ToUpper(a.SID)] = true
		}
		admin[strings.ToLower(a.Name)] = true
	}
	var out []asset.Account
	for _, u := range w.Users {
		a := asset.Account{Name: u.Name, UID: u.SID, Enabled: u.Enabled.V, LastLogon: u.LastLogon.ptr()}
		host := ""
		if w.CS != nil {
			host = strings.ToLower(w.CS.Name)
		}
		a.Admin = admin[strings.ToUpper(u.SID)] || admin[strings.ToLower(u.Name)] || admin[host+`\`+strings.ToLower(u.Name)]
		// Built-in service accounts: DefaultAccount (RID 503),
		// WDAGUtilityAccount (504), Guest (501).
		a.System = strings.HasSuffix(u.SID, "-503") || strings.HasSuffix(u.SID, "-504") || strings.HasSuffix(u.SID, "-501")
		out = append(out, a)
	}
	// Domain accounts and groups in Administrators are admins of this host
	// too; list them so a new one shows in the history.
	for _, a := range w.Admins {
		if strings.EqualFold(fmt.Sprint(a.PrincipalSource), "Local") || a.Name == "" {
			continue
		}
		local := false
		for _, u := range out {
			if strings.EqualFold(u.UID, a.SID) {
				local = true
			}
		}
		if !local {
			out = append(out, asset.Account{Name: a.Name, UID: a.SID, Admin: true, Enabled: true})
		}
	}
	return out
}

// parseQuser reads `quser` output:
//
//	 USERNAME              SESSIONNAME        ID  STATE   IDLE TIME  LOGON TIME
//	>operator1             console             1  Active      none   11/27/2026 8:01 AM
//	 svc-backup                                2  Disc           3   11/26/2026 6:12 PM
//
// A disconnected session has no session name, so columns are located by
// the header's positions.
func parseQuser(s string) []asset.Session {
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	if len(lines) < 2 {
		return nil
	}
	hdr := lines[0]
	sessCol := strings.Index(hdr, "SESSIONNAME")
	idCol := strings.Index(hdr, "ID")
	logonCol := strings.Index(hdr, "LOGON TIME")
	if sessCol < 0 || idCol < 0 {
		return nil
	}
	var out []asset.Session
	for _, l := range lines[1:] {
		if len(strings.TrimSpace(l)) == 0 || len(l) < sessCol {
			continue
		}
		user := strings.TrimSpace(strings.TrimLeft(l[:sessCol], " >"))
		term := strings.TrimSpace(l[sessCol:min(idCol, len(l))])
		if f := strings.Fields(term); len(f) > 0 {
			term = f[0]
		}
		sess := asset.Session{User: user, Terminal: term}
		if logonCol >= 0 && logonCol < len(l) {
			if t, ok := parseWindowsTime(strings.TrimSpace(l[logonCol:])); ok {
				sess.Since = &t
			} else if t, err := time.ParseInLocation("1/2/2006 3:04 PM", strings.TrimSpace(l[logonCol:]), time.Local); err == nil {
				t = t.UTC()
				sess.Since = &t
			}
		}
		if user != "" {
			out = append(out, sess)
		}
	}
	return out
}

// windowsListening turns Get-NetTCPConnection/Get-NetUDPEndpoint rows into
// listeners, naming processes with names (pid -> image name).
func windowsListening(w *winReport, names map[int]string) []asset.Listener {
	var out []asset.Listener
	add := func(proto string, eps []winEndpoint) {
		for _, e := range eps {
			a, err := netip.ParseAddr(e.LocalAddress)
			if err != nil {
				continue
			}
			pid := int(e.OwningProcess.V)
			out = append(out, asset.Listener{Proto: proto, Address: a.Unmap().String(), Port: int(e.LocalPort.V), PID: pid, Process: names[pid]})
		}
	}
	add("tcp", w.TCP)
	add("udp", w.UDP)
	return out
}

// windowsServices maps lowercase service names to "enabled" (start type
// not Disabled) and the running set.
func windowsServices(w *winReport) (enabled map[string]bool, running map[string]bool) {
	enabled, running = map[string]bool{}, map[string]bool{}
	for _, s := range w.Services {
		n := strings.ToLower(s.Name)
		st := strings.ToLower(string(s.StartType))
		enabled[n] = st != "disabled" && st != "4"
		if strings.EqualFold(string(s.Status), "Running") || string(s.Status) == "4" {
			running[n] = true
		}
	}
	return enabled, running
}

// uninstallEntry turns the values of one registry Uninstall subkey into a
// package. System components, updates of another product and entries
// without a DisplayName are not software a person installed and are
// skipped, as Programs and Features does.
func uninstallEntry(values map[string]any, source string) (asset.Software, bool) {
	str := func(k string) string {
		if v, ok := values[k]; ok {
			if s, ok := v.(string); ok {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	num := func(k string) int64 {
		switch v := values[k].(type) {
		case uint64:
			return int64(v)
		case int64:
			return v
		case float64:
			return int64(v)
		case string:
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
		return 0
	}
	name := str("DisplayName")
	if name == "" || num("SystemComponent") == 1 || str("ParentKeyName") != "" {
		return asset.Software{}, false
	}
	switch strings.ToLower(str("ReleaseType")) {
	case "update", "hotfix", "security update", "service pack":
		return asset.Software{}, false
	}
	s := asset.Software{Name: name, Version: str("DisplayVersion"), Vendor: str("Publisher"), Source: source}
	if t, ok := parseWindowsTime(str("InstallDate")); ok {
		s.InstalledAt = &t
	}
	return s, true
}
