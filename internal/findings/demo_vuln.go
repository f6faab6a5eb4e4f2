package findings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/store"
)

// The vulnerability demo: what the MSRC matcher and a unit's scanner
// report would file on the demo organisation's hosts, so the vulnerability
// views show believable work before any feed is loaded. The KBs, CVEs,
// CVSS scores, MSRC releases and CISA due dates are real (copied from the
// MSRC 2023 security update documents and the KEV catalog); the EPSS
// probabilities are illustrative.

type demoFix struct {
	doc      string   // MSRC release
	kb       string   // digits
	severity string   // the most severe on the product
	cvss     float64  // the highest
	cves     []string // the most severe first
	kev      string   // a KEV-listed CVE among them ("" for none)
	kevDue   string   // CISA's due date for it
	epss     float64
}

// demoFixes: the latest 2023 cumulative update a lagging host lacks (the
// one to install: it supersedes the earlier ones), per product.
var demoFixes = map[string][]demoFix{
	"Windows Server 2019": {
		{"2023-Dec", "5033371", SeverityCritical, 8.8, []string{"CVE-2023-35641", "CVE-2023-35630", "CVE-2023-35628", "CVE-2023-36006", "CVE-2023-35639"}, "", "", 0.09},
		{"2023-Nov", "5032196", SeverityCritical, 9.8, []string{"CVE-2023-36397", "CVE-2023-36400", "CVE-2023-36028", "CVE-2023-36025", "CVE-2023-36036", "CVE-2023-36033"}, "CVE-2023-36025", "2023-12-05", 0.21},
		{"2023-Oct", "5031361", SeverityCritical, 9.8, []string{"CVE-2023-35349", "CVE-2023-41765", "CVE-2023-41767", "CVE-2023-36563", "CVE-2023-44487"}, "CVE-2023-44487", "2023-10-31", 0.82},
	},
	"Windows Server 2022": {
		{"2023-Dec", "5033118", SeverityCritical, 8.8, []string{"CVE-2023-35641", "CVE-2023-35630", "CVE-2023-35628", "CVE-2023-36006", "CVE-2023-35639"}, "", "", 0.09},
		{"2023-Nov", "5032198", SeverityCritical, 9.8, []string{"CVE-2023-36397", "CVE-2023-36400", "CVE-2023-36028", "CVE-2023-36025", "CVE-2023-36036", "CVE-2023-36033"}, "CVE-2023-36025", "2023-12-05", 0.21},
		{"2023-Oct", "5031364", SeverityCritical, 9.8, []string{"CVE-2023-35349", "CVE-2023-41765", "CVE-2023-41767", "CVE-2023-36563", "CVE-2023-44487"}, "CVE-2023-44487", "2023-10-31", 0.82},
	},
	"Windows 10 Version 22H2": {
		{"2023-Dec", "5033372", SeverityCritical, 8.8, []string{"CVE-2023-35641", "CVE-2023-35630", "CVE-2023-35628", "CVE-2023-36006", "CVE-2023-35639"}, "", "", 0.09},
		{"2023-Nov", "5032189", SeverityCritical, 9.8, []string{"CVE-2023-36397", "CVE-2023-36400", "CVE-2023-36028", "CVE-2023-36025", "CVE-2023-36036", "CVE-2023-36033"}, "CVE-2023-36025", "2023-12-05", 0.21},
		{"2023-Oct", "5031356", SeverityCritical, 9.8, []string{"CVE-2023-35349", "CVE-2023-41765", "CVE-2023-41767", "CVE-2023-36563", "CVE-2023-44487"}, "CVE-2023-44487", "2023-10-31", 0.82},
	},
	"Windows 11 Version 23H2": {
		{"2023-Dec", "5033375", SeverityCritical, 8.8, []string{"CVE-2023-35641", "CVE-2023-35630", "CVE-2023-35628", "CVE-2023-36006", "CVE-2023-35639"}, "", "", 0.09},
		{"2023-Nov", "5032190", SeverityCritical, 9.8, []string{"CVE-2023-36397", "CVE-2023-36400", "CVE-2023-36028", "CVE-2023-36025", "CVE-2023-36036", "CVE-2023-36033"}, "CVE-2023-36025", "2023-12-05", 0.21},
	},
}

