package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"vigil/internal/cli"
	"vigil/internal/i18n"
	"vigil/internal/taxii"
)

// `vigil taxii collections` and `vigil intel feeds`: what the hub shares
// over TAXII 2.1 and the feeds it polls (issue 12), through the hub's API.
func init() {
	register(&cli.Command{
		Name:  "taxii",
		Short: "the TAXII 2.1 collections the hub shares, with who may read or write them",
		Subs:  []*cli.Command{taxiiCollectionsCmd()},
	})
	// `vigil intel feeds` joins the intel command when it is there
	// (cmd/vigil/intel.go, initialised first), else stands alone.
	feeds := intelFeedsCmd()
	for _, c := range commands {
		if c.Name == "intel" {
			c.Subs = append(c.Subs, feeds)
			return
		}
	}
	register(&cli.Command{Name: "intel", Short: "threat intelligence: the scheduled intel feeds", Subs: []*cli.Command{feeds}})
}

// pageAll reads every page of a paged list into fn.
func pageAll(ctx context.Context, af *apiFlags, path string, q url.Values, fn func(raw json.RawMessage) error) (int, error) {
	c, err := af.client()
	if err != nil {
		return 0, err
	}
	q.Set("limit", "500")
	total := 0
	for {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total int               `json:"total"`
			Next  string            `json:"next"`
		}
		if err := c.Do(ctx, "GET", path+"?"+q.Encode(), "", nil, &page); err != nil {
			return 0, err
		}
		total = page.Total
		for _, raw := range page.Items {
			if err := fn(raw); err != nil {
				return 0, err
			}
		}
		if page.Next == "" {
			return total, nil
		}
		q.Set("cursor", page.Next)
	}
}

