package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"vigil/internal/cli"
	"vigil/internal/org"
)

func init() {
	register(&cli.Command{
		Name:  "units",
		Short: "manage the organisation's units",
		Subs: []*cli.Command{{
			Name:  "import",
			Short: "create or update units from a CSV file (atomic)",
			Usage: "vigil units import --server URL --token TOKEN FILE.csv",
			Long: `Sends FILE.csv to the hub, which imports it in one transaction: a bad row is
reported with its line and column and nothing is imported.
The CSV has a header row with the columns code,name,kind,parent (kind is
headquarters, service_unit, province or district; parent is a unit code,
in the hub or earlier or later in the file). UTF-8, Excel's BOM accepted.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				return func(ctx context.Context, args []string) error {
					if len(args) != 1 {
						return cli.UsageError("give exactly one CSV file")
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					f, err := os.Open(args[0])
					if err != nil {
						return err
					}
					defer f.Close()
					// Parse locally first: errors show without a round trip.
					if _, err := org.ParseUnitsCSV(args[0], f); err != nil {
						return fmt.Errorf("%v; nothing was imported", err)
					}
					if _, err := f.Seek(0, 0); err != nil {
						return err
					}
					var res org.ImportResult
					if err := c.Do(ctx, "POST", "/api/v1/units/import?file="+url.QueryEscape(filepath.Base(args[0])), "text/csv", f, &res); err != nil {
						return err
					}
					fmt.Fprintf(fs.Stdout, "%s: %d units created, %d updated\n", args[0], res.Created, res.Updated)
					return nil
				}
			},
		}},
	})
}
