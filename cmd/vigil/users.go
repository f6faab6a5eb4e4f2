package main

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"vigil/internal/cli"
	"vigil/internal/org"
)

// usersPageSize is how many users `users list` asks for at a time; it
// follows the answers' next cursors to the end.
var usersPageSize = 1000

func init() {
	register(&cli.Command{
		Name:  "users",
		Short: "manage the people who use Vigil",
		Subs: []*cli.Command{
			{
				Name:  "list",
				Short: "list users in your scope",
				Usage: "vigil users list --server URL --token TOKEN [--unit CODE] [--role ROLE] [--query TEXT]",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					unit := fs.String("unit", "-", "", "only users of this unit")
					role := fs.String("role", "-", "", "only users with this role")
					query := fs.String("query", "-", "", "accent-insensitive search on name and e-mail")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						tw := tabwriter.NewWriter(fs.Stdout, 2, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tUNIT\tSTATUS")
						cursor := ""
						for {
							q := url.Values{"limit": {strconv.Itoa(usersPageSize)}}
							for k, v := range map[string]string{"unit": *unit, "role": *role, "q": *query, "cursor": cursor} {
								if v != "" {
									q.Set(k, v)
								}
							}
							var page struct {
								Items []org.User `json:"items"`
								Next  string     `json:"next"`
							}
							if err := c.Do(ctx, "GET", "/api/v1/users?"+q.Encode(), "", nil, &page); err != nil {
								return err
							}
							for _, u := range page.Items {
								status := "active"
								if u.Disabled {
									status = "disabled"
								} else if u.Locked {
									status = "locked"
								}
								fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Unit, status)
							}
							if page.Next == "" {
								break
							}
							cursor = page.Next
						}
						return tw.Flush()
					}
				},
			},
			{
				Name:  "create",
				Short: "create a user",
				Usage: "vigil users create --server URL --token TOKEN --email E --name N --role ROLE --unit CODE",
				Long:  "The password is read from the first line of standard input (so it stays out of shell history).",
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					af := addAPIFlags(fs)
					email := fs.String("email", "-", "", "e-mail address (the login)")
					name := fs.String("name", "-", "", "full name")
					role := fs.String("role", "-", "viewer", "admin, analyst, officer or viewer")
					unit := fs.String("unit", "-", "", "unit code")
					return func(ctx context.Context, args []string) error {
						c, err := af.client()
						if err != nil {
							return err
						}
						pw, err := readSecretLine(fs)
						if err != nil {
							return err
						}
						var u org.User
						if err := c.Do(ctx, "POST", "/api/v1/users", "", org.UserInput{Email: *email, Name: *name, Role: *role, Unit: *unit, Password: pw}, &u); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "created user %d %s (%s in %s)\n", u.ID, u.Email, u.Role, u.Unit)
						return nil
					}
				},
			},
			{
				Name:  "reset-password",
				Short: "set a user's password directly in the database (maintenance)",
				Usage: "vigil users reset-password [--data-dir DIR | --database URL] EMAIL",
				Long: `For an administrator locked out of the hub: sets the password of EMAIL,
clears its lockout, enables it and ends its sessions. The password is read
from the first line of standard input. Recorded in the audit log.`,
				Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
					dbf := addDBFlags(fs)
					return func(ctx context.Context, args []string) error {
						if len(args) != 1 {
							return cli.UsageError("give the user's e-mail")
						}
						pw, err := readSecretLine(fs)
						if err != nil {
							return err
						}
						db, err := dbf.open(ctx)
						if err != nil {
							return err
						}
						defer db.Close()
						if err := db.CheckSchema(ctx); err != nil {
							return err
						}
						if err := org.ResetPassword(ctx, db, args[0], pw); err != nil {
							return err
						}
						fmt.Fprintf(fs.Stdout, "password of %s reset\n", args[0])
						return nil
					}
				},
			},
		},
	})
}

func readSecretLine(fs *cli.FlagSet) (string, error) {
	if isTerminal(fs.Stderr) {
		fmt.Fprint(fs.Stderr, "password: ")
	}
	line, err := bufio.NewReader(fs.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil {
			return "", cli.UsageError("no password on standard input")
		}
		return "", cli.UsageError("empty password")
	}
	return line, nil
}
