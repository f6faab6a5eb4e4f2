package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/client"
	"vigil/internal/natreport"
)

// `vigil report`: the national incident reports (Mẫu 03, 04, 05 of
// Circular 20/2017) from the command line, through the hub's API: list,
// draft, fill, submit, approve, send, download as PDF/DOCX/JSON/text, the
// six-monthly summary, and the reporting settings.
func init() {
	idCmd := func(name, short, action string) *cli.Command {
		return &cli.Command{
			Name:  name,
			Short: short,
			Usage: "vigil report " + name + " --server URL --token TOKEN REPORT_ID" + map[string]string{"return": " --note TEXT", "send": " [--to ADDRESS]..."}[action],
			Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
				af := addAPIFlags(fs)
				note := fs.String("note", "", "", "what to change (return)")
				to := fs.Strings("to", "extra e-mail recipient (send; repeatable)")
				return func(ctx context.Context, args []string) error {
					id, err := reportID(args)
					if err != nil {
						return err
					}
					c, err := af.client()
					if err != nil {
						return err
					}
					var body any
					switch action {
					case "return":
						body = map[string]string{"note": *note}
					case "send":
						body = map[string]any{"to": []string(*to)}
					}
					var r natreport.Report
					if err := c.Do(ctx, "POST", "/api/v1/reports/"+id+"/"+action, "", body, &r); err != nil {
						return err
					}
					printReport(fs.Stdout, &r)
					return nil
				}
			},
		}
	}
	register(&cli.Command{
		Name:  "report",
		Short: "national incident reports (Mẫu 03, 04, 05): draft, fill, approve, send, download as PDF/DOCX/JSON/text; the monthly technical report (report monthly)",
		Long: "A case's initial report (Mẫu 03) and final report (Mẫu 04), and a unit's six-monthly / annual summary (Mẫu 05),\n" +
			"filled from the case and the unit's reporting profile. A report is drafted, filled (report set), submitted,\n" +
			"approved (which numbers it) and sent through the outbox; an edit after approval makes a new version.",
		Subs: []*cli.Command{
			monthlyCommand(), // the monthly technical security report (monthly.go)
			{
				Name:  "list",
				Short: "list the reports in your scope, newest first",
				Usage: "vigil report list --server URL --token TOKEN [--form F] [--status S] [--unit CODE] [--case ID] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					form := fs.String("form", "", "", "initial, final or summary")
					status := fs.String("status", "", "", "draft, review or approved")
					unit := fs.String("unit", "", "", "a unit code (with the units under it)")
					caseID := fs.String("case", "", "", "a case id")
					asJSON := fs.Bool("json", "", false, "print JSON lines")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						q := url.Values{"limit": {"500"}}
						for k, v := range map[string]string{"form": *form, "status": *status, "unit": *unit, "case": *caseID} {
							if v != "" {
								q.Set(k, v)
							}
						}
						var page struct {
							Items []json.RawMessage `json:"items"`
							Total int               `json:"total"`
						}
						if err := c.Do(ctx, "GET", "/api/v1/reports?"+q.Encode(), "", nil, &page); err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						if !*asJSON {
							fmt.Fprintln(tw, "ID\tNUMBER\tFORM\tUNIT\tCASE/PERIOD\tVERSION\tSTATUS\tSENT")
						}
						for _, raw := range page.Items {
							if *asJSON {
								fmt.Fprintln(fs.Stdout, string(raw))
								continue
							}
							var r natreport.Report
							if err := json.Unmarshal(raw, &r); err != nil {
								return err
							}
							what := r.PeriodFrom + ".." + r.PeriodTo
							if r.CaseID > 0 {
								what = "case " + strconv.FormatInt(r.CaseID, 10)
							}
							sent := "-"
							if !r.SentAt.IsZero() {
								sent = reportTime(r.SentAt.String())
							}
							fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, orDash(r.Number), r.Form, r.Unit, what, r.Version, r.Status, sent)
						}
						if *asJSON {
							return nil
						}
						if err := tw.Flush(); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stderr, "%d of %d reports\n", len(page.Items), page.Total)
						return nil
					}
				},
			},
			{
				Name:  "show",
				Short: "show a report: its state, the fields still to fix, and the filled form as text",
				Usage: "vigil report show --server URL --token TOKEN REPORT_ID [--version N] [--json]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					version := fs.Int("version", "", 0, "a version (default the latest)")
					asJSON := fs.Bool("json", "", false, "print the report as JSON")
					return func(ctx context.Context, args []string) error {
						id, err := reportID(args)
						if err != nil {
							return err
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						q := ""
						if *version > 0 {
							q = "?version=" + strconv.Itoa(*version)
						}
						var raw json.RawMessage
						if err := c.Do(ctx, "GET", "/api/v1/reports/"+id+q, "", nil, &raw); err != nil {
							return err
						}
						if *asJSON {
							fmt.Fprintln(fs.Stdout, string(raw))
							return nil
						}
						var r natreport.Report
						if err := json.Unmarshal(raw, &r); err != nil {
							return err
						}
						printReport(fs.Stdout, &r)
						text, err := reportText(ctx, c, "/api/v1/reports/"+id+"/document?format=text"+strings.Replace(q, "?", "&", 1))
						if err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "\n%s", text)
						return nil
					}
				},
			},
			{
				Name:  "draft",
				Short: "draft a case's initial or final report, filled from the case and the unit's profile",
				Usage: "vigil report draft --server URL --token TOKEN --case ID --form initial|final",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					caseID := fs.String("case", "", "", "the case's id")
					form := fs.String("form", "", "initial", "initial (Mẫu 03) or final (Mẫu 04)")
					return func(ctx context.Context, args []string) error {
						if *caseID == "" {
							return cli.UsageError("give the case: --case ID")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var r natreport.Report
						if err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(*caseID)+"/reports", "", map[string]string{"form": *form}, &r); err != nil {
							return err
						}
						printReport(fs.Stdout, &r)
						return nil
					}
				},
			},
			{
				Name:  "set",
				Short: "change a report's fields: key=value arguments (an approved report gets a new version)",
				Usage: "vigil report set --server URL --token TOKEN REPORT_ID key=value...",
				Long:  "Keys are the form's fields (vigil report show REPORT_ID --json lists them); choices take codes, several separated by commas\n(detection=monitoring,other notified=owner,vncert). A value @FILE reads the file.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					return func(ctx context.Context, args []string) error {
						if len(args) < 2 {
							return cli.UsageError("give the report's id and at least one key=value")
						}
						id, err := reportID(args[:1])
						if err != nil {
							return err
						}
						fields := map[string]string{}
						for _, a := range args[1:] {
							k, v, ok := strings.Cut(a, "=")
							if !ok || k == "" {
								return cli.UsageError("%q is not key=value", a)
							}
							if strings.HasPrefix(v, "@") {
								b, err := os.ReadFile(v[1:])
								if err != nil {
									return err
								}
								v = string(b)
							}
							fields[k] = v
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var r natreport.Report
						if err := c.Do(ctx, "PATCH", "/api/v1/reports/"+id, "", map[string]any{"fields": fields}, &r); err != nil {
							return err
						}
						printReport(fs.Stdout, &r)
						return nil
					}
				},
			},
			idCmd("refill", "fill the fields a draft left empty from the case again (a summary is recounted)", "refill"),
			idCmd("submit", "submit a draft with no field left to fix for approval", "submit"),
			idCmd("return", "send a report in review back to draft with a note", "return"),
			idCmd("approve", "approve a report in review (the first approval numbers it)", "approve"),
			idCmd("send", "hand an approved report to the outbox (e-mail with PDF and DOCX, JSON over HTTP)", "send"),
			{
				Name:  "download",
				Short: "write a report as PDF, DOCX, JSON or text",
				Usage: "vigil report download --server URL --token TOKEN (REPORT_ID | --case ID --form initial|final | --summary --from YYYY-MM --to YYYY-MM [--unit CODE]) [--format pdf|docx|json|text] [--out FILE]",
				Long:  "Without --out the file is written to the current directory under the report's name; --out - writes to standard output.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					caseID := fs.String("case", "", "", "a case's id (with --form)")
					form := fs.String("form", "", "initial", "initial or final (with --case)")
					summary := fs.Bool("summary", "", false, "the summary (Mẫu 05) of --from..--to")
					from := fs.String("from", "", "", "first month of the summary, YYYY-MM")
					to := fs.String("to", "", "", "last month of the summary, YYYY-MM")
					unit := fs.String("unit", "", "", "the summary's unit (default yours)")
					format := fs.String("format", "", "pdf", "pdf, docx, json or text")
					version := fs.Int("version", "", 0, "a version of REPORT_ID (default the latest)")
					out := fs.String("out", "", "", "the file to write (- for standard output)")
					return func(ctx context.Context, args []string) error {
						q := url.Values{"format": {*format}}
						var path string
						switch {
						case *summary:
							path = "/api/v1/reports/summary"
							q.Set("from", *from)
							q.Set("to", *to)
							if *unit != "" {
								q.Set("unit", *unit)
							}
						case *caseID != "":
							path = "/api/v1/incidents/" + url.PathEscape(*caseID) + "/report"
							q.Set("form", *form)
						default:
							id, err := reportID(args)
							if err != nil {
								return err
							}
							path = "/api/v1/reports/" + id + "/document"
							if *version > 0 {
								q.Set("version", strconv.Itoa(*version))
							}
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						return saveDownload(ctx, c, fs, path+"?"+q.Encode(), *out, "report."+strings.Replace(*format, "text", "txt", 1))
					}
				},
			},
			{
				Name:  "summary",
				Short: "show the six-monthly / annual summary (Mẫu 05) of a unit, or save it as a draft",
				Usage: "vigil report summary --server URL --token TOKEN --from YYYY-MM --to YYYY-MM [--unit CODE] [--draft]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					from := fs.String("from", "", "", "first month, YYYY-MM")
					to := fs.String("to", "", "", "last month, YYYY-MM")
					unit := fs.String("unit", "", "", "the unit (default yours)")
					draft := fs.Bool("draft", "", false, "save the summary as a draft to approve and send")
					return func(ctx context.Context, args []string) error {
						if *from == "" {
							return cli.UsageError("give the period: --from YYYY-MM --to YYYY-MM")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						if *draft {
							var r natreport.Report
							if err := c.Do(ctx, "POST", "/api/v1/reports/summary", "", map[string]string{"from": *from, "to": *to, "unit": *unit}, &r); err != nil {
								return err
							}
							printReport(fs.Stdout, &r)
							return nil
						}
						q := url.Values{"from": {*from}, "to": {*to}, "format": {"text"}}
						if *unit != "" {
							q.Set("unit", *unit)
						}
						text, err := reportText(ctx, c, "/api/v1/reports/summary?"+q.Encode())
						if err != nil {
							return err
						}
						fmt.Fprint(fs.Stdout, text)
						return nil
					}
				},
			},
			{
				Name:  "profile",
				Short: "show a unit's reporting profile, or change it with key=value arguments",
				Usage: "vigil report profile --server URL --token TOKEN [--unit CODE] [key=value...]",
				Long:  "Keys: org_name address phone email owner_body member_code isp security_provider contact_id contact_name contact_position\ncontact_phone contact_email signer_name signer_title number_prefix.",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "", "", "the unit (default yours)")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						path := "/api/v1/reporting/profile"
						if *unit != "" {
							path += "?unit=" + url.QueryEscape(*unit)
						}
						var pr map[string]any
						if err := c.Do(ctx, "GET", path, "", nil, &pr); err != nil {
							return err
						}
						if len(args) > 0 {
							for _, a := range args {
								k, v, ok := strings.Cut(a, "=")
								if _, known := pr[k]; !ok || !known {
									return cli.UsageError("%q is not key=value with a profile key", a)
								}
								if k == "contact_id" {
									n, err := strconv.ParseInt(v, 10, 64)
									if err != nil {
										return cli.UsageError("contact_id is a number")
									}
									pr[k] = n
								} else {
									pr[k] = v
								}
							}
							if err := c.Do(ctx, "PUT", path, "", pr, &pr); err != nil {
								return err
							}
						}
						b, _ := json.MarshalIndent(pr, "", "  ")
						fmt.Fprintln(fs.Stdout, string(b))
						return nil
					}
				},
			},
			{
				Name:  "options",
				Short: "show an option list (status, detection, recipient) or replace it from a file (the IT Center)",
				Usage: "vigil report options --server URL --token TOKEN KIND [--file FILE]",
				Long:  "The file has one option a line: code | Vietnamese label | English label | text (the last marks an option taking a text).",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					file := fs.String("file", "", "", "replace the list with this file's options")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return cli.UsageError("give the list: status, detection or recipient")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						var res struct {
							Items []natreport.Option `json:"items"`
						}
						if *file != "" {
							f, err := os.Open(*file)
							if err != nil {
								return err
							}
							opts, err := natreport.ParseOptions(f)
							f.Close()
							if err != nil {
								return fmt.Errorf("%s: %w", *file, err)
							}
							if err := c.Do(ctx, "PUT", "/api/v1/reporting/options/"+url.PathEscape(args[0]), "", map[string]any{"options": opts}, &res); err != nil {
								return err
							}
						} else if err := c.Do(ctx, "GET", "/api/v1/reporting/options/"+url.PathEscape(args[0]), "", nil, &res); err != nil {
							return err
						}
						fmt.Fprint(fs.Stdout, natreport.FormatOptions(res.Items))
						return nil
					}
				},
			},
			{
				Name:  "template",
				Short: "print a form's words (initial, final, summary) as key = text lines, or change them from a file (the IT Center)",
				Usage: "vigil report template --server URL --token TOKEN FORM [--file FILE]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					file := fs.String("file", "", "", "set the words this file gives (key = text lines)")
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return cli.UsageError("give the form: initial, final or summary")
						}
						c, err := af.client()
						if err != nil {
							return err
						}
						path := "/api/v1/reporting/templates/" + url.PathEscape(args[0])
						if *file != "" {
							f, err := os.Open(*file)
							if err != nil {
								return err
							}
							err = c.Do(ctx, "PUT", path, "text/plain; charset=utf-8", f, nil)
							f.Close()
							if err != nil {
								return err
							}
						}
						text, err := reportText(ctx, c, path+"?format=text")
						if err != nil {
							return err
						}
						fmt.Fprint(fs.Stdout, text)
						return nil
					}
				},
			},
		},
	})
}

