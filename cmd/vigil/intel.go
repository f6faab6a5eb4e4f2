package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/client"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
)

func init() {
	register(&cli.Command{
		Name:  "intel",
		Short: "threat intelligence and the IT Center's warning lists (through a hub's API)",
		Subs: []*cli.Command{{
			Name:  "import",
			Short: "import indicator files (STIX, MISP, CSV, XLSX, values), optionally into a warning list",
			Usage: "vigil intel import --server URL --token TOKEN [--list NAME] [--unit CODE] [--source S] [--tlp T] [--report R] [--json] FILE...",
			Long: `Sends each FILE to the hub, which detects its format (STIX 2.0/2.1 bundle,
MISP event, the indicator CSV 'type,value[,comment]' that 'vigil detect
--ioc' reads, the warning-list XLSX template, or values one a line) and
stores its indicators: the same kind, value and source update the stored
indicator. Bad objects are skipped and each is named (file, line or object,
field, reason) on stderr; the rest is imported. Ends with one line:
"N objects read, M indicators loaded, K skipped" (in --lang).

With --list NAME the indicators join the warning list NAME of the current
month: the IT Center's import creates it when new and publishes it, so
matching starts at once; an officer's import adds entries for its unit
(--unit, required) to the existing list. --unit makes the entries target
that unit's subtree instead of every unit.

--json prints {"objects_read","indicators_loaded","skipped":[...]} summed
over the files, each skipped item naming its file. See docs/intel.md.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				list := fs.String("list", "-", "", "join (and, for the IT Center, create and publish) this warning list of the current month")
				unit := fs.String("unit", "-", "", "with --list: the entries target this unit's subtree")
				source := fs.String("source", "-", "", "source of indicators whose file names none")
				tlp := fs.String("tlp", "-", "", "TLP marking of indicators whose file gives none: clear, green, amber, amber+strict, red")
				report := fs.String("report", "-", "", "the report the files came from")
				asJSON := fs.Bool("json", "-", false, `print {"objects_read","indicators_loaded","skipped":[...]} instead of a sentence`)
				lang := addLangFlag(fs)
				return func(ctx context.Context, args []string) error {
					if len(args) == 0 {
						return cli.UsageError("give at least one file")
					}
					if *unit != "" && *list == "" {
						return cli.UsageError("--unit applies to the entries of a list: give --list too")
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					q := url.Values{}
					for k, v := range map[string]string{"list": *list, "unit": *unit, "source": *source, "tlp": *tlp, "report": *report} {
						if v != "" {
							q.Set(k, v)
						}
					}
					total := intel.ImportResult{Skipped: []format.Problem{}}
					l := cliLang(*lang)
					err = postFiles(ctx, c, fs, args, "/api/v1/intel/import", q, func(path string, res *intel.ImportResult, err error) {
						if err != nil {
							// A refused file is a problem naming it, in
							// --json's skipped too.
							p, ok := refusal(err)
							if !ok {
								p = format.Problem{Reason: err.Error()}
								if e, isErr := errs.As(err); isErr {
									p.Field, p.Reason = e.Field, e.Message
								}
								if !*asJSON {
									fmt.Fprintf(fs.Stderr, "%s: %s\n", path, cliError(l, err))
								}
							} else if !*asJSON {
								p.File = path
								fmt.Fprintf(fs.Stderr, "%s\n", i18n.T(l, "intel.cli_refused")+" "+ProblemLine(l, p))
							}
							p.File = path
							total.Skipped = append(total.Skipped, p)
							return
						}
						total.ObjectsRead += res.ObjectsRead
						total.IndicatorsLoaded += res.IndicatorsLoaded
						for _, p := range res.Skipped {
							if p.File == "" {
								p.File = path
							}
							total.Skipped = append(total.Skipped, p)
							if !*asJSON {
								fmt.Fprintln(fs.Stderr, ProblemLine(l, p))
							}
						}
						if res.List != nil && !*asJSON {
							fmt.Fprintln(fs.Stderr, fmt.Sprintf(i18n.T(l, "intel.cli_list"), res.List.Name, res.List.Version, i18n.T(l, "intel.list_status."+res.List.Status), res.List.Entries))
						}
					})
					if *asJSON {
						json.NewEncoder(fs.Stdout).Encode(struct {
							ObjectsRead      int              `json:"objects_read"`
							IndicatorsLoaded int              `json:"indicators_loaded"`
							Skipped          []format.Problem `json:"skipped"`
						}{total.ObjectsRead, total.IndicatorsLoaded, total.Skipped})
					} else {
						fmt.Fprintln(fs.Stdout, fmt.Sprintf(i18n.T(l, "intel.cli_summary"), i18n.Number(total.ObjectsRead, l), i18n.Number(total.IndicatorsLoaded, l), i18n.Number(len(total.Skipped), l)))
					}
					var ff *filesFailed
					if errors.As(err, &ff) {
						return &cli.ExitError{Code: 1, Err: errors.New(fmt.Sprintf(i18n.T(l, "intel.cli_files_failed"), ff.Failed, ff.Total))}
					}
					return err
				}
			},
		}, {
			Name:  "lists",
			Short: "list warning lists with their status",
			Usage: "vigil intel lists --server URL --token TOKEN [--status S] [--month YYYY-MM] [--json]",
			Long: `Prints the warning lists the caller reads, newest first: id, month, version,
status (draft, published, superseded, withdrawn) and since when, entries,
name. Drafts are shown to the IT Center only.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				status := fs.String("status", "-", "", "only lists of this status: draft, published, superseded, withdrawn")
				month := fs.String("month", "-", "", "only lists of this month (YYYY-MM)")
				asJSON := fs.Bool("json", "-", false, "print the lists as JSON")
				lang := addLangFlag(fs)
				return func(ctx context.Context, args []string) error {
					if len(args) > 0 {
						return cli.UsageError("takes no arguments")
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					l := cliLang(*lang)
					q := url.Values{"limit": {"1000"}}
					if *status != "" {
						q.Set("status", *status)
					}
					if *month != "" {
						q.Set("month", *month)
					}
					var page struct {
						Items []intel.List `json:"items"`
						Total int          `json:"total"`
					}
					if err := c.Do(ctx, "GET", "/api/v1/watchlists?"+q.Encode(), "", nil, &page); err != nil {
						return err
					}
					if *asJSON {
						return json.NewEncoder(fs.Stdout).Encode(page.Items)
					}
					tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, strings.Join([]string{"ID", i18n.T(l, "intel.month"), i18n.T(l, "intel.version"), i18n.T(l, "common.status"),
						i18n.T(l, "intel.status_since"), i18n.T(l, "intel.entries"), i18n.T(l, "intel.list_name")}, "\t"))
					for _, x := range page.Items {
						fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%d\t%s\n", x.ID, monthSlash(x.Month), x.Version, i18n.T(l, "intel.list_status."+x.Status),
							i18n.FormatTime(x.StatusSince, l), x.Entries, x.Name)
					}
					return tw.Flush()
				}
			},
		}, {
			Name:  "publish",
			Short: "publish a draft warning list (the IT Center)",
			Usage: "vigil intel publish --server URL --token TOKEN ID",
			Long: `Publishes draft list ID: agents and the detection pipeline receive its
entries, matching against the inventory and stored alerts starts, and the
month's previous published version of the same list is superseded.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				lang := addLangFlag(fs)
				return func(ctx context.Context, args []string) error {
					id, err := listArg(args)
					if err != nil {
						return err
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var l intel.List
					if err := c.Do(ctx, "POST", "/api/v1/watchlists/"+id+"/publish", "", nil, &l); err != nil {
						return err
					}
					lg := cliLang(*lang)
					fmt.Fprintln(fs.Stdout, fmt.Sprintf(i18n.T(lg, "intel.cli_list"), l.Name, l.Version, i18n.T(lg, "intel.list_status."+l.Status), l.Entries))
					return nil
				}
			},
		}, {
			Name:  "export",
			Short: "export a warning list as STIX 2.1, a MISP event or CSV",
			Usage: "vigil intel export --server URL --token TOKEN --format stix|misp|csv [-o FILE] ID",
			Long: `Writes list ID's entries the caller reads as a STIX 2.1 bundle, a MISP
event (JSON) or the indicator CSV (which 'vigil detect --ioc' reads) to
FILE, or to stdout without -o.`,
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				f := fs.String("format", "-", "stix", "stix, misp or csv")
				out := fs.String("o", "-", "", "write to this file instead of stdout")
				return func(ctx context.Context, args []string) error {
					id, err := listArg(args)
					if err != nil {
						return err
					}
					if intel.CheckExportFormat(*f) != nil {
						return cli.UsageError("--format %q: want stix, misp or csv", *f)
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					w := fs.Stdout
					if *out != "" {
						file, err := os.Create(*out)
						if err != nil {
							return err
						}
						defer file.Close()
						w = file
					}
					if err := download(ctx, c, "/api/v1/watchlists/"+id+"/export?format="+url.QueryEscape(*f), w); err != nil {
						if *out != "" {
							os.Remove(*out)
						}
						return err
					}
					return nil
				}
			},
		}},
	})
}

func listArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", cli.UsageError("give the list's id")
	}
	if n, err := strconv.ParseInt(args[0], 10, 64); err != nil || n <= 0 {
		return "", cli.UsageError("%q is not a list id", args[0])
	}
	return args[0], nil
}

// addLangFlag declares --lang: the language of what the command says.
func addLangFlag(fs *cli.FlagSet) *string {
	return fs.String("lang", "-", "", "language of the output: vi or en (default: from LANG)")
}

// cliLang is the language to speak: --lang, else Vietnamese when LANG
// says so, else English.
func cliLang(flag string) string {
	switch flag {
	case "vi", "en":
		return flag
	}
	for _, v := range []string{os.Getenv("LC_ALL"), os.Getenv("LC_MESSAGES"), os.Getenv("LANG")} {
		if v != "" {
			if strings.HasPrefix(v, "vi") {
				return "vi"
			}
			return "en"
		}
	}
	return "en"
}

// refusal is the problem of a file the hub refused whole ("%s cannot be
// read: %v" with the problem as its argument), as the API sent it.
func refusal(err error) (format.Problem, bool) {
	e, ok := errs.As(err)
	if !ok {
		return format.Problem{}, false
	}
	for _, a := range e.Args {
		if p, ok := a.(format.Problem); ok {
			return p, true
		}
		m, ok := a.(map[string]any)
		if !ok || m["problem"] == nil {
			continue
		}
		b, _ := json.Marshal(m["problem"])
		var p format.Problem
		if json.Unmarshal(b, &p) == nil && p.Reason != "" {
			return p, true
		}
	}
	return format.Problem{}, false
}

// cliError is an error from the hub in lang.
func cliError(lang string, err error) string {
	if e, ok := errs.As(err); ok {
		// An import file's problem, as the API sent it, says itself.
		for i, a := range e.Args {
			if m, ok := a.(map[string]any); ok && m["problem"] != nil {
				if p, ok := refusal(&errs.Error{Args: []any{a}}); ok {
					e.Args[i] = p
				}
			}
		}
	}
	if e, ok := errs.As(err); ok && lang != "en" {
		if e.Code == errs.EINTERNAL {
			return e.Message
		}
		return i18n.ErrorText(lang, err)
	}
	return err.Error()
}

// ProblemLine is one skipped object in lang: where, field, why.
func ProblemLine(lang string, p format.Problem) string { return p.Localize(lang) }

// download GETs path and copies the answer to w.
func download(ctx context.Context, c *client.Client, path string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.Server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the hub at %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e) == nil && e.Error.Message != "" {
			return &errs.Error{Code: e.Error.Code, Message: e.Error.Message, Field: e.Error.Field}
		}
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// monthSlash writes a month (YYYY-MM) as the pages do: 12/2026.
func monthSlash(m string) string {
	if len(m) == 7 && m[4] == '-' {
		return m[5:] + "/" + m[:4]
	}
	return m
}