func taxiiCollectionsCmd() *cli.Command {
	return &cli.Command{
		Name:  "collections",
		Short: "list the TAXII collections you may see: what each shares, its grants and the address to give a partner",
		Usage: "vigil taxii collections --server URL --token TOKEN [--json]",
		Long: "A partner reads a collection with any TAXII 2.1 client at <hub>/taxii2/ (discovery), with HTTP Basic:\n" +
			"the user's e-mail and one of their API tokens as the password (or Authorization: Bearer <token>).\n" +
			"Each collection is also a MISP feed (MISP FEED: manifest.json, <event uuid>.json, hashes.csv), with the same\n" +
			"credentials and rights: a MISP instance adds it as a feed of format \"MISP Feed\" with the header\n" +
			"Authorization: Bearer <token>.\n" +
			"Collections are added and granted on the /taxii page or with the API (/api/v1/taxii/collections).",
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			asJSON := fs.Bool("json", "", false, "print JSON lines")
			return func(ctx context.Context, args []string) error {
				tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
				if !*asJSON {
					fmt.Fprintln(tw, "ID\tTITLE\tSHARES\tMAX TLP\tWRITABLE\tGRANTS\tADDRESS\tMISP FEED")
				}
				n, err := pageAll(ctx, af, "/api/v1/taxii/collections", url.Values{}, func(raw json.RawMessage) error {
					if *asJSON {
						fmt.Fprintln(fs.Stdout, string(raw))
						return nil
					}
					var c taxii.Collection
					if err := json.Unmarshal(raw, &c); err != nil {
						return err
					}
					shares := c.Selection
					if c.ListName != "" {
						shares += ": " + c.ListName
					}
					var grants []string
					for _, g := range c.Grants {
						who := g.User
						if g.Kind == taxii.GranteeUnit {
							who = "unit " + g.Name
						}
						right := "read"
						switch {
						case g.CanRead && g.CanWrite:
							right = "read+write"
						case g.CanWrite:
							right = "write"
						}
						grants = append(grants, who+" ("+right+")")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n", c.ID, c.Title, shares, c.MaxTLP, c.Writable, strings.Join(grants, ", "), c.Path, c.MISPFeed)
					return nil
				})
				if err != nil {
					return err
				}
				if *asJSON {
					return nil
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(fs.Stderr, "%d collections\n", n)
				return nil
			}
		},
	}
}

func intelFeedsCmd() *cli.Command {
	return &cli.Command{
		Name:  "feeds",
		Short: "the intel feeds the hub polls (TAXII, MISP, STIX, CSV, RSS): list, add, run",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list the feeds with their last run, status since, count and error",
				Usage: "vigil intel feeds list --server URL --token TOKEN [--kind K] [--status ok|error|never] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					kind := fs.String("kind", "", "", "only feeds of this kind: "+strings.Join(taxii.FeedKinds, ", "))
					status := fs.String("status", "", "", "only feeds whose last run is ok, error or never ran")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						q := url.Values{}
						if *kind != "" {
							q.Set("kind", *kind)
						}
						if *status != "" {
							q.Set("status", *status)
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						if !*asJSON {
							fmt.Fprintln(tw, "ID\tKIND\tNAME\tENABLED\tLAST RUN\tSTATUS\tSINCE\tCOUNT\tERROR")
						}
						n, err := pageAll(ctx, af, "/api/v1/intel/feeds", q, func(raw json.RawMessage) error {
							if *asJSON {
								fmt.Fprintln(fs.Stdout, string(raw))
								return nil
							}
							var f taxii.Feed
							if err := json.Unmarshal(raw, &f); err != nil {
								return err
							}
							printFeedRow(tw, &f)
							return nil
						})
						if err != nil {
							return err
						}
						if *asJSON {
							return nil
						}
						if err := tw.Flush(); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stderr, "%d feeds\n", n)
						return nil
					}
				},
			},
			{
				Name:  "add",
				Short: "add a feed (administrators)",
				Usage: "vigil intel feeds add --server URL --token TOKEN --kind taxii|misp|stix|csv|rss --name NAME --url URL [--collection ID] [--api-root URL] [--username U --secret-env VAR] [--interval MINUTES] [--list NAME] [--tlp T] [--disabled]",
				Long: "--name is also the source the feed's indicators are stored under (and the channel of an RSS feed's advisories).\n" +
					"A TAXII feed's --url is the server's discovery address (…/taxii2/) and --collection the collection's id;\n" +
					"--api-root picks an API root other than the server's default. A MISP feed's --url is the folder holding manifest.json.\n" +
					"The secret (password, token or API key) is read from the environment variable --secret-env names, never from the\n" +
					"command line (which other users of the machine can see); it is never shown back. --list makes what the feed brings\n" +
					"join that warning list, which is published.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					kind := fs.String("kind", "-", "", "taxii, misp, stix, csv or rss")
					name := fs.String("name", "-", "", "the feed's name (the source of what it brings)")
					desc := fs.String("description", "-", "", "what the feed is")
					u := fs.String("url", "-", "", "the address to fetch")
					coll := fs.String("collection", "-", "", "TAXII: the collection's id")
					root := fs.String("api-root", "-", "", "TAXII: the API root (default: the server's)")
					user := fs.String("username", "-", "", "HTTP Basic user name")
					secretEnv := fs.String("secret-env", "-", "", "the environment variable holding the password, token or key")
					interval := fs.Int("interval", "-", taxii.DefaultInterval, "minutes between runs")
					list := fs.String("list", "-", "", "the warning list what it brings joins (published)")
					tlp := fs.String("tlp", "-", "", "TLP of indicators that carry none")
					disabled := fs.Bool("disabled", "-", false, "add it disabled")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						enabled := !*disabled
						in := taxii.FeedInput{Kind: kind, Name: name, Description: desc, URL: u, Collection: coll, APIRoot: root, Username: user,
							IntervalMinutes: interval, TargetList: list, TLP: tlp, Enabled: &enabled}
						if *secretEnv != "" {
							v, ok := os.LookupEnv(*secretEnv)
							if !ok || v == "" {
								return fmt.Errorf("--secret-env %s: the variable is not set", *secretEnv)
							}
							in.Secret = &v
						}
						var f taxii.Feed
						if err := c.Do(ctx, "POST", "/api/v1/intel/feeds", "", in, &f); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "feed %d %q added (%s, every %d minutes%s); it runs within a minute\n", f.ID, f.Name, f.Kind, f.IntervalMinutes, map[bool]string{true: "", false: ", disabled"}[f.Enabled])
						return nil
					}
				},
			},
			{
				Name:  "run",
				Short: "run a feed now and print its outcome (administrators)",
				Usage: "vigil intel feeds run --server URL --token TOKEN FEED_ID",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					asJSON := fs.Bool("json", "", false, "print the feed as JSON")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return cli.UsageError("vigil intel feeds run FEED_ID")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var f taxii.Feed
						if err := c.Do(ctx, "POST", "/api/v1/intel/feeds/"+url.PathEscape(args[0])+"/run", "", nil, &f); err != nil {
							return err
						}
						if *asJSON {
							enc := json.NewEncoder(fs.Stdout)
							enc.SetIndent("", "  ")
							return enc.Encode(f)
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "ID\tKIND\tNAME\tENABLED\tLAST RUN\tSTATUS\tSINCE\tCOUNT\tERROR")
						printFeedRow(tw, &f)
						if err := tw.Flush(); err != nil {
							return err
						}
						if f.LastStatus == taxii.RunError {
							return &cli.ExitError{Code: 1, Err: fmt.Errorf("feed %s failed: %s", f.Name, f.LastError)}
						}
						return nil
					}
				},
			},
		},
	}
}

func printFeedRow(tw *tabwriter.Writer, f *taxii.Feed) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(i18n.Location).Format("02/01/2006 15:04")
	}
	status := f.LastStatus
	if status == "" {
		status = "never"
	}
	fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Kind, f.Name, f.Enabled, when(f.LastRunAt), status, when(f.StatusSince), f.LastCount, f.LastError)
}
