package main

import (
	"context"
	"fmt"

	"vigil/internal/cli"
)

func init() {
	register(&cli.Command{
		Name:  "migrate",
		Short: "bring the database schema up to this binary's version",
		Usage: "vigil migrate [--data-dir DIR | --database URL]",
		Long:  "Applies pending migrations (the hub also does this at start) and prints the schema version.",
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			dbf := addDBFlags(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return cli.UsageError("migrate takes no arguments")
				}
				db, err := dbf.open(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				applied, err := db.Migrate(ctx)
				if err != nil {
					return err
				}
				v, err := db.SchemaVersion(ctx)
				if err != nil {
					return err
				}
				if len(applied) == 0 {
					fmt.Fprintf(fs.Stdout, "%s database %s is up to date at schema version %d\n", db.Dialect, db.Where, v)
				} else {
					fmt.Fprintf(fs.Stdout, "%s database %s migrated to schema version %d (applied %v)\n", db.Dialect, db.Where, v, applied)
				}
				return nil
			}
		},
	})
}
