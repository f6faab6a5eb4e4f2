package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"vigil/internal/cli"
	"vigil/internal/hosts"
)

func init() {
	register(&cli.Command{
		Name:  "import",
		Short: "import data into a hub (through its API)",
		Subs: []*cli.Command{{
			Name:  "inventory",
			Short: "import host inventories of hosts without the agent",
			Usage: "vigil import inventory --server URL --token TOKEN --unit CODE [--format agent|csv|osquery] FILE...",
			Long: `Sends each FILE to the hub, which records its hosts in unit CODE. A file is
one of: the JSON that 'vigil agent collect' prints (one object, an array or
JSON lines), the CSV template (docs/inventory-import.md), or osquery JSON
results of the documented query pack. The format is detected from the file
unless --format says. Each file is imported atomically: a bad record is
reported with its position and field, and nothing of that file is kept.
Hosts are matched by machine id, or hostname and address, so importing the
same file twice updates rather than duplicates.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				unit := fs.String("unit", "-", "", "code of the unit the hosts belong to")
				format := fs.String("format", "-", "", "agent, csv or osquery; detected when empty")
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
					failed := 0
					for _, path := range args {
						f, err := os.Open(path)
						if err != nil {
							fmt.Fprintf(fs.Stderr, "%s: %v\n", path, err)
							failed++
							continue
						}
						q := url.Values{"unit": {*unit}, "file": {filepath.Base(path)}}
						if *format != "" {
							q.Set("format", *format)
						}
						var res hosts.ImportResult
						err = c.Do(ctx, "POST", "/api/v1/hosts/import?"+q.Encode(), "application/octet-stream", f, &res)
						f.Close()
						if err != nil {
							fmt.Fprintf(fs.Stderr, "%s: %v; nothing of this file was imported\n", path, err)
							failed++
							continue
						}
						fmt.Fprintf(fs.Stdout, "%s: %d hosts added, %d updated, %d changes recorded\n", path, res.Created, res.Updated, res.Changes)
					}
					if failed > 0 {
						return &cli.ExitError{Code: 1, Err: fmt.Errorf("%d of %d files not imported", failed, len(args))}
					}
					return nil
				}
			},
		}},
	})
}
