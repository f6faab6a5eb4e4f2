package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/monthly"
)

// `vigil report monthly`: the monthly technical security report through
// the hub's API — figures, PDF/DOCX/JSON, the stored reports and their
// lifecycle (generate, review, return, publish, acknowledge).
func monthlyCommand() *cli.Command {
	action := func(name, short, act string) *cli.Command {
		usage := "vigil report monthly " + name + " --server URL --token TOKEN REPORT_ID"
		if act == "return" {
			usage += " --note TEXT"
		}
		return &cli.Command{
			Name:  name,
			Short: short,
			Usage: usage,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				note := fs.String("note", "", "", "what to change (return)")
				return func(ctx context.Context, args []string) error {
					id, err := monthlyID(args)
					if err != nil {
						return err
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var body any
					if act == "return" {
						body = map[string]string{"note": *note}
					}
					if act == "acknowledge" {
						var a monthly.Ack
						if err := c.Do(ctx, "POST", "/api/v1/monthly-reports/"+id+"/"+act, "", body, &a); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "%s acknowledged by %s at %s\n", a.Unit, a.AckedBy, reportTime(a.AckedAt.String()))
						return nil
					}
					var r monthly.Report
					if err := c.Do(ctx, "POST", "/api/v1/monthly-reports/"+id+"/"+act, "", body, &r); err != nil {
						return err
					}
					printMonthly(fs.Stdout, &r)
					return nil
				}
			},
		}
	}
	return &cli.Command{
		Name:  "monthly",
		Short: "the monthly technical security report: figures, PDF/DOCX/JSON, generate, review, publish, acknowledge",
		Long: "The IT Center's monthly technical security report (Báo cáo kỹ thuật tình hình an toàn thông tin hàng tháng) of a month\n" +
			"for a unit's subtree: alerts by unit and severity, top rules, findings opened and closed, Microsoft patches, training,\n" +
			"incidents. The IT Center generates it (a draft), reviews and publishes it (PDF and DOCX frozen with their SHA-256,\n" +
			"next month's warning list attached as CSV and STIX); units acknowledge their report.",
		Subs: []*cli.Command{
			{
				Name:  "download",
				Short: "write a month's report (or a stored one, or its warning list) as PDF, DOCX or JSON",
				Usage: "vigil report monthly download --server URL --token TOKEN [--month YYYY-MM] [--unit CODE] [--format pdf|docx|json] [--out FILE]\n" +
					"       vigil report monthly download --server URL --token TOKEN REPORT_ID [--format pdf|docx|json|watchlist.csv|watchlist.stix] [--out FILE]",
				Long: "Without REPORT_ID: the stored report of the month and unit (default last month, your unit or the whole organisation),\n" +
					"or the figures counted now when none is stored. Without --out the file goes to the current directory under its name;\n" +
					"--out - writes to standard output.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					month := fs.String("month", "", "", "the month, YYYY-MM (default last month)")
					unit := fs.String("unit", "", "", "the unit code (default yours)")
					format := fs.String("format", "", "pdf", "pdf, docx or json (a stored report also watchlist.csv, watchlist.stix)")
					out := fs.String("out", "", "", "the file to write (- for standard output)")
					return func(ctx context.Context, args []string) error {
						q := url.Values{"format": {*format}}
						path := "/api/v1/reports/monthly"
						if len(args) > 0 {
							id, err := monthlyID(args)
							if err != nil {
								return err
							}
							path = "/api/v1/monthly-reports/" + id + "/document"
						} else {
							if *month != "" {
								q.Set("month", *month)
							}
							if *unit != "" {
								q.Set("unit", *unit)
							}
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						return saveDownload(ctx, c, fs, path+"?"+q.Encode(), *out, "bao-cao-ky-thuat."+*format)
					}
				},
			},
			{
				Name:  "list",
				Short: "list the stored monthly reports in your scope, newest month first",
				Usage: "vigil report monthly list --server URL --token TOKEN [--month YYYY-MM] [--unit CODE] [--status draft|reviewed|published] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					month := fs.String("month", "", "", "a month, YYYY-MM")
					unit := fs.String("unit", "", "", "a unit code (with the units under it)")
					status := fs.String("status", "", "", "draft, reviewed or published")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"month": *month, "unit": *unit, "status": *status} {
							if v != "" {
								q.Set(k, v)
							}
						}
						return printList(ctx, c, fs, "/api/v1/monthly-reports", q, 100000, *asJSON, "ID\tMONTH\tUNIT\tSTATUS\tPUBLISHED\tACKNOWLEDGED", "reports", func(tw io.Writer, r *monthly.Report) {
							pub, acks := "-", "-"
							if !r.PublishedAt.IsZero() {
								pub = reportTime(r.PublishedAt.String())
								acks = fmt.Sprintf("%d/%d", r.Acknowledged, r.Expected)
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Month, r.Unit, r.Status, pub, acks)
						})
					}
				},
			},
			{
				Name:  "generate",
				Short: "generate a month's report as a draft (the IT Center; the organisation's brings each top-level unit's)",
				Usage: "vigil report monthly generate --server URL --token TOKEN --month YYYY-MM [--unit CODE]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					month := fs.String("month", "", "", "the month, YYYY-MM")
					unit := fs.String("unit", "", "", "the unit code (default the whole organisation)")
					return func(ctx context.Context, args []string) error {
						if *month == "" {
							return cli.UsageError("give the month: --month YYYY-MM")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var r monthly.Report
						if err := c.Do(ctx, "POST", "/api/v1/monthly-reports", "", map[string]string{"month": *month, "unit": *unit}, &r); err != nil {
							return err
						}
						printMonthly(fs.Stdout, &r)
						return nil
					}
				},
			},
			action("review", "mark a draft reviewed (the IT Center)", "review"),
			action("return", "send a reviewed report back to draft with a note (the IT Center)", "return"),
			action("publish", "publish a reviewed report: documents frozen, next month's warning list attached (the IT Center)", "publish"),
			action("acknowledge", "acknowledge your unit's published report (its officers)", "acknowledge"),
			{
				Name:  "acks",
				Short: "show which units acknowledged a published report",
				Usage: "vigil report monthly acks --server URL --token TOKEN REPORT_ID",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						id, err := monthlyID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var page struct {
							Items []monthly.Ack `json:"items"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/monthly-reports/"+id+"/acks", "", nil, &page); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "UNIT\tNAME\tACKNOWLEDGED BY\tAT")
						for _, a := range page.Items {
							at := "-"
							if !a.AckedAt.IsZero() {
								at = reportTime(a.AckedAt.String())
							}
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Unit, a.UnitName, orDash(a.AckedBy), at)
						}
						return tw.Flush()
					}
				},
			},
		},
	}
}

func monthlyID(args []string) (string, error) {
	if len(args) != 1 {
		return "", cli.UsageError("give the monthly report's id (see vigil report monthly list)")
	}
	if n, err := strconv.ParseInt(args[0], 10, 64); err != nil || n <= 0 {
		return "", cli.UsageError("%q is not a monthly report id (a number; see vigil report monthly list)", args[0])
	}
	return args[0], nil
}

func printMonthly(w interface{ Write([]byte) (int, error) }, r *monthly.Report) {
	fmt.Fprintf(w, "monthly report %d: %s, %s (%s), %s\n", r.ID, r.Month, r.UnitName, r.Unit, r.Status)
	fmt.Fprintf(w, "generated by %s at %s\n", r.GeneratedBy, reportTime(r.GeneratedAt.String()))
	if r.ReviewedBy != "" {
		fmt.Fprintf(w, "reviewed by %s at %s\n", r.ReviewedBy, reportTime(r.ReviewedAt.String()))
	}
	if r.PublishedBy != "" {
		fmt.Fprintf(w, "published by %s at %s; PDF SHA-256 %s; %d of %d units acknowledged\n", r.PublishedBy, reportTime(r.PublishedAt.String()), r.PDFSHA256, r.Acknowledged, r.Expected)
		if r.WatchlistName != "" {
			fmt.Fprintf(w, "warning list attached: %s\n", r.WatchlistName)
		}
	}
	if r.Note != "" {
		fmt.Fprintf(w, "sent back: %s\n", r.Note)
	}
	if f := r.Figures; f != nil {
		fmt.Fprintf(w, "alerts %d; findings opened %d, closed %d", f.AlertsTotal, f.FindingsOpenedTotal, f.FindingsClosedTotal)
		if f.Incidents != nil {
			fmt.Fprintf(w, "; incidents %d", f.Incidents.Total)
		}
		fmt.Fprintln(w)
		if len(f.Gaps) > 0 {
			fmt.Fprintf(w, "no data: %v\n", f.Gaps)
		}
	}
}
