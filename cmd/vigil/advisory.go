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

	"vigil/internal/advisory"
	"vigil/internal/cli"
	"vigil/internal/i18n"
)

// `vigil advisory`: advisories from the command line (issue 12), through
// the hub's API: list, show, draft, issue, acknowledge, report completion,
// import an RSS/Atom document.
func init() {
	register(&cli.Command{
		Name:  "advisory",
		Short: "list, draft, issue, acknowledge and complete security advisories; import RSS/Atom advisory channels",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list the advisories in your scope, newest first",
				Usage: "vigil advisory list --server URL --token TOKEN [--status S] [--severity S] [--unit CODE] [--overdue] [--waiting] [--sort KEY] [--max N] [--json]",
				Long: "--waiting lists the issued advisories your own unit has not reported completed, soonest deadline first;\n" +
					"--overdue those with a unit past the deadline. --json prints the items as JSON lines.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					status := fs.String("status", "", "", "draft, issued or withdrawn")
					severity := fs.String("severity", "", "", "critical, high, medium or low")
					unit := fs.String("unit", "", "", "a unit code: advisories targeting it or a unit under it")
					overdue := fs.Bool("overdue", "", false, "only advisories with a unit past the deadline")
					waiting := fs.Bool("waiting", "", false, "only those waiting for your own unit")
					sortBy := fs.String("sort", "", "", "sort key: "+strings.Join(advisory.SortKeys, ", "))
					desc := fs.Bool("desc", "", false, "sort in descending order")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"status": *status, "severity": *severity, "unit": *unit, "sort": *sortBy} {
							if v != "" {
								q.Set(k, v)
							}
						}
						if *desc {
							q.Set("order", "desc")
						}
						for k, v := range map[string]bool{"overdue": *overdue, "waiting": *waiting} {
							if v {
								q.Set(k, "true")
							}
						}
						return printList(ctx, c, fs, "/api/v1/advisories", q, *maxRows, *asJSON, "ID\tREF\tSEVERITY\tSTATUS\tDEADLINE\tDONE/UNITS\tOVERDUE\tTITLE", "advisories", func(tw io.Writer, a *advisory.Advisory) {
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\n", a.ID, a.Ref, a.Severity, a.Status, advisoryDay(a.Deadline), a.Completed, a.Targets, a.Overdue, i18n.Shorten(a.Title, 80))
						})
					}
				},
			},
			{
				Name:  "show",
				Short: "show an advisory and its target units' answers",
				Usage: "vigil advisory show --server URL --token TOKEN ID [--overdue] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					overdue := fs.Bool("overdue", "", false, "list only the units past the deadline")
					asJSON := fs.Bool("json", "", false, "print the advisory as JSON")
					return func(ctx context.Context, args []string) error {
						id, err := advisoryID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", "/api/v1/advisories/"+id, "", nil, &raw); err != nil {
							return err
						}
						if *asJSON {
							fmt.Fprintln(fs.Stdout, string(raw))
							return nil
						}
						var a advisory.Advisory
						if err := json.Unmarshal(raw, &a); err != nil {
							return err
						}
						out := fs.Stdout
						fmt.Fprintf(out, "%s  %s\n", a.Ref, a.Title)
						fmt.Fprintf(out, "severity %s, %s since %s by %s, issuer %s\n", a.Severity, a.Status, advisoryDay(a.StatusSince), a.StatusBy, a.Issuer)
						if !a.Deadline.IsZero() {
							fmt.Fprintf(out, "deadline %s (end of day, Vietnam)\n", advisoryDay(a.Deadline))
						}
						for _, x := range []struct{ k, v string }{{"CVEs", strings.Join(a.CVEs, ", ")}, {"products", strings.Join(a.Products, "; ")}, {"link", a.Link},
							{"summary", a.Summary}, {"actions", a.Actions}} {
							if x.v != "" {
								fmt.Fprintf(out, "%s: %s\n", x.k, x.v)
							}
						}
						if a.Status == advisory.StatusDraft {
							return nil
						}
						fmt.Fprintf(out, "\n%d units: %d acknowledged, %d completed, %d overdue\n", a.Targets, a.Acked, a.Completed, a.Overdue)
						q := url.Values{"limit": {"1000"}}
						if *overdue {
							q.Set("overdue", "true")
						}
						var page struct {
							Items []advisory.Target `json:"items"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/advisories/"+id+"/units?"+q.Encode(), "", nil, &page); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "UNIT\tSTATE\tACKNOWLEDGED\tCOMPLETED\tLATE\tFINDINGS\tNOTE")
						for _, t := range page.Items {
							late := ""
							if t.Overdue {
								late = strconv.Itoa(t.DaysLate) + " days"
							}
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Unit, t.State, advisoryDay(t.AckedAt), advisoryDay(t.CompletedAt), late, t.Findings, i18n.Shorten(t.Note, 60))
						}
						return tw.Flush()
					}
				},
			},
			{
				Name:  "create",
				Short: "draft an advisory (the IT Center)",
				Usage: "vigil advisory create --server URL --token TOKEN --title TEXT [--severity S] [--cve CVE-...]... [--product P]... [--summary TEXT] [--actions TEXT] [--deadline dd/mm/yyyy] [--issuer NAME] [--link URL] [--all-units | --unit CODE...] [--issue]",
				Long: "Each --unit chooses that unit and the units under it; --all-units targets every unit. The deadline is the end of that day in Vietnam.\n" +
					"--issue issues the draft at once.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					title := fs.String("title", "", "", "the advisory's title")
					severity := fs.String("severity", "", "medium", "critical, high, medium or low")
					cves := fs.Strings("cve", "a CVE it names (repeatable, or comma-separated)")
					products := fs.Strings("product", "an affected product (repeatable)")
					summary := fs.String("summary", "", "", "what the advisory is about")
					actions := fs.String("actions", "", "", "what the units must do")
					deadline := fs.String("deadline", "", "", "the deadline, dd/mm/yyyy or yyyy-mm-dd")
					issuer := fs.String("issuer", "", "", "who issues it (default: "+advisory.DefaultIssuer+")")
					link := fs.String("link", "", "", "the source's address")
					all := fs.Bool("all-units", "", false, "target every unit")
					units := fs.Strings("unit", "a target unit code, with the units under it (repeatable)")
					issue := fs.Bool("issue", "", false, "issue it at once")
					return func(ctx context.Context, args []string) error {
						if *title == "" {
							return cli.UsageError("--title is required")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						in := advisory.Input{Title: *title, Severity: *severity, CVEs: *cves, Products: *products, Summary: *summary, Actions: *actions,
							Deadline: *deadline, Issuer: *issuer, Link: *link, AllUnits: *all, Units: *units}
						var a advisory.Advisory
						if err := c.Do(ctx, "POST", "/api/v1/advisories", "", in, &a); err != nil {
							return err
						}
						if *issue {
							if err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/advisories/%d/issue", a.ID), "", nil, &a); err != nil {
								return fmt.Errorf("advisory %s drafted (id %d) but not issued: %w", a.Ref, a.ID, err)
							}
						}
						fmt.Fprintf(fs.Stdout, "%s (id %d): %s, %d target units\n", a.Ref, a.ID, a.Status, a.Targets)
						return nil
					}
				},
			},
			{
				Name:  "issue",
				Short: "issue a draft to its target units (the IT Center)",
				Usage: "vigil advisory issue --server URL --token TOKEN ID",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						id, err := advisoryID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var a advisory.Advisory
						if err := c.Do(ctx, "POST", "/api/v1/advisories/"+id+"/issue", "", nil, &a); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "%s issued to %d units, deadline %s\n", a.Ref, a.Targets, advisoryDay(a.Deadline))
						return nil
					}
				},
			},
			advisoryAnswerCommand(false),
			advisoryAnswerCommand(true),
			{
				Name:  "import-feed",
				Short: "import an RSS 2.0 or Atom 1.0 document of an advisory channel: each new item becomes a draft",
				Usage: "vigil advisory import-feed --server URL --token TOKEN FILE --channel NAME",
				Long: "Items are known by their guid (Atom: id), else their link, per channel: importing the same document again files nothing.\n" +
					"A document declaring a DOCTYPE or ENTITY is refused; a malformed one files nothing and the error names the line.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					channel := fs.String("channel", "", "", "the channel's name, which becomes the drafts' issuer (VNCERT/CC, NCSC, Microsoft)")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return cli.UsageError("give exactly one RSS or Atom file")
						}
						if strings.TrimSpace(*channel) == "" {
							return cli.UsageError("--channel is required")
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
						var res struct {
							Channel string `json:"channel"`
							New     int    `json:"new"`
						}
						if err := c.Do(ctx, "POST", "/api/v1/advisories/import-feed?channel="+url.QueryEscape(*channel), "application/rss+xml", io.Reader(f), &res); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "%s: %d new drafts from channel %s\n", args[0], res.New, res.Channel)
						return nil
					}
				},
			},
		},
	})
}

// advisoryAnswerCommand is `vigil advisory ack` or `vigil advisory complete`.
func advisoryAnswerCommand(complete bool) *cli.Command {
	name, short, path := "ack", "acknowledge an advisory for your unit (or --unit CODE under it)", "ack"
	usage := "vigil advisory ack --server URL --token TOKEN ID [--unit CODE] [--note TEXT]"
	if complete {
		name, short, path = "complete", "report an advisory completed for your unit (or --unit CODE under it), with a note", "complete"
		usage = "vigil advisory complete --server URL --token TOKEN ID --note TEXT [--unit CODE] [--evidence TEXT]"
	}
	return &cli.Command{
		Name: name, Short: short, Usage: usage,
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			unit := fs.String("unit", "", "", "the unit answering (default: your own)")
			note := fs.String("note", "", "", "what the unit did")
			evidence := fs.String("evidence", "", "", "a reference to the evidence (a letter number, a link)")
			return func(ctx context.Context, args []string) error {
				id, err := advisoryID(args)
				if err != nil {
					return err
				}
				if complete && strings.TrimSpace(*note) == "" {
					return cli.UsageError("--note is required: say what the unit did")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				var t advisory.Target
				in := advisory.Answer{Unit: *unit, Note: *note, Evidence: *evidence}
				if err := c.Do(ctx, "POST", "/api/v1/advisories/"+id+"/"+path, "", in, &t); err != nil {
					return err
				}
				fmt.Fprintf(fs.Stdout, "advisory %s, unit %s: %s\n", id, t.Unit, t.State)
				return nil
			}
		},
	}
}

func advisoryID(args []string) (string, error) {
	if len(args) != 1 {
		return "", cli.UsageError("give the advisory's id")
	}
	if n, err := strconv.ParseInt(args[0], 10, 64); err != nil || n <= 0 {
		return "", cli.UsageError("%q is not an advisory id (a number; see vigil advisory list)", args[0])
	}
	return args[0], nil
}

// advisoryDay is a date as yyyy-mm-dd in Vietnam, "" for none.
func advisoryDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(i18n.Location).Format("2006-01-02")
}
