package main

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/audit"
	"vigil/internal/cli"
)

func init() {
	register(&cli.Command{
		Name:  "audit",
		Short: "check the audit log",
		Subs: []*cli.Command{{
			Name:  "verify",
			Short: "walk the hash chain and report altered or deleted rows",
			Usage: "vigil audit verify [--data-dir DIR | --database URL]",
			Long: `Recomputes every audit row's hash and its link to the row before.
Exit status 0 when the chain is intact, 1 when a row was altered, deleted or
inserted (each problem is printed with its sequence number).`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				dbf := addDBFlags(fs)
				return func(ctx context.Context, args []string) error {
					if len(args) > 0 {
						return cli.UsageError("verify takes no arguments")
					}
					db, err := dbf.open(ctx)
					if err != nil {
						return err
					}
					defer db.Close()
					if err := db.CheckSchema(ctx); err != nil {
						return err
					}
					start := time.Now()
					tty := isTerminal(fs.Stderr)
					rep, err := audit.Verify(ctx, db, func(n int64) {
						if tty {
							fmt.Fprintf(fs.Stderr, "\rchecked %d rows…", n)
						}
					})
					if tty {
						fmt.Fprint(fs.Stderr, "\r\033[K")
					}
					if err != nil {
						return err
					}
					for _, p := range rep.Problems {
						fmt.Fprintf(fs.Stdout, "row %d: %s\n", p.Seq, p.Reason)
					}
					took := time.Since(start).Round(time.Millisecond)
					if !rep.OK() {
						return &cli.ExitError{Code: 1, Err: fmt.Errorf("audit chain BROKEN: %d problem(s) in %d rows (checked in %s)", len(rep.Problems), rep.Rows, took)}
					}
					fmt.Fprintf(fs.Stdout, "audit chain intact: %d rows, last %d (checked in %s)\n", rep.Rows, rep.LastSeq, took)
					return nil
				}
			},
		}},
	})
}
