package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"vigil/internal/cli"
	"vigil/internal/training"
)

// `vigil import employees` and `vigil training`: awareness training from
// the command line (issue 14), through the hub's API.

// importEmployees is `vigil import employees FILE.csv --unit CODE`
// (listed among import's subcommands in import.go).
var importEmployees = &cli.Command{
	Name:  "employees",
	Short: "import a unit's employees for awareness training from CSV",
	Usage: "vigil import employees --server URL --token TOKEN --unit CODE FILE.csv...",
	Long: `Sends each FILE to the hub, which adds its employees to unit CODE (or
updates those it knows by e-mail address). The file is UTF-8 CSV whose first
line is the header name,email,position,department. Each file is imported
atomically: a bad row is reported with its line and column, and nothing of
that file is kept. Employees sign in to their training with a one-time link
sent to their address. See docs/training.md.`,
	Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
		af := addAPIFlags(fs)
		unit := fs.String("unit", "-", "", "code of the unit the employees belong to")
		return func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return cli.UsageError("give at least one file")
			}
			if *unit == "" {
				return cli.UsageError("--unit is required")
			}
			c, err := af.client()
			if err != nil {
				return err
			}
			return postFiles(ctx, c, fs, args, "/api/v1/training/employees/import", url.Values{"unit": {*unit}}, func(path string, res *training.ImportResult, err error) {
				if err != nil {
					fmt.Fprintf(fs.Stderr, "%s: %v; nothing of this file was imported\n", path, err)
					return
				}
				fmt.Fprintf(fs.Stdout, "%s: %d employees read, %d added, %d updated in %s\n", path, res.Read, res.Created, res.Updated, res.Unit)
			})
		}
	},
}

func init() {
	register(&cli.Command{
		Name:  "training",
		Short: "awareness training: courses, campaigns and completion",
		Subs: []*cli.Command{{
			Name:  "courses",
			Short: "list the courses (id and title)",
			Usage: "vigil training courses --server URL --token TOKEN",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				return func(ctx context.Context, args []string) error {
					c, err := af.client()
					if err != nil {
						return err
					}
					var out struct {
						Items []struct {
							ID      int64  `json:"id"`
							Title   string `json:"title"`
							Lessons int    `json:"lessons"`
						} `json:"items"`
					}
					if err := c.Do(ctx, "GET", "/api/v1/training/courses", "", nil, &out); err != nil {
						return err
					}
					for _, it := range out.Items {
						fmt.Fprintf(fs.Stdout, "%d\t%s (%d lessons)\n", it.ID, it.Title, it.Lessons)
					}
					return nil
				}
			},
		}, {
			Name:  "assign",
			Short: "assign a course to units with a deadline (a campaign); invitations are sent by e-mail",
			Usage: "vigil training assign --server URL --token TOKEN --course ID --due dd/mm/yyyy [--remind-days N] UNIT...",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				course := fs.String("course", "-", "", "the course's id (vigil training courses)")
				due := fs.String("due", "-", "", "deadline: dd/mm/yyyy or yyyy-mm-dd (the end of that day in Vietnam)")
				remind := fs.Int("remind-days", "-", 3, "remind those not done every N days (0: never)")
				return func(ctx context.Context, args []string) error {
					if len(args) == 0 || *course == "" || *due == "" {
						return cli.UsageError("give --course, --due and at least one unit code")
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var out training.Campaign
					in := training.CampaignInput{Course: *course, Units: args, DueAt: *due, RemindDays: *remind}
					if err := c.Do(ctx, "POST", "/api/v1/training/campaigns", "application/json", in, &out); err != nil {
						return err
					}
					fmt.Fprintf(fs.Stdout, "campaign %d: %s, %d people invited, due %s\n", out.ID, out.Name, out.People, out.DueAt.Format("02/01/2006"))
					return nil
				}
			},
		}, {
			Name:  "completion",
			Short: "assigned, completed and passed in a unit (and the units under it)",
			Usage: "vigil training completion --server URL --token TOKEN [--unit CODE] [--campaign ID] [--json]",
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				unit := fs.String("unit", "-", "", "a unit code")
				campaign := fs.String("campaign", "-", "", "a campaign id")
				asJSON := fs.Bool("json", "-", false, "print JSON")
				return func(ctx context.Context, args []string) error {
					c, err := af.client()
					if err != nil {
						return err
					}
					q := url.Values{}
					if *unit != "" {
						q.Set("unit", *unit)
					}
					if *campaign != "" {
						q.Set("campaign", *campaign)
					}
					var out training.Completion
					if err := c.Do(ctx, "GET", "/api/v1/training/completion?"+q.Encode(), "", nil, &out); err != nil {
						return err
					}
					if *asJSON {
						return json.NewEncoder(fs.Stdout).Encode(out)
					}
					fmt.Fprintf(fs.Stdout, "%s: %d assigned, %d completed, %d passed\n", strings.TrimSpace(*unit+" "+*campaign), out.Assigned, out.Completed, out.Passed)
					return nil
				}
			},
		}},
	})
}
