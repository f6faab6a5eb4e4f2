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

	"vigil/internal/cli"
	"vigil/internal/i18n"
	"vigil/internal/readiness"
)

// `vigil readiness`: readiness campaigns over the directive's five
// measures (issue 15), through the hub's API: list, open, scoreboard,
// refresh.
func init() {
	register(&cli.Command{
		Name:  "readiness",
		Short: "list and open readiness campaigns, print or export a campaign's scoreboard, refresh it",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list the readiness campaigns in your scope, latest deadline first",
				Usage: "vigil readiness list --server URL --token TOKEN [--state open|closed] [--sort KEY] [--desc] [--max N] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					state := fs.String("state", "", "", "open (deadline ahead) or closed")
					sortBy := fs.String("sort", "", "", "sort key: "+strings.Join(readiness.SortKeys, ", "))
					desc := fs.Bool("desc", "", false, "sort in descending order")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						if *state != "" {
							q.Set("state", *state)
						}
						if *sortBy != "" {
							q.Set("sort", *sortBy)
						}
						if *desc {
							q.Set("order", "desc")
						}
						return printList(ctx, c, fs, "/api/v1/readiness/campaigns", q, *maxRows, *asJSON, "ID\tSTARTS\tDUE\tUNITS\tREFRESHED\tNAME", "campaigns", func(tw io.Writer, x *readiness.Campaign) {
							refreshed := "-"
							if !x.RefreshedAt.IsZero() {
								refreshed = i18n.FormatTime(x.RefreshedAt, "en")
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", x.ID, i18n.FormatDate(x.StartsAt, "vi"), i18n.FormatDate(x.DueAt, "vi"), x.Targets, refreshed, x.Name)
						})
					}
				},
			},
			{
				Name:  "create",
				Short: "open a campaign from a template (the IT Center) and compute it at once",
				Usage: "vigil readiness create --server URL --token TOKEN --name NAME --starts DD/MM/YYYY --due DD/MM/YYYY [--template KEY] [--units CODE,CODE]",
				Long: "The period runs from the start of --starts to the end of --due (Vietnam time); --units are unit codes,\n" +
					"each with the units under it (none: every unit); --template defaults to directive-182-tet.\n" +
					"Prints the new campaign's id.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					name := fs.String("name", "", "", "the campaign's name (\"Tết Đinh Mùi 2027\")")
					template := fs.String("template", "", readiness.BuiltinTemplate, "the criteria template's key")
					starts := fs.String("starts", "", "", "the first day, dd/mm/yyyy or yyyy-mm-dd")
					due := fs.String("due", "", "", "the deadline day, dd/mm/yyyy or yyyy-mm-dd")
					units := fs.String("units", "", "", "target unit codes, comma-separated (none: every unit)")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						in := readiness.Input{Name: *name, Template: *template, StartsAt: *starts, DueAt: *due}
						if *units != "" {
							in.Units = strings.Split(*units, ",")
						}
						var out struct {
							ID      int64 `json:"id"`
							Refresh struct {
								Units  int   `json:"units"`
								TookMS int64 `json:"took_ms"`
							} `json:"refresh"`
						}
						if err := c.Do(ctx, "POST", "/api/v1/readiness/campaigns", "", in, &out); err != nil {
							return err
						}
						fmt.Fprintln(fs.Stdout, out.ID)
						fmt.Fprintf(fs.Stderr, "campaign %d opened: %d units computed in %d ms\n", out.ID, out.Refresh.Units, out.Refresh.TookMS)
						return nil
					}
				},
			},
			{
				Name:  "scoreboard",
				Short: "print a campaign's units × measures, or save it as a spreadsheet",
				Usage: "vigil readiness scoreboard --server URL --token TOKEN ID [--unit CODE] [--status S] [--criteria] [--json | --xlsx FILE | --csv FILE]",
				Long: "--unit narrows to a unit and the units under it; --status to units of that status (met, at_risk, failed, no_data).\n" +
					"--criteria prints every criterion with its value, target and status instead of one line per unit.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "a unit code: it and the units under it")
					status := fs.String("status", "", "", "only units of this status")
					criteria := fs.Bool("criteria", "", false, "print every criterion")
					asJSON := fs.Bool("json", "", false, "print the scoreboard as JSON")
					xlsx := fs.String("xlsx", "", "", "save the scoreboard as an XLSX file")
					csvFile := fs.String("csv", "", "", "save the scoreboard as a CSV file")
					return func(ctx context.Context, args []string) error {
						id, err := campaignID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{}
						if *unit != "" {
							q.Set("unit", *unit)
						}
						if *status != "" {
							q.Set("status", *status)
						}
						path := "/api/v1/readiness/campaigns/" + id + "/scoreboard"
						for format, file := range map[string]string{"xlsx": *xlsx, "csv": *csvFile} {
							if file == "" {
								continue
							}
							q.Set("format", format)
							f, err := os.Create(file)
							if err != nil {
								return err
							}
							if err := download(ctx, c, path+"?"+q.Encode(), f); err != nil {
								f.Close()
								return err
							}
							if err := f.Close(); err != nil {
								return err
							}
							fmt.Fprintf(fs.Stderr, "scoreboard saved to %s\n", file)
							return nil
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", path+"?"+q.Encode(), "", nil, &raw); err != nil {
							return err
						}
						if *asJSON {
							fmt.Fprintln(fs.Stdout, string(raw))
							return nil
						}
						var sb readiness.Scoreboard
						if err := json.Unmarshal(raw, &sb); err != nil {
							return err
						}
						printScoreboard(fs, &sb, *criteria)
						return nil
					}
				},
			},
			{
				Name:  "refresh",
				Short: "recompute a campaign's figures from the hub's data now (the IT Center)",
				Usage: "vigil readiness refresh --server URL --token TOKEN ID",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						id, err := campaignID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var res readiness.RefreshResult
						if err := c.Do(ctx, "POST", "/api/v1/readiness/campaigns/"+id+"/refresh", "", nil, &res); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "campaign %d: %d units, %d figures, %d ms\n", res.Campaign, res.Units, res.Rows, res.TookMS)
						return nil
					}
				},
			},
		},
	})
}

