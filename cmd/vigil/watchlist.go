package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"vigil/internal/attach"
	"vigil/internal/cli"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/watchlist"
)

// `vigil watchlist`: the warning lists' clean-up queue from the command line
// (issue 12), through the hub's API.
func init() {
	register(&cli.Command{
		Name:  "watchlist",
		Short: "the warning lists' clean-up queue: matches, recorded actions, evidence, late units",
		Subs: []*cli.Command{
			{
				Name:  "hits",
				Short: "list the matches of published warning lists in your scope, the unit's queue order (priority, then deadline)",
				Usage: "vigil watchlist hits --server URL --token TOKEN [--unit CODE] [--status S] [--kind K] [--object O] [--list ID] [--overdue] [--max N] [--json]",
				Long: "--status active is open and in progress. --object is host_address, hostname, account, file_hash or alert.\n" +
					"--json prints the items as JSON lines (kind, value, host, unit, reason, status, due_at, ...).",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "a unit code: that unit and the units under it")
					status := fs.String("status", "", "", "statuses, comma-separated: open, in_progress, resolved, accepted_risk, false_positive; active = open and in progress")
					kind := fs.String("kind", "", "", "indicator kinds, comma-separated: ip, domain, url, sha256, sha1, md5, account, hostname, email")
					object := fs.String("object", "", "", "objects, comma-separated: host_address, hostname, account, file_hash, alert")
					list := fs.String("list", "", "", "only the matches of this warning list (its id)")
					overdue := fs.Bool("overdue", "", false, "only those past their deadline")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"unit": *unit, "status": *status, "kind": *kind, "object": *object, "list": *list} {
							if v != "" {
								q.Set(k, v)
							}
						}
						if *overdue {
							q.Set("overdue", "true")
						}
						return printList(ctx, c, fs, "/api/v1/watchlist/hits", q, *maxRows, *asJSON, "ID\tKIND\tVALUE\tHOST\tUNIT\tACTION\tDUE\tSTATUS\tREASON", "matches", func(tw io.Writer, h *watchlist.Hit) {
							due := ""
							if !h.DueAt.IsZero() {
								due = i18n.FormatDate(h.DueAt, "vi") // dd/mm/yyyy in Vietnam, as the page shows it
								if h.Overdue {
									due += " overdue"
								}
							}
							st := h.Status
							if h.Awaiting {
								st += " (awaiting verification)"
							}
							host := h.Host
							if host == "" && h.AlertID > 0 {
								host = "alert #" + strconv.FormatInt(h.AlertID, 10)
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Kind, h.Value, host, h.Unit, h.Action, due, st, h.Reason)
						})
					}
				},
			},
			{
				Name:  "action",
				Short: "record what was done about a match; the item then awaits verification by a clean scan or inventory",
				Usage: "vigil watchlist action --server URL --token TOKEN --action scan|block|removal|password_reset|disable_account|reimage --note TEXT [--evidence FILE]... HIT_ID",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					action := fs.String("action", "", "", "the action taken: scan, block, removal, password_reset, disable_account, reimage")
					note := fs.String("note", "", "", "what was done, in words")
					files := fs.Strings("evidence", "an evidence file to attach (repeatable; at most 20 MiB each)")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return errs.Invalid("", "give the id of one match (see vigil watchlist hits)")
						}
						id, err := strconv.ParseInt(args[0], 10, 64)
						if err != nil || id <= 0 {
							return errs.Invalid("", "%q is not a match id", args[0])
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						for _, path := range *files {
							if err := uploadEvidence(ctx, c.Do, fs.Stdout, id, path); err != nil {
								return err
							}
						}
						var h watchlist.Hit
						if err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/watchlist/hits/%d/action", id), "", watchlist.ActionInput{Action: *action, Note: *note}, &h); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "match %d: %s recorded; finding %d is %s, awaiting verification\n", h.ID, h.Taken, h.FindingID, h.Status)
						return nil
					}
				},
			},
			{
				Name:  "evidence",
				Short: "attach evidence files to a match (kept read-only with their SHA-256)",
				Usage: "vigil watchlist evidence --server URL --token TOKEN HIT_ID FILE...",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						if len(args) < 2 {
							return errs.Invalid("", "give the id of a match and at least one file")
						}
						id, err := strconv.ParseInt(args[0], 10, 64)
						if err != nil || id <= 0 {
							return errs.Invalid("", "%q is not a match id", args[0])
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						for _, path := range args[1:] {
							if err := uploadEvidence(ctx, c.Do, fs.Stdout, id, path); err != nil {
								return err
							}
						}
						return nil
					}
				},
			},
			{
				Name:  "late",
				Short: "units with warning-list items past their deadline, the latest first, with who to call",
				Usage: "vigil watchlist late --server URL --token TOKEN [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						var page struct {
							Items []watchlist.LateUnit `json:"items"`
							Total int                  `json:"total"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/watchlist/late-units?limit=1000", "", nil, &page); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						if !*asJSON {
							fmt.Fprintln(tw, "UNIT\tOVERDUE\tTO DO\tOLDEST DUE\tCONTACT\tOFFICER")
						}
						for _, l := range page.Items {
							if *asJSON {
								b, _ := json.Marshal(l)
								fmt.Fprintln(fs.Stdout, string(b))
								continue
							}
							fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s %s\t%s\n", l.Unit, l.Overdue, l.Open, i18n.FormatDate(l.OldestDue, "vi"), l.Contact, l.ContactPhone, l.Officer)
						}
						if err := tw.Flush(); err != nil {
							return err
						}
						if !*asJSON && page.Total > len(page.Items) {
							fmt.Fprintf(fs.Stdout, "(%d of %d late units; the rest: GET /api/v1/watchlist/late-units?offset=%d)\n", len(page.Items), page.Total, len(page.Items))
						}
						return nil
					}
				},
			},
			{
				Name:  "runs",
				Short: "the progress of matching published lists (the IT Center's)",
				Usage: "vigil watchlist runs --server URL --token TOKEN [--list ID]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					list := fs.String("list", "", "", "only the runs of this list (its id)")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						path := "/api/v1/watchlist/runs"
						if *list != "" {
							path += "?list=" + url.QueryEscape(*list)
						}
						var page struct {
							Items []watchlist.Run `json:"items"`
						}
						if err := c.Do(ctx, "GET", path, "", nil, &page); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "RUN\tLIST\tSTATUS\tPHASE\tDONE\tINDICATORS\tHOSTS\tEVENTS\tHITS\tSECONDS")
						for _, r := range page.Items {
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%d\t%.1f\n", r.ID, r.List, r.Status, r.Phase, r.Done, r.Total, r.Indicators, r.HostsScanned, r.EventsScanned, r.Hits, r.Seconds)
						}
						return tw.Flush()
					}
				},
			},
		},
	})
}

// uploadEvidence posts one file to a match and prints its SHA-256.
func uploadEvidence(ctx context.Context, do func(ctx context.Context, method, path, contentType string, body, out any) error, out interface{ Write([]byte) (int, error) }, id int64, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > attach.MaxSize {
		return errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20)
	}
	var a attach.Attachment
	if err := do(ctx, "POST", fmt.Sprintf("/api/v1/watchlist/hits/%d/evidence?name=%s", id, url.QueryEscape(filepath.Base(path))), "application/octet-stream", f, &a); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(out, "%s attached (%d bytes, SHA-256 %s)\n", a.Name, a.Size, a.SHA256)
	return nil
}
