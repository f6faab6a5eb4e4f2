package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"vigil/internal/cli"
	"vigil/internal/client"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
	"vigil/internal/scanimport"
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
					q := url.Values{"unit": {*unit}}
					if *format != "" {
						q.Set("format", *format)
					}
					return postFiles(ctx, c, fs, args, "/api/v1/hosts/import", q, func(path string, res *hosts.ImportResult, err error) {
						if err != nil {
							fmt.Fprintf(fs.Stderr, "%s: %v; nothing of this file was imported\n", path, err)
							return
						}
						fmt.Fprintf(fs.Stdout, "%s: %d hosts added, %d updated, %d changes recorded\n", path, res.Created, res.Updated, res.Changes)
					})
				}
			},
		}, {
			Name:  "scan",
			Short: "import vulnerability scanners' reports",
			Usage: "vigil import scan --server URL --token TOKEN --unit CODE [--host ADDR] [--format F] [--json] FILE...",
			Long: `Sends each FILE to the hub, which files what the scanner found as
vulnerability findings on unit CODE's hosts (found by IP address or host
name, or added). The format is detected from the content: Nessus (.nessus
v2), OpenVAS/Greenbone XML, Qualys VM asset data report XML, Rapid7
Nexpose XML 2.0, Qualys scan report XML, Nmap XML (with the vulners script), Trivy JSON, Grype
JSON, OSV-Scanner JSON, Nuclei JSON lines. Trivy, Grype and OSV-Scanner
reports name no host: --host says which machine was scanned. Each file is
streamed and imported atomically: a malformed, truncated or oversized file
is refused with the place it goes wrong, and nothing of it is kept.
Importing a newer scan of a host closes the findings that scanner no
longer reports there ("fixed, verified by scan"); an older scan closes
nothing. Prints one line per file (--json: one JSON object per file).
See docs/vuln-scans.md.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				unit := fs.String("unit", "-", "", "code of the unit the scanned hosts belong to")
				host := fs.String("host", "VIGIL_SCAN_HOST", "", "the scanned machine (IP or name) of a Trivy, Grype or OSV-Scanner report")
				format := fs.String("format", "-", "", "nessus, openvas, qualys, nexpose, nmap, trivy, grype, osv-scanner or nuclei; detected when empty")
				asJSON := fs.Bool("json", "-", false, "print a JSON object per file instead of a sentence")
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
					q := url.Values{"unit": {*unit}}
					if *format != "" {
						q.Set("format", *format)
					}
					if *host != "" {
						q.Set("host", *host)
					}
					return postFiles(ctx, c, fs, args, "/api/v1/scans/import", q, func(path string, res *scanimport.Result, err error) {
						switch {
						case err != nil && *asJSON:
							json.NewEncoder(fs.Stdout).Encode(map[string]string{"file": path, "error": err.Error()})
						case err != nil:
							fmt.Fprintf(fs.Stderr, "%s: %v\n", path, err)
						case *asJSON:
							json.NewEncoder(fs.Stdout).Encode(res)
						default:
							fmt.Fprintln(fs.Stdout, scanSummary(path, res))
						}
					})
				}
			},
		}, importEmployees},
	})
}

// scanSummary is the one line `vigil import scan` prints for a file.
func scanSummary(path string, r *scanimport.Result) string {
	var why []string
	for _, s := range r.Skipped {
		why = append(why, fmt.Sprintf("%d %s", s.Count, i18n.T("en", "scans.skip."+s.Reason)))
	}
	line := fmt.Sprintf("%s: %s, %d records: %d loaded, %d skipped; hosts %d new, %d updated; findings %d new, %d updated, %d closed",
		path, r.Scanner, r.Read, r.Loaded, r.Skip, r.HostsNew, r.HostsUpd, r.FindNew, r.FindUpd+r.FindReop, r.FindClose)
	if len(why) > 0 {
		line += " (skipped: " + strings.Join(why, "; ") + ")"
	}
	if r.HostsOld > 0 {
		line += fmt.Sprintf("; %d hosts had a newer scan already: nothing closed on them", r.HostsOld)
	}
	return line
}

// postFiles streams each file to endpoint (with query and the file's base
// name as file=) and hands report the decoded result or the error; a file
// that cannot be opened is said on stderr. It fails when any file did.
func postFiles[T any](ctx context.Context, c *client.Client, fs *cli.FlagSet, files []string, endpoint string, query url.Values,
	report func(path string, res *T, err error)) error {
	failed := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(fs.Stderr, "%s: %v\n", path, err)
			failed++
			continue
		}
		q := maps.Clone(query)
		q.Set("file", filepath.Base(path))
		var res T
		err = c.Do(ctx, "POST", endpoint+"?"+q.Encode(), "application/octet-stream", f, &res)
		f.Close()
		if err != nil {
			failed++
			report(path, nil, err)
			continue
		}
		report(path, &res, nil)
	}
	if failed > 0 {
		return &cli.ExitError{Code: 1, Err: &filesFailed{failed, len(files)}}
	}
	return nil
}

// filesFailed is postFiles' error when some files were not imported.
type filesFailed struct{ Failed, Total int }

func (e *filesFailed) Error() string {
	return fmt.Sprintf("%d of %d files not imported", e.Failed, e.Total)
}