func campaignID(args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("give one campaign id (vigil readiness list shows them)")
	}
	if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
		return "", fmt.Errorf("%q is not a campaign id", args[0])
	}
	return args[0], nil
}

func printScoreboard(fs *cli.FlagSet, sb *readiness.Scoreboard, criteria bool) {
	c := sb.Campaign
	fmt.Fprintf(fs.Stdout, "%s  %s – %s\n\n", c.Name, i18n.FormatDate(c.StartsAt, "vi"), i18n.FormatDate(c.DueAt, "vi"))
	tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
	if criteria {
		fmt.Fprintln(tw, "UNIT\tMEASURE\tCRITERION\tVALUE\tTARGET\tSTATUS")
		for _, u := range sb.Units {
			for _, m := range u.Measures {
				for _, x := range m.Criteria {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", u.Unit, m.Measure, x.Key, readiness.FormatValue(x, "en"), readiness.FormatTarget(x, "en"), x.Status)
				}
			}
		}
		tw.Flush()
		return
	}
	fmt.Fprintln(tw, "UNIT\tSTATUS\tM1\tM2\tM3\tM4\tM5\tNAME")
	for _, u := range sb.Units {
		cells := make([]string, 5)
		for i := range cells {
			cells[i] = "-"
			if m := u.Measure(i + 1); m != nil {
				cells[i] = fmt.Sprintf("%s %d/%d", m.Status, m.Met, m.Total)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", u.Unit, u.Status, cells[0], cells[1], cells[2], cells[3], cells[4], strings.Repeat("  ", u.Depth), u.Name)
	}
	tw.Flush()
}
