package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/errs"
	"vigil/internal/vulnmatch"
)

// `vigil missing-updates HOST_ID`: the Microsoft updates a host lacks, as
// the hub computed them from MSRC data (issue 11).
func init() {
	register(&cli.Command{
		Name:  "missing-updates",
		Short: "list the Microsoft security updates a host lacks: the KB to install and the CVEs it closes",
		Usage: "vigil missing-updates --server URL --token TOKEN [--json] HOST_ID",
		Long: "The hub matches each host's inventory (OS build, installed KBs, programs) against the MSRC data loaded with\n" +
			"`vigil feeds import`; a host missing several months is told the newest cumulative update once. HOST_ID is the\n" +
			"number in the host page's address. --json prints the items as JSON lines.",
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			asJSON := fs.Bool("json", "", false, "print JSON lines")
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 {
					return errs.Invalid("", "give one host id (the number in the host page's address)")
				}
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || id <= 0 {
					return errs.Invalid("", "%q is not a host id: give the number in the host page's address", args[0])
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				var page struct {
					Items []vulnmatch.MissingUpdate `json:"items"`
				}
				if err := c.Do(ctx, "GET", "/api/v1/hosts/"+strconv.FormatInt(id, 10)+"/missing-updates", "", nil, &page); err != nil {
					return err
				}
				if *asJSON {
					enc := json.NewEncoder(fs.Stdout)
					for _, m := range page.Items {
						if err := enc.Encode(m); err != nil {
							return err
						}
					}
					return nil
				}
				tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KB\tPRODUCT\tSEVERITY\tCVSS\tKEV\tCVES\tRELEASE\tSTATUS")
				for _, m := range page.Items {
					cves := strings.Join(m.CVEs[:min(3, len(m.CVEs))], " ")
					if len(m.CVEs) > 3 {
						cves += fmt.Sprintf(" (+%d)", len(m.CVEs)-3)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%v\t%s\t%s\t%s\n", m.KB, m.Product, m.Severity, m.CVSS, m.KEV, cves, m.Document, m.Status)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(fs.Stdout, "%d updates missing\n", len(page.Items))
				return nil
			}
		},
	})
}
