package intel

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
)

// demoFallback is a small STIX extract of our own, imported when the
// shared public samples are not beside the repository.
//
//go:embed demodata/fallback-stix.json
var demoFallback embed.FS

// demoSamples are the shared public samples (../shared/data) the demo's
// list is built from: OASIS STIX 2.1 examples, a Unit 42 STIX 2.0
// bundle and a PyMISP test event.
var demoSamples = []string{
	"stix/oasis/indicator-for-c2-ip-address.json",
	"stix/oasis/indicators-for-C2-with-COA.json",
	"stix/oasis/malicious-email-indicator-with-attachment.json",
	"stix/unit42/2024-02-08-Pikabot.json",
	"misp/misp_event.json",
}

// LoadDemo builds the demo's warning lists when there is none, through
// the same import and publish paths people use (so the OnPublish hooks
// run): last month's list in two versions (the first superseded) and this
// month's list "Danh sách cảnh báo tháng MM/YYYY" from the shared STIX
// and MISP samples (sharedDir, "" when absent: a small embedded extract)
// plus addresses of three demo hosts in two units, an account on a demo
// host and a host name. It returns the indicators loaded.
func (s *Service) LoadDemo(ctx context.Context, sharedDir string) (int, error) {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM warning_lists`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	now := s.now().In(i18n.Location)
	prev := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, i18n.Location).AddDate(0, -1, 0)
	loaded := 0

	// Last month: version 1, then a correction (version 2) that supersedes it.
	prevName := "Danh sách cảnh báo tháng " + prev.Format("01/2006")
	v1, err := s.CreateList(ctx, ListInput{Name: prevName, Month: prev.Format("2006-01"), Description: "Danh sách kèm báo cáo kỹ thuật tháng " + prev.Format("01/2006")})
	if err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}
	res, err := s.AddEntries(ctx, v1.ID, EntryInput{Values: "ip,198.51.100.23,Máy chủ điều khiển mã độc đánh cắp thông tin\ndomain,bhxh-tracuu.example,Trang giả mạo tra cứu bảo hiểm\n",
		Source: DefaultIssuer, Severity: "high", Reason: "Báo cáo kỹ thuật tháng " + prev.Format("01/2006")})
	if err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}
	loaded += res.IndicatorsLoaded
	if _, err := s.Publish(ctx, v1.ID); err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}
	v2, err := s.NewVersion(ctx, v1.ID)
	if err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}
	if res, err = s.AddEntries(ctx, v2.ID, EntryInput{Values: "ip,198.51.100.77,Bổ sung: máy chủ phát tán mã độc\n", Source: DefaultIssuer, Severity: "medium",
		Reason: "Đính chính báo cáo kỹ thuật tháng " + prev.Format("01/2006")}); err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}
	loaded += res.IndicatorsLoaded
	if _, err := s.Publish(ctx, v2.ID); err != nil {
		return 0, fmt.Errorf("intel demo: %w", err)
	}

	// This month: the shared samples, then the demo's own hosts.
	name := "Danh sách cảnh báo tháng " + now.Format("01/2006")
	imported := 0
	var used []string
	fromShared := 0
	for _, f := range demoSamples {
		if sharedDir == "" {
			break
		}
		b, err := os.ReadFile(filepath.Join(sharedDir, f))
		if err != nil {
			s.logger().Warn("intel demo: a shared sample is missing", "shared_dir", sharedDir, "file", f, "err", err)
			continue
		}
		res, err := s.Import(ctx, ImportInput{Name: filepath.Base(f), Data: bytes.NewReader(b), List: name, Source: "Mẫu công khai (" + strings.ToUpper(strings.SplitN(f, "/", 2)[0]) + ")",
			Report: "Báo cáo kỹ thuật tháng " + now.Format("01/2006"), Severity: "medium", Reason: "Chỉ báo từ nguồn tình báo quốc tế"})
		if err != nil {
			s.logger().Warn("intel demo: a shared sample was not imported", "file", f, "err", err)
			continue
		}
		imported++
		loaded += res.IndicatorsLoaded
		fromShared += res.IndicatorsLoaded
		used = append(used, f)
	}
	// The samples are found only when the hub starts from the repository's
	// tree (../shared beside it); the log says which were loaded and from
	// where, or that the embedded extract stood in.
	if imported == 0 {
		b, _ := demoFallback.ReadFile("demodata/fallback-stix.json")
		res, err := s.Import(ctx, ImportInput{Name: "fallback-stix.json", Data: bytes.NewReader(b), List: name, Source: DefaultIssuer, Severity: "medium"})
		if err != nil {
			return loaded, fmt.Errorf("intel demo: %w", err)
		}
		loaded += res.IndicatorsLoaded
		where := sharedDir
		if where == "" {
			where = "(not found: start the demo from the repository's directory tree to use ../shared/data)"
		}
		s.logger().Info("intel demo: no shared sample loaded; the embedded extract stands in", "shared_dir", where, "file", "demodata/fallback-stix.json", "indicators", res.IndicatorsLoaded)
	} else {
		s.logger().Info("intel demo: shared samples loaded", "shared_dir", sharedDir, "files", strings.Join(used, ", "), "indicators", fromShared)
	}
	csv, err := s.demoHostsCSV(ctx)
	if err != nil {
		return loaded, err
	}
	if csv != "" {
		res, err := s.Import(ctx, ImportInput{Name: "may-can-xu-ly.csv", Data: strings.NewReader(csv), List: name, Source: DefaultIssuer, Report: "Báo cáo kỹ thuật tháng " + now.Format("01/2006")})
		if err != nil {
			return loaded, fmt.Errorf("intel demo: %w", err)
		}
		loaded += res.IndicatorsLoaded
	}
	return loaded, nil
}

// demoHostsCSV names, as warning-list CSV rows, addresses of three demo
// hosts in two units (two in Hà Nội, one in Đà Nẵng), an account on one
// of them and a host name.
func (s *Service) demoHostsCSV(ctx context.Context) (string, error) {
	rows, err := s.DB.Query(ctx, `SELECT h.hostname, h.addresses, h.inventory, u.code FROM hosts h JOIN units u ON u.id = h.unit_id
		WHERE u.code IN ('T01', 'T48') AND h.addresses <> '' ORDER BY u.code, h.id`)
	if err != nil {
		return "", fmt.Errorf("intel demo: hosts: %w", err)
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString("type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason\n")
	per := map[string]int{}
	account, hostname := "", ""
	for rows.Next() {
		var host, addrs, inv, unit string
		if err := rows.Scan(&host, &addrs, &inv, &unit); err != nil {
			return "", err
		}
		want := map[string]int{"T01": 2, "T48": 1}[unit]
		if per[unit] >= want || len(strings.Fields(addrs)) == 0 {
			continue
		}
		per[unit]++
		fmt.Fprintf(&b, "ip,%s,Máy %s liên lạc với máy chủ điều khiển,,90,amber,,c2,%s,scan,critical,Máy liên lạc với máy chủ điều khiển của mã độc đánh cắp thông tin\n",
			strings.Fields(addrs)[0], host, unit)
		if unit == "T01" && account == "" {
			var i struct {
				Accounts []struct {
					Name    string `json:"name"`
					Admin   bool   `json:"admin"`
					Enabled bool   `json:"enabled"`
				} `json:"accounts"`
				LoggedOn []struct {
					User string `json:"user"`
				} `json:"logged_on"`
			}
			if json.Unmarshal([]byte(inv), &i) == nil {
				// An account in use: the user logged on, else an enabled
				// account. A disabled one (the built-in Guest) is no hit
				// (docs/watchlist.md).
				for _, u := range i.LoggedOn {
					if n := u.User[strings.LastIndexByte(u.User, '\\')+1:]; n != "" {
						account = n
						break
					}
				}
				for _, a := range i.Accounts {
					if account == "" && !a.Admin && a.Enabled && a.Name != "" {
						account = a.Name
						break
					}
				}
			}
			if account != "" {
				fmt.Fprintf(&b, "account,%s,Tài khoản trên máy %s,,80,amber,,lộ mật khẩu,T01,password_reset,high,Tài khoản bị lộ mật khẩu trong vụ lộ lọt dữ liệu\n", account, host)
			}
		}
		if unit == "T48" && hostname == "" {
			hostname = host
			fmt.Fprintf(&b, "hostname,%s,Máy bị cài mã độc điều khiển từ xa,,80,amber,,rat,T48,reimage,critical,Máy bị cài mã độc điều khiển từ xa theo báo cáo tháng\n", strings.ToLower(host))
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(per) == 0 {
		return "", nil
	}
	return b.String(), nil
}