// demoSQL is the SQL Server 2019 (GDR) security update of October 2023.
var demoSQL = demoFix{"2023-Oct", "5029377", SeverityHigh, 7.8, []string{"CVE-2023-36730", "CVE-2023-36420", "CVE-2023-36417", "CVE-2023-36785", "CVE-2023-36728"}, "", "", 0.03}

// demoScanned are what a unit's Nessus scan reports on its Linux servers.
var demoScanned = []struct {
	cve, title, product, port, severity string
	cvss, epss                          float64
	kevDue                              string
}{
	{"CVE-2023-44487", "HTTP/2 Rapid Reset (nginx)", "nginx 1.18.0", "443", SeverityHigh, 7.5, 0.82, "2023-10-31"},
	{"CVE-2023-38408", "OpenSSH ssh-agent PKCS#11 remote code execution", "openssh-server 1:8.9p1-3ubuntu0.6", "22", SeverityCritical, 9.8, 0.35, ""},
}

// productOfOS names a host's Windows in MSRC's words.
func productOfOS(osName string) string {
	switch {
	case strings.Contains(osName, "Server 2019"):
		return "Windows Server 2019"
	case strings.Contains(osName, "Server 2022"):
		return "Windows Server 2022"
	case strings.Contains(osName, "Windows 10"):
		return "Windows 10 Version 22H2"
	case strings.Contains(osName, "Windows 11"):
		return "Windows 11 Version 23H2"
	}
	return ""
}

func demoDay(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse("2006-01-02", s)
	return t
}

