package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/findings"
)

// `vigil findings`: the findings queue from the command line (issue 11):
// list with the vulnerability filters, and the due-day settings.
func init() {
	register(&cli.Command{
		Name:  "findings",
		Short: "list findings (vulnerabilities, missing updates, malware) and set due days",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list findings in your scope, highest priority first for --cve, --kev and --ms2023",
				Usage: "vigil findings list --server URL --token TOKEN [--unit CODE] [--cve CVE-2023-21554] [--kb KB5033371] [--kind K] [--severity S] [--status S] [--kev] [--overdue] [--ms2023] [--sort KEY] [--max N] [--json]",
				Long: "--ms2023 selects the Microsoft 2023 high and critical fixes the directive names (missing updates from MSRC data,\n" +
					"released in 2023 or fixing a 2023 CVE). --status active is open and in progress. --json prints the items as JSON lines.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "a unit code: that unit and the units under it")
					cve := fs.String("cve", "", "", "findings about this CVE (a missing update's CVEs count)")
					kb := fs.String("kb", "", "", "the missing update with this KB")
					kind := fs.String("kind", "", "", "kinds, comma-separated: vulnerability, missing_update, malware, warning_list")
					severity := fs.String("severity", "", "", "severities, comma-separated: critical, high, medium, low")
					status := fs.String("status", "", "", "statuses, comma-separated; active = open and in progress")
					sortBy := fs.String("sort", "", "", "sort key: priority, cvss, epss, severity, due, host, unit, ... (highest first)")
					kev := fs.Bool("kev", "", false, "only CISA known-exploited")
					overdue := fs.Bool("overdue", "", false, "only those past their due date")
					ms := fs.Bool("ms2023", "", false, "only the Microsoft 2023 high/critical fixes")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"unit": *unit, "cve": *cve, "kb": *kb, "kind": *kind, "severity": *severity, "status": *status, "sort": *sortBy} {
							if v != "" {
								q.Set(k, v)
							}
						}
						if *sortBy != "" {
							q.Set("order", "desc")
						}
						for k, v := range map[string]bool{"kev": *kev, "overdue": *overdue, "ms2023": *ms} {
							if v {
								q.Set(k, "true")
							}
						}
						return printList(ctx, c, fs, "/api/v1/findings", q, *maxRows, *asJSON, "ID\tPRIORITY\tSEVERITY\tHOST\tUNIT\tCVE/KB\tCVSS\tKEV\tDUE\tSTATUS", "findings", func(tw io.Writer, f *findings.Finding) {
							what := f.CVE
							if f.Kind == findings.KindMissingUpdate && strings.HasPrefix(f.Key, "kb:") {
								what = "KB" + strings.TrimPrefix(f.Key, "kb:")
							}
							due := ""
							if !f.DueAt.IsZero() {
								due = f.DueAt.Format("2006-01-02")
								if f.Overdue {
									due += " overdue"
								}
							}
							kevText := ""
							if f.KEV {
								kevText = "yes"
								if !f.KEVDue.IsZero() {
									kevText += " (" + f.KEVDue.Format("2006-01-02") + ")"
								}
							}
							cvss := ""
							if f.CVSS > 0 {
								cvss = strconv.FormatFloat(f.CVSS, 'f', 1, 64)
							}
							fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Priority, f.Severity, f.Host, f.Unit, what, cvss, kevText, due, f.Status)
						})
					}
				},
			},
			{
				Name:  "due-days",
				Short: "show the days to fix a finding per kind and severity; administrators change them with --set",
				Usage: "vigil findings due-days --server URL --token TOKEN [--set vulnerability/critical=7 ...]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					set := fs.Strings("set", "a change, KIND/SEVERITY=DAYS (repeatable)")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						var body struct {
							Items []findings.DueSetting `json:"items"`
						}
						if len(*set) > 0 {
							var in struct {
								Items []findings.DueSetting `json:"items"`
							}
							for _, s := range *set {
								ks, d, ok := strings.Cut(s, "=")
								kind, sev, ok2 := strings.Cut(ks, "/")
								days, err := strconv.Atoi(strings.TrimSpace(d))
								if !ok || !ok2 || err != nil {
									return cli.UsageError("--set %q: write KIND/SEVERITY=DAYS, e.g. vulnerability/critical=7", s)
								}
								in.Items = append(in.Items, findings.DueSetting{Kind: strings.TrimSpace(kind), Severity: strings.TrimSpace(sev), Days: days})
							}
							if err := c.Do(ctx, "PUT", "/api/v1/findings/due-days", "", in, &body); err != nil {
								return err
							}
						} else if err := c.Do(ctx, "GET", "/api/v1/findings/due-days", "", nil, &body); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "KIND\tSEVERITY\tDAYS\tCHANGED BY")
						for _, d := range body.Items {
							fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", d.Kind, d.Severity, d.Days, d.UpdatedBy)
						}
						return tw.Flush()
					}
				},
			},
		},
	})
}