func reportID(args []string) (string, error) {
	if len(args) != 1 {
		return "", cli.UsageError("give the report's id")
	}
	if n, err := strconv.ParseInt(args[0], 10, 64); err != nil || n <= 0 {
		return "", cli.UsageError("%q is not a report id (a number; see vigil report list)", args[0])
	}
	return args[0], nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func reportTime(s string) string { return strings.SplitN(s, ".", 2)[0] }

func printReport(w io.Writer, r *natreport.Report) {
	what := fmt.Sprintf("case %d", r.CaseID)
	if r.CaseID == 0 {
		what = r.Unit + " " + r.PeriodFrom + ".." + r.PeriodTo
	}
	fmt.Fprintf(w, "report %d: %s of %s, number %s, version %d, %s\n", r.ID, r.Form, what, orDash(r.Number), r.Version, r.Status)
	if !r.ApprovedAt.IsZero() {
		fmt.Fprintf(w, "approved by %s at %s\n", r.ApprovedBy, reportTime(r.ApprovedAt.String()))
	}
	if !r.SentAt.IsZero() {
		fmt.Fprintf(w, "sent by %s at %s\n", r.SentBy, reportTime(r.SentAt.String()))
	}
	if r.Note != "" {
		fmt.Fprintf(w, "sent back: %s\n", r.Note)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  to fix: %s: %s\n", p.Field, p.Reason)
	}
}

// saveDownload GETs a document and writes it to out: "-" is standard
// output, "" the file name the hub gives (or fallback).
func saveDownload(ctx context.Context, c *client.Client, fs *cli.FlagSet, path, out, fallback string) error {
	body, name, err := downloadFile(ctx, c, path)
	if err != nil {
		return err
	}
	if out == "-" {
		_, err := fs.Stdout.Write(body)
		return err
	}
	if out != "" {
		name = out
	}
	if name == "" {
		name = fallback
	}
	if err := os.WriteFile(name, body, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(fs.Stdout, "wrote %s (%d bytes)\n", name, len(body))
	return nil
}

// downloadFile GETs a document as bytes, with the file name the hub gives.
func downloadFile(ctx context.Context, c *client.Client, path string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.Server+path, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("cannot reach the hub at %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Message, Field string } `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			if e.Error.Field != "" && !strings.Contains(e.Error.Message, e.Error.Field) {
				return nil, "", fmt.Errorf("%s: %s", e.Error.Field, e.Error.Message)
			}
			return nil, "", fmt.Errorf("%s", e.Error.Message)
		}
		return nil, "", fmt.Errorf("hub answered %s", resp.Status)
	}
	name := ""
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"]
	}
	return body, name, nil
}

func reportText(ctx context.Context, c *client.Client, path string) (string, error) {
	b, _, err := downloadFile(ctx, c, path)
	return string(b), err
}
