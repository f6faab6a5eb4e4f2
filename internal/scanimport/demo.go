package scanimport

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
)

// demoPlugin is a Nessus plugin as the demo's weekly scans report it.
type demoPlugin struct {
	id, name, port, sev string
	cves                []string
	cvss                string
	output              string
}

// The demo's plugins: what an internal Nessus scan of a province's servers
// typically finds (real plugin ids, CVEs and scores).
var demoPlugins = []demoPlugin{
	{"97833", "MS17-010: Security Update for Microsoft Windows SMB Server (ETERNALBLUE)", "445/tcp", "4", []string{"CVE-2017-0143", "CVE-2017-0144"}, "8.1", "The remote host is missing the MS17-010 update."},
	{"187901", "KB5033371: Windows Server 2019 Security Update (December 2023)", "445/tcp", "3", []string{"CVE-2023-35628", "CVE-2023-35630"}, "8.8", "Installed version : 10.0.17763.5122\nFixed version : 10.0.17763.5206"},
	{"187315", "SSH Terrapin Prefix Truncation Weakness (CVE-2023-48795)", "22/tcp", "2", []string{"CVE-2023-48795"}, "5.9", "Supports following vulnerable cipher : chacha20-poly1305@openssh.com"},
	{"57608", "SMB Signing not required", "445/tcp", "2", nil, "5.3", "Signing is not required on the remote SMB server."},
	{"104743", "TLS Version 1.0 Protocol Detection", "3389/tcp", "2", nil, "6.5", "TLSv1 is enabled and the server supports at least one cipher."},
	{"156032", "Apache Log4j < 2.15.0 Remote Code Execution", "8080/tcp", "4", []string{"CVE-2021-44228"}, "10.0", "Path : /opt/app/lib/log4j-core-2.14.1.jar\nInstalled version : 2.14.1\nFixed version : 2.15.0"},
}

var xmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// demoReport builds a .nessus v2 report of hosts (address → name) seen at
// at, each with the plugins pick chooses.
func demoReport(at time.Time, hosts [][2]string, pick func(host, plugin int) bool) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" ?>` + "\n<NessusClientData_v2>\n<Report name=\"Quét định kỳ máy chủ\">\n")
	for hi, h := range hosts {
		fmt.Fprintf(&b, "<ReportHost name=\"%s\"><HostProperties>\n<tag name=\"HOST_END_TIMESTAMP\">%d</tag>\n<tag name=\"host-ip\">%s</tag>\n", h[0], at.Unix(), h[0])
		if h[1] != "" {
			fmt.Fprintf(&b, "<tag name=\"host-fqdn\">%s</tag>\n", h[1])
		}
		b.WriteString("</HostProperties>\n<ReportItem port=\"0\" svc_name=\"general\" protocol=\"tcp\" severity=\"0\" pluginID=\"19506\" pluginName=\"Nessus Scan Information\"><plugin_output>Nessus version : 10.6.4</plugin_output></ReportItem>\n")
		for pi, p := range demoPlugins {
			if !pick(hi, pi) {
				continue
			}
			port, proto, _ := strings.Cut(p.port, "/")
			fmt.Fprintf(&b, "<ReportItem port=\"%s\" svc_name=\"svc\" protocol=\"%s\" severity=\"%s\" pluginID=\"%s\" pluginName=\"%s\">\n", port, proto, p.sev, p.id, xmlEscape.Replace(p.name))
			for _, c := range p.cves {
				fmt.Fprintf(&b, "<cve>%s</cve>\n", c)
			}
			fmt.Fprintf(&b, "<cvss3_base_score>%s</cvss3_base_score>\n<plugin_output>%s</plugin_output>\n</ReportItem>\n", p.cvss, xmlEscape.Replace(p.output))
		}
		b.WriteString("</ReportHost>\n")
	}
	b.WriteString("</Report>\n</NessusClientData_v2>\n")
	return b.String()
}

// LoadDemo imports two weekly Nessus scans (generated for the demo) into
// each of units: some of the unit's servers and a NAS the inventory did
// not know. The second week's scan no longer sees two of the first
// week's problems, so the page shows findings closed as "fixed, verified
// by scan". It does nothing when any scan has been imported.
func (s *Service) LoadDemo(ctx context.Context, units []string) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM scan_imports`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	now := s.now()
	week2 := now.Add(-26 * time.Hour).Truncate(time.Hour)
	week1 := week2.Add(-7 * 24 * time.Hour)
	imported := 0
	for ui, code := range units {
		rows, err := s.DB.Query(ctx, `SELECT h.addresses, h.fqdn, h.hostname FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = ? AND h.addresses <> '' ORDER BY h.id LIMIT 4`, code)
		if err != nil {
			return imported, err
		}
		var hosts [][2]string
		for rows.Next() {
			var addrs, fqdn, name string
			if err := rows.Scan(&addrs, &fqdn, &name); err != nil {
				rows.Close()
				return imported, err
			}
			if f := strings.Fields(addrs); len(f) > 0 {
				if fqdn == "" {
					fqdn = name
				}
				hosts = append(hosts, [2]string{f[0], strings.ToLower(fqdn)})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return imported, err
		}
		if len(hosts) == 0 {
			continue
		}
		// A storage box no agent runs on: the scan adds it to the hosts.
		hosts = append(hosts, [2]string{fmt.Sprintf("10.%d.%d.250", 200+ui, ui), "nas-luutru.local"})
		first := func(h, p int) bool { return (h+p)%3 != 0 || p == 0 }
		second := func(h, p int) bool { return first(h, p) && !(h == 0 && (p == 0 || p == 4)) && !(h == 1 && p == 2) }
		for i, doc := range []string{demoReport(week1, hosts, first), demoReport(week2, hosts, second)} {
			file := fmt.Sprintf("quet-tuan-%d-%s.nessus", i+1, strings.ToLower(code))
			if _, err := s.Import(ctx, Options{Unit: code, File: file}, strings.NewReader(doc)); err != nil {
				return imported, fmt.Errorf("scanimport: demo %s: %w", file, err)
			}
			imported++
		}
	}
	return imported, nil
}
