package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/client"
	"vigil/internal/store"
)

// dbFlags are the flags of commands that open the database directly.
type dbFlags struct{ dataDir, database *string }

func addDBFlags(fs *cli.FlagSet) *dbFlags {
	return &dbFlags{
		dataDir:  fs.String("data-dir", "-", "./vigil-data", "directory for the embedded SQLite database and other state"),
		database: fs.String("database", "VIGIL_DATABASE_URL", "", "database URL: postgres://... for PostgreSQL; empty for SQLite in the data dir"),
	}
}

func (f *dbFlags) open(ctx context.Context) (*store.DB, error) {
	return store.Open(ctx, *f.dataDir, *f.database)
}

// apiFlags are the flags of commands that change a hub's data through its
// API, so an officer can run them from a laptop.
type apiFlags struct{ server, token *string }

func addAPIFlags(fs *cli.FlagSet) *apiFlags {
	return &apiFlags{
		server: fs.String("server", "-", "", "URL of the hub, e.g. https://vigil.example.vn"),
		token:  fs.String("token", "-", "", "API token (create one on the hub's API tokens page)"),
	}
}

func (f *apiFlags) client() (*client.Client, error) {
	c, err := client.New(*f.server, *f.token)
	if err != nil {
		return nil, cli.UsageError("%v", err)
	}
	return c, nil
}

type logFlags struct{ format, level *string }

func addLogFlags(fs *cli.FlagSet) *logFlags {
	return &logFlags{
		format: fs.String("log-format", "-", "text", "log format: text or json"),
		level:  fs.String("log-level", "-", "info", "log level: debug, info, warn, error"),
	}
}

func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*f.level)); err != nil {
		return nil, cli.UsageError("--log-level %q: want debug, info, warn or error", *f.level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch *f.format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, cli.UsageError("--log-format %q: want text or json", *f.format)
	}
	l := slog.New(h)
	slog.SetDefault(l)
	return l, nil
}

// signalContext is cancelled on SIGINT or SIGTERM.
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// isTerminal reports whether w is a terminal (progress is shown only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// printList prints what a list endpoint answers to q (at most max items):
// a table with header and one row an item, then "N of TOTAL noun" on
// stderr; or, with asJSON, the items as JSON lines.
func printList[T any](ctx context.Context, c *client.Client, fs *cli.FlagSet, path string, q url.Values, max int, asJSON bool, header, noun string, row func(tw io.Writer, x *T)) error {
	tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
	if !asJSON {
		fmt.Fprintln(tw, header)
	}
	shown, total, err := listAPI(ctx, c, path, q, max, asJSON, fs.Stdout, func(x *T) { row(tw, x) })
	if err != nil || asJSON {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(fs.Stderr, "%d of %d %s\n", shown, total, noun)
	return nil
}

// listAPI pages through a list endpoint (one answering items, total and
// next) with the query q, at most max items. With asJSON each item goes to
// w as a JSON line as the hub sent it; otherwise it is decoded into a T
// and handed to row. It returns how many items were handled and the true
// total the hub counted.
func listAPI[T any](ctx context.Context, c *client.Client, path string, q url.Values, max int, asJSON bool, w io.Writer, row func(*T)) (shown, total int, err error) {
	for shown < max {
		var page struct {
			Items []json.RawMessage `json:"items"`
			Total int               `json:"total"`
			Next  string            `json:"next"`
		}
		if err := c.Do(ctx, "GET", path+"?"+q.Encode(), "", nil, &page); err != nil {
			return shown, total, err
		}
		total = page.Total
		for _, raw := range page.Items {
			if shown >= max {
				break
			}
			shown++
			if asJSON {
				fmt.Fprintln(w, string(raw))
				continue
			}
			var x T
			if err := json.Unmarshal(raw, &x); err != nil {
				return shown, total, fmt.Errorf("%s: item %d: %w", path, shown, err)
			}
			row(&x)
		}
		if page.Next == "" {
			break
		}
		q.Set("cursor", page.Next)
	}
	return shown, total, nil
}