// loadVulnDemo files the demo's vulnerabilities and missing updates and
// moves some along: in progress, fixed (closings spread over the past
// weeks so the trend has a shape), a risk accepted by the unit's officer.
// It does nothing once any finding of these kinds exists.
func (s *Service) loadVulnDemo(ctx context.Context, officers map[string]string, soc string) error {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM findings WHERE kind IN ('vulnerability', 'missing_update')`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	type host struct {
		id                         int64
		family, osName, role, unit string
	}
	var hostsList []host
	rows, err := s.DB.Query(ctx, `SELECT h.id, h.os_family, h.os_name, h.role, u.code FROM hosts h JOIN units u ON u.id = h.unit_id ORDER BY h.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var h host
		if err := rows.Scan(&h.id, &h.family, &h.osName, &h.role, &h.unit); err != nil {
			rows.Close()
			return err
		}
		hostsList = append(hostsList, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var admin string
	if err := s.DB.QueryRow(ctx, `SELECT email FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id LIMIT 1`).Scan(&admin); err != nil && !store.IsNoRows(err) {
		return err
	}
	now := s.now()
	week := 7 * 24 * time.Hour
	type filed struct {
		id   int64
		unit string
		kb   string
	}
	var all []filed
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		all = all[:0]
		for i, h := range hostsList {
			// First seen over the last six weeks, as the feeds and scans
			// arrived.
			seen := now.Add(-time.Duration(i%6)*week - time.Duration(i%5)*24*time.Hour - 3*time.Hour)
			record := func(o Observation, kb string) error {
				o.HostID, o.SeenAt = h.id, seen
				id, _, err := Record(ctx, tx, o)
				if err == nil {
					all = append(all, filed{id, h.unit, kb})
				}
				return err
			}
			if h.family == "linux" {
				for _, v := range demoScanned {
					if i%2 == 1 && v.port == "22" {
						continue
					}
					kevDue := demoDay(v.kevDue)
					if err := record(Observation{Kind: KindVulnerability, Key: "cve:" + v.cve + ":" + v.port, Title: v.title, Severity: v.severity,
						Source: "import nessus-" + strings.ToLower(h.unit) + "-2024-01.nessus", CVE: v.cve, CVSS: v.cvss, EPSS: v.epss, KEV: !kevDue.IsZero(), KEVDue: kevDue, Port: v.port,
						Evidence: VulnerabilityEvidence{CVE: v.cve, CVSS: v.cvss, Exploited: !kevDue.IsZero(), Product: v.product, Port: v.port, Scanner: "Nessus"}}, ""); err != nil {
						return err
					}
				}
				continue
			}
			product := productOfOS(h.osName)
			fixes := demoFixes[product]
			if len(fixes) == 0 {
				continue
			}
			// One host in four is up to date with 2023's updates.
			if i%4 != 2 {
				fx := fixes[i%len(fixes)]
				if err := record(msObservation(product, fx), fx.kb); err != nil {
					return err
				}
			}
			if h.role == "server" && i%3 == 0 {
				if err := record(msObservation("Microsoft SQL Server 2019 for x64-based Systems (GDR)", demoSQL), demoSQL.kb); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("findings: vulnerability demo: %w", err)
	}
	// The officers at work.
	str := func(v string) *string { return &v }
	for i, f := range all {
		owner := officers[f.unit]
		if owner == "" {
			owner = soc
		}
		var in Update
		closedAgo := time.Duration(0)
		switch i % 7 {
		case 1:
			in = Update{Status: str(StatusInProgress), Owner: str(owner), Note: str("Đã lên lịch cài bản cập nhật ngoài giờ làm việc, chờ sao lưu xong.")}
		case 2, 5:
			in = Update{Status: str(StatusResolved), Owner: str(owner), Note: str(fmt.Sprintf("Đã cài bản cập nhật %s, khởi động lại, Windows Update không còn báo thiếu.", kbOrPatch(f.kb)))}
			closedAgo = time.Duration(i%4) * week
		case 4:
			approver := officers[f.unit]
			if approver == "" {
				approver = admin
			}
			if approver == "" {
				continue
			}
			in = Update{Status: str(StatusAcceptedRisk), Owner: str(owner), Approver: str(approver),
				Expires: str(now.In(time.UTC).AddDate(0, 2, 0).Format("2006-01-02")),
				Note:    str("Máy phục vụ phần mềm nghiệp vụ cũ chưa tương thích bản cập nhật; đã chặn cổng dịch vụ từ ngoài mạng, nhà cung cấp cam kết bản mới trong tháng 2.")}
		default:
			continue
		}
		if _, err := s.Update(ctx, f.id, in); err != nil {
			return fmt.Errorf("findings: vulnerability demo %d: %w", f.id, err)
		}
		if closedAgo > 0 {
			if _, err := s.DB.Exec(ctx, `UPDATE findings SET status_since = ? WHERE id = ? AND first_seen < ?`,
				store.Micros(now.Add(-closedAgo)), f.id, store.Micros(now.Add(-closedAgo))); err != nil {
				return err
			}
		}
	}
	return nil
}

func kbOrPatch(kb string) string {
	if kb == "" {
		return "bản vá của nhà cung cấp"
	}
	return "KB" + kb
}

func msObservation(product string, fx demoFix) Observation {
	kevDue := demoDay(fx.kevDue)
	return Observation{Kind: KindMissingUpdate, Key: "kb:" + fx.kb, Title: "KB" + fx.kb + " — " + product + " (" + fx.doc + ")", Severity: fx.severity,
		Source: "msrc", CVE: fx.cves[0], CVSS: fx.cvss, EPSS: fx.epss, KEV: fx.kev != "", KEVDue: kevDue,
		Evidence: MissingUpdateEvidence{Update: "KB" + fx.kb, Product: product, KB: fx.kb, CVEs: fx.cves, CVSS: fx.cvss, Document: fx.doc,
			Released: demoReleased[fx.doc], Advisory: "https://msrc.microsoft.com/update-guide/releaseNote/" + fx.doc}}
}

var demoReleased = map[string]string{"2023-Oct": "2023-10-10", "2023-Nov": "2023-11-14", "2023-Dec": "2023-12-12"}
