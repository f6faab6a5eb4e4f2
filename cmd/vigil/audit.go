package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
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
inserted (each problem is printed with its sequence number).

Someone who can write the database could rewrite the whole chain
consistently. The hub therefore logs an "audit anchor" (SEQ:HASH) every ten
minutes; keep those log lines off the machine (journal/syslog shipping) and
pass them with --anchor or --anchor-file to catch a rewritten history.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				dbf := addDBFlags(fs)
				anchorArgs := fs.Strings("anchor", "anchor SEQ:HASH from the hub's log (repeatable)")
				anchorFile := fs.String("anchor-file", "-", "", "a log file to take every anchor=SEQ:HASH from")
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
					anchors, err := readAnchors(*anchorArgs, *anchorFile)
					if err != nil {
						return cli.UsageError("%v", err)
					}
					if len(anchors) > 0 {
						probs, err := audit.CheckAnchors(ctx, db, anchors)
						if err != nil {
							return err
						}
						rep.Problems = append(rep.Problems, probs...)
					}
					for _, p := range rep.Problems {
						fmt.Fprintf(fs.Stdout, "row %d: %s\n", p.Seq, p.Reason)
					}
					took := time.Since(start).Round(time.Millisecond)
					if !rep.OK() {
						return &cli.ExitError{Code: 1, Err: fmt.Errorf("audit chain BROKEN: %d problem(s) in %d rows (checked in %s)", len(rep.Problems), rep.Rows, took)}
					}
					fmt.Fprintf(fs.Stdout, "audit chain intact: %d rows, last %d, %d anchors matched (checked in %s)\n", rep.Rows, rep.LastSeq, len(anchors), took)
					return nil
				}
			},
		}},
	})
}

var anchorRE = regexp.MustCompile(`anchor=([0-9]+:[0-9a-f]{64})`)

// readAnchors gathers anchors from flags and from a log file's lines.
func readAnchors(args []string, file string) ([]audit.Anchor, error) {
	var out []audit.Anchor
	for _, a := range args {
		an, err := audit.ParseAnchor(a)
		if err != nil {
			return nil, err
		}
		out = append(out, an)
	}
	if file == "" {
		return out, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		for _, m := range anchorRE.FindAllStringSubmatch(sc.Text(), -1) {
			an, err := audit.ParseAnchor(m[1])
			if err == nil {
				out = append(out, an)
			}
		}
	}
	return out, sc.Err()
}
