package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"vigil/internal/cli"
	"vigil/internal/phishing"
)

// `vigil phishing`: phishing drills from the command line (issue 14),
// through the hub's API.
func init() {
	register(&cli.Command{
		Name:  "phishing",
		Short: "phishing drills: templates, scheduling a drill, results",
		Subs: []*cli.Command{{
			Name:  "templates",
			Short: "list the drill templates (id and name)",
			Usage: "vigil phishing templates --server URL --token TOKEN",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				return func(ctx context.Context, args []string) error {
					c, err := af.client()
					if err != nil {
						return err
					}
					var out struct{ Items []phishing.Template }
					if err := c.Do(ctx, "GET", "/api/v1/phishing/templates", "", nil, &out); err != nil {
						return err
					}
					for _, t := range out.Items {
						fmt.Fprintf(fs.Stdout, "%d\t%s\t%s\n", t.ID, t.Name, t.Subject)
					}
					return nil
				}
			},
		}, {
			Name:  "start",
			Short: "schedule a drill to a unit's own employees, spread over a window",
			Usage: "vigil phishing start --server URL --token TOKEN --template ID --unit CODE [--window MINUTES] [--department NAME]",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				tpl := fs.Int("template", "-", 0, "the template's id (vigil phishing templates)")
				unit := fs.String("unit", "-", "", "the unit whose employees receive it (with the units under it)")
				window := fs.Int("window", "-", 120, "spread the sending over this many minutes")
				dept := fs.String("department", "-", "", "only this department")
				return func(ctx context.Context, args []string) error {
					if *tpl == 0 || *unit == "" {
						return cli.UsageError("--template and --unit are required")
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var out phishing.Campaign
					in := phishing.CampaignInput{Template: int64(*tpl), Unit: *unit, WindowMinutes: *window, Department: *dept}
					if err := c.Do(ctx, "POST", "/api/v1/phishing/campaigns", "application/json", in, &out); err != nil {
						return err
					}
					fmt.Fprintf(fs.Stdout, "drill %d: %s, %d recipients, sent between %s and %s\n", out.ID, out.Name, out.Recipients,
						out.StartAt.Format("02/01/2006 15:04"), out.EndAt.Format("02/01/2006 15:04"))
					return nil
				}
			},
		}, {
			Name:  "results",
			Short: "a drill's counts: sent, opened, clicked, submitted, reported",
			Usage: "vigil phishing results --server URL --token TOKEN [--json] ID",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				asJSON := fs.Bool("json", "-", false, "print JSON")
				return func(ctx context.Context, args []string) error {
					if len(args) != 1 {
						return cli.UsageError("give the drill's id")
					}
					id, err := strconv.ParseInt(args[0], 10, 64)
					if err != nil {
						return cli.UsageError("%q is not a drill id", args[0])
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var r phishing.Results
					if err := c.Do(ctx, "GET", fmt.Sprintf("/api/v1/phishing/campaigns/%d/results", id), "", nil, &r); err != nil {
						return err
					}
					if *asJSON {
						return json.NewEncoder(fs.Stdout).Encode(r)
					}
					fmt.Fprintf(fs.Stdout, "sent %d, opened %d, clicked %d, submitted %d, reported %d (bounced %d; %d scanner requests not counted)\n",
						r.Sent, r.Opened, r.Clicked, r.Submitted, r.Reported, r.Bounced, r.Scanner)
					return nil
				}
			},
		}},
	})
}
