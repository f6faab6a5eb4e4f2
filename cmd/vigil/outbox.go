package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/cli"
	"vigil/internal/i18n"
	"vigil/internal/outbox"
)

// `vigil outbox`: the deliveries of national reports through the hub's
// API (issue 13): list them, retry one now, show or change the
// recipients of a purpose.
func init() {
	register(&cli.Command{
		Name:  "outbox",
		Short: "list report deliveries (e-mail, HTTP), retry one now, show or set the recipients per purpose",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list the deliveries in your scope, newest first",
				Usage: "vigil outbox list --server URL --token TOKEN [--status S] [--purpose P] [--channel email|http] [--unit CODE] [--case ID] [--sort KEY] [--desc] [--max N] [--json]",
				Long: "--status is pending, sending, delivered or failed; --purpose incident_initial, incident_final or incident_summary.\n" +
					"--case ID lists the deliveries about one incident case. --json prints each delivery with its attempts as a JSON line.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					status := fs.String("status", "", "", "pending, sending, delivered or failed")
					purpose := fs.String("purpose", "", "", strings.Join(outbox.Purposes, ", "))
					channel := fs.String("channel", "", "", "email or http")
					unit := fs.String("unit", "", "", "a unit code: its deliveries and those of the units under it")
					caseID := fs.String("case", "", "", "an incident case's id")
					sortBy := fs.String("sort", "", "", "sort key: "+strings.Join(outbox.SortKeys, ", "))
					desc := fs.Bool("desc", "", false, "sort in descending order")
					maxRows := fs.Int("max", "", 1000, "print at most this many")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"status": *status, "purpose": *purpose, "channel": *channel, "unit": *unit, "sort": *sortBy} {
							if v != "" {
								q.Set(k, v)
							}
						}
						if *caseID != "" {
							q.Set("object_type", "incident")
							q.Set("object_id", *caseID)
						}
						if *desc {
							q.Set("order", "desc")
						}
						return printList(ctx, c, fs, "/api/v1/outbox", q, *maxRows, *asJSON, "ID\tCREATED\tPURPOSE\tUNIT\tCHANNEL\tTARGET\tSTATUS\tATTEMPTS\tNEXT/DELIVERED\tLAST ERROR", "deliveries", func(tw io.Writer, d *outbox.Delivery) {
							when := ""
							if d.DeliveredAt != nil {
								when = i18n.FormatTime(*d.DeliveredAt, "en")
							} else if !d.NextAt.IsZero() {
								when = "next " + i18n.FormatTime(d.NextAt, "en")
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, i18n.FormatTime(d.CreatedAt, "en"), d.Purpose, d.Unit, d.Channel,
								d.Target, d.Status, d.Attempts, when, i18n.Shorten(d.LastError, 80))
						})
					}
				},
			},
			{
				Name:  "retry",
				Short: "send a pending or failed delivery now",
				Usage: "vigil outbox retry --server URL --token TOKEN ID...",
				Long:  "A failed delivery is retried for another give-up span (7 days by default). The hub's worker sends it within seconds.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						if len(args) == 0 {
							return cli.UsageError("give the id of at least one delivery (see vigil outbox list)")
						}
						for _, a := range args {
							if n, err := strconv.ParseInt(a, 10, 64); err != nil || n <= 0 {
								return cli.UsageError("%q is not a delivery id (a number; see vigil outbox list)", a)
							}
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						for _, id := range args {
							var d outbox.Delivery
							if err := c.Do(ctx, "POST", "/api/v1/outbox/"+id+"/retry", "", nil, &d); err != nil {
								return err
							}
							fmt.Fprintf(fs.Stdout, "delivery %d to %s: %s, sent again now\n", d.ID, d.Target, d.Status)
						}
						return nil
					}
				},
			},
			{
				Name:  "settings",
				Short: "show the recipients of each purpose, or change one purpose's (the IT Center)",
				Usage: "vigil outbox settings --server URL --token TOKEN [PURPOSE [--owner-name N] [--owner-email A]... [--coordinator-name N] [--coordinator-email A]... [--specialised-name N] [--specialised-email A]... [--http-url URL] [--secret S | --clear-secret]] [--json]",
				Long: "Without a purpose, prints every purpose's recipients (an endpoint's secret only as its last four characters).\n" +
					"With a purpose, replaces its recipients with the flags given (a flag not given empties that list; --secret empty keeps the current one).\n" +
					"Purposes: " + strings.Join(outbox.Purposes, ", ") + ".",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					ownerName := fs.String("owner-name", "", "", "the owner body's name")
					owner := fs.Strings("owner-email", "the owner body's address (repeatable, or comma-separated)")
					coordName := fs.String("coordinator-name", "", "", "the national coordinator's name (VNCERT/CC, A05)")
					coord := fs.Strings("coordinator-email", "the national coordinator's address (repeatable)")
					specName := fs.String("specialised-name", "", "", "the specialised response unit's name")
					spec := fs.Strings("specialised-email", "the specialised unit's address (repeatable)")
					httpURL := fs.String("http-url", "", "", "an HTTP endpoint receiving the report as JSON")
					secret := fs.String("secret", "VIGIL_OUTBOX_SECRET", "", "the endpoint's HMAC signing secret (at least 16 characters)")
					clear := fs.Bool("clear-secret", "", false, "remove the endpoint's secret")
					asJSON := fs.Bool("json", "", false, "print JSON")
					return func(ctx context.Context, args []string) error {
						if len(args) > 1 {
							return cli.UsageError("give at most one purpose")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var list []outbox.Recipients
						if len(args) == 1 {
							in := outbox.RecipientsInput{OwnerName: *ownerName, OwnerEmails: *owner, CoordinatorName: *coordName, CoordinatorEmails: *coord,
								SpecialisedName: *specName, SpecialisedEmails: *spec, HTTPURL: *httpURL, Secret: *secret, ClearSecret: *clear}
							var r outbox.Recipients
							if err := c.Do(ctx, "PUT", "/api/v1/outbox/settings/"+url.PathEscape(args[0]), "", in, &r); err != nil {
								return err
							}
							list = append(list, r)
						} else {
							var page struct {
								Items []outbox.Recipients `json:"items"`
							}
							if err := c.Do(ctx, "GET", "/api/v1/outbox/settings", "", nil, &page); err != nil {
								return err
							}
							list = page.Items
						}
						if *asJSON {
							return json.NewEncoder(fs.Stdout).Encode(list)
						}
						for _, r := range list {
							fmt.Fprintf(fs.Stdout, "%s\n", r.Purpose)
							fmt.Fprintf(fs.Stdout, "  %s: %s\n", r.OwnerName, strings.Join(r.OwnerEmails, ", "))
							fmt.Fprintf(fs.Stdout, "  %s: %s\n", r.CoordinatorName, strings.Join(r.CoordinatorEmails, ", "))
							fmt.Fprintf(fs.Stdout, "  %s: %s\n", r.SpecialisedName, strings.Join(r.SpecialisedEmails, ", "))
							if r.HTTPURL != "" {
								signed := "unsigned"
								if r.SecretSet {
									signed = "signed, secret " + r.SecretHint
								}
								fmt.Fprintf(fs.Stdout, "  HTTP: %s (%s)\n", r.HTTPURL, signed)
							}
						}
						return nil
					}
				},
			},
		},
	})
}
