package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"vigil/internal/cli"
	"vigil/internal/i18n"
	"vigil/internal/incident"
)

// `vigil incident`: incident cases from the command line (issue 13),
// through the hub's API: list, show, open (from alerts or by hand), move,
// note, the running clocks, the monthly summary and the STIX export.
func init() {
	register(&cli.Command{
		Name:  "incident",
		Short: "list, open and work incident cases; their reporting clocks, the monthly summary, the STIX 2.1 export",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list the incident cases in your scope, most severe open first",
				Usage: "vigil incident list --server URL --token TOKEN [--unit CODE] [--status open|new|triage|...] [--severity S] [--category C] [--sort KEY] [--max N] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "a unit code: cases concerning it or a unit under it")
					status := fs.String("status", "", "", "open, or one of "+strings.Join(incident.Statuses, ", "))
					severity := fs.String("severity", "", "", "critical, high, medium or low")
					category := fs.String("category", "", "", strings.Join(incident.Categories, ", "))
					sortBy := fs.String("sort", "", "", "sort key: "+strings.Join(incident.SortKeys, ", "))
					desc := fs.Bool("desc", "", false, "sort in descending order")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"unit": *unit, "status": *status, "severity": *severity, "category": *category, "sort": *sortBy} {
							if v != "" {
								q.Set(k, v)
							}
						}
						if *desc {
							q.Set("order", "desc")
						}
						return printList(ctx, c, fs, "/api/v1/incidents", q, *maxRows, *asJSON, "ID\tREF\tSEVERITY\tSTATUS\tCATEGORY\tUNITS\tDETECTED\tREPORT DUE\tTITLE", "cases", func(tw io.Writer, x *incident.Case) {
							due := "-"
							if x.ReportDueAt != nil {
								due = incidentTime(*x.ReportDueAt)
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Ref, x.Severity, x.Status, x.Category, strings.Join(x.Units, ","),
								incidentTime(x.DetectedAt), due, i18n.Shorten(x.Title, 70))
						})
					}
				},
			},
			{
				Name:  "show",
				Short: "show a case with its clocks and latest timeline entries",
				Usage: "vigil incident show --server URL --token TOKEN ID [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					asJSON := fs.Bool("json", "", false, "print the case as JSON")
					return func(ctx context.Context, args []string) error {
						id, err := incidentID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", "/api/v1/incidents/"+id, "", nil, &raw); err != nil {
							return err
						}
						if *asJSON {
							fmt.Fprintln(fs.Stdout, string(raw))
							return nil
						}
						var x incident.Case
						if err := json.Unmarshal(raw, &x); err != nil {
							return err
						}
						out := fs.Stdout
						fmt.Fprintf(out, "%s  %s\n", x.Ref, x.Title)
						fmt.Fprintf(out, "status %s since %s (%s) · severity %s · category %s\n", x.Status, incidentTime(x.StatusSince), x.StatusBy, x.Severity, x.Category)
						fmt.Fprintf(out, "units %s · owner %s · detected %s\n", strings.Join(x.Units, ", "), x.Owner, incidentTime(x.DetectedAt))
						tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "CLOCK\tDUE\tSTATE")
						for _, k := range x.Clocks {
							fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, incidentTime(k.Due), k.State)
						}
						tw.Flush()
						var page struct {
							Items []incident.Entry `json:"items"`
							Total int              `json:"total"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/incidents/"+id+"/timeline?limit=20", "", nil, &page); err != nil {
							return err
						}
						fmt.Fprintf(out, "timeline (%d entries, newest first):\n", page.Total)
						for _, e := range page.Items {
							fmt.Fprintf(out, "  %s  %-10s %s  (%s)\n", incidentTime(e.At), e.Kind, i18n.Shorten(strings.ReplaceAll(e.Text, "\n", " "), 100), e.Who)
						}
						return nil
					}
				},
			},
			{
				Name:  "create",
				Short: "open an incident case, by hand or from alerts",
				Usage: "vigil incident create --server URL --token TOKEN --title TEXT --category C [--severity S] [--unit CODE]... [--alert ID]... [--detected 'dd/mm/yyyy hh:mm'] [--personal-data] [--serious] [--level N]",
				Long:  "Categories: " + strings.Join(incident.Categories, ", ") + ". The first --unit owns the case (the alerts' units when none is given).",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					title := fs.String("title", "", "", "the case's title")
					category := fs.String("category", "", "", "the category (a row of Mẫu 05)")
					severity := fs.String("severity", "", "medium", "critical, high, medium or low")
					description := fs.String("description", "", "", "a brief description")
					units := fs.Strings("unit", "an affected unit code (repeatable; the first owns the case)")
					alertIDs := fs.Strings("alert", "an alert id to link (repeatable)")
					detected := fs.String("detected", "", "", "when it was discovered, dd/mm/yyyy hh:mm (Vietnam time)")
					pd := fs.Bool("personal-data", "", false, "personal data is involved (72-hour notice)")
					serious := fs.Bool("serious", "", false, "serious / beyond the unit's capacity (emergency report)")
					level := fs.Int("level", "", 0, "the affected system's security level, 1-5")
					system := fs.String("system", "", "", "the affected system's name")
					return func(ctx context.Context, args []string) error {
						if *title == "" || *category == "" {
							return cli.UsageError("--title and --category are required")
						}
						in := incident.Input{Title: *title, Category: *category, Severity: *severity, Description: *description, Units: *units,
							DetectedAt: *detected, PersonalData: *pd, Serious: *serious, SecurityLevel: *level, SystemName: *system}
						for _, a := range *alertIDs {
							for _, p := range strings.Split(a, ",") {
								n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
								if err != nil {
									return cli.UsageError("--alert %q is not an alert id", p)
								}
								in.Alerts = append(in.Alerts, n)
							}
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var x incident.Case
						if err := c.Do(ctx, "POST", "/api/v1/incidents", "", in, &x); err != nil {
							return err
						}
						due := ""
						if x.ReportDueAt != nil {
							due = ", initial report due " + incidentTime(*x.ReportDueAt)
						}
						fmt.Fprintf(fs.Stdout, "%s (id %d) opened for %s%s\n", x.Ref, x.ID, strings.Join(x.Units, ", "), due)
						return nil
					}
				},
			},
			{
				Name:  "status",
				Short: "move a case (closing needs --note: how it was resolved)",
				Usage: "vigil incident status --server URL --token TOKEN ID STATUS [--note TEXT]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					note := fs.String("note", "", "", "a note (required to close)")
					return func(ctx context.Context, args []string) error {
						if len(args) != 2 {
							return cli.UsageError("give the case's id and the status (%s)", strings.Join(incident.Statuses, ", "))
						}
						id, err := incidentID(args[:1])
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var x incident.Case
						if err := c.Do(ctx, "POST", "/api/v1/incidents/"+id+"/status", "", incident.StatusInput{Status: args[1], Note: *note}, &x); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "%s is %s\n", x.Ref, x.Status)
						return nil
					}
				},
			},
			{
				Name:  "note",
				Short: "write a note on a case's timeline",
				Usage: "vigil incident note --server URL --token TOKEN ID TEXT",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						if len(args) < 2 {
							return cli.UsageError("give the case's id and the note")
						}
						id, err := incidentID(args[:1])
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						if err := c.Do(ctx, "POST", "/api/v1/incidents/"+id+"/notes", "", incident.NoteInput{Text: strings.Join(args[1:], " ")}, nil); err != nil {
							return err
						}
						fmt.Fprintln(fs.Stdout, "noted")
						return nil
					}
				},
			},
			{
				Name:  "timers",
				Short: "the running clocks of the cases in your scope, soonest first",
				Usage: "vigil incident timers --server URL --token TOKEN [--unit CODE] [--legal]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "a unit code")
					legal := fs.Bool("legal", "", false, "only the national reporting deadlines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"1000"}}
						if *unit != "" {
							q.Set("unit", *unit)
						}
						if *legal {
							q.Set("legal", "true")
						}
						var res struct {
							Items []incident.TimerRow `json:"items"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/incidents/timers?"+q.Encode(), "", nil, &res); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "REF\tCLOCK\tDUE\tSTATE\tUNIT\tTITLE")
						for _, r := range res.Items {
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Case.Ref, r.Clock.Name, incidentTime(r.Clock.Due), r.Clock.State, r.Case.Unit, i18n.Shorten(r.Case.Title, 60))
						}
						return tw.Flush()
					}
				},
			},
			{
				Name:  "summary",
				Short: "the monthly summary: counts by category, unit and severity, time to contain",
				Usage: "vigil incident summary --server URL --token TOKEN [--month YYYY-MM] [--unit CODE] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					month := fs.String("month", "", "", "the month, YYYY-MM (this month by default)")
					unit := fs.String("unit", "", "", "a unit code")
					asJSON := fs.Bool("json", "", false, "print JSON")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{}
						if *month != "" {
							q.Set("month", *month)
						}
						if *unit != "" {
							q.Set("unit", *unit)
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", "/api/v1/incidents/summary?"+q.Encode(), "", nil, &raw); err != nil {
							return err
						}
						if *asJSON {
							fmt.Fprintln(fs.Stdout, string(raw))
							return nil
						}
						var s struct {
							Total, Open, Closed, Contained int
							MedianContain                  int64            `json:"median_contain"`
							MeanContain                    int64            `json:"mean_contain"`
							ByCategory                     []incident.Count `json:"by_category"`
							ByUnit                         []incident.Count `json:"by_unit"`
						}
						if err := json.Unmarshal(raw, &s); err != nil {
							return err
						}
						out := fs.Stdout
						fmt.Fprintf(out, "%d cases (%d open, %d closed); time to contain: median %s, mean %s (%d contained)\n", s.Total, s.Open, s.Closed,
							incident.Duration(time.Duration(s.MedianContain)*time.Second).Text("en"), incident.Duration(time.Duration(s.MeanContain)*time.Second).Text("en"), s.Contained)
						for _, x := range s.ByCategory {
							fmt.Fprintf(out, "  %-12s %d\n", x.Key, x.Count)
						}
						for _, x := range s.ByUnit {
							fmt.Fprintf(out, "  unit %-8s %d\n", x.Key, x.Count)
						}
						return nil
					}
				},
			},
			{
				Name:  "stix",
				Short: "export a case as a STIX 2.1 bundle",
				Usage: "vigil incident stix --server URL --token TOKEN ID [--out FILE]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					outFile := fs.String("out", "", "", "write to this file instead of standard output")
					return func(ctx context.Context, args []string) error {
						id, err := incidentID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", "/api/v1/incidents/"+id+"/stix", "", nil, &raw); err != nil {
							return err
						}
						if *outFile != "" {
							return os.WriteFile(*outFile, raw, 0o644)
						}
						_, err = fs.Stdout.Write(append(raw, '\n'))
						return err
					}
				},
			},
		},
	})
}

func incidentID(args []string) (string, error) {
	if len(args) != 1 {
		return "", cli.UsageError("give the case's id")
	}
	if n, err := strconv.ParseInt(args[0], 10, 64); err != nil || n <= 0 {
		return "", cli.UsageError("%q is not a case id (a number; see vigil incident list)", args[0])
	}
	return args[0], nil
}

// incidentTime is a time as dd/mm/yyyy hh:mm in Vietnam, "-" for none.
func incidentTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(i18n.Location).Format("02/01/2006 15:04")
}
