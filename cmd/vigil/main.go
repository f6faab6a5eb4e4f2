// Command vigil is the hub, the endpoint agent and the command line in one
// binary. This package only wires flags to the internal packages.
package main

import (
	"os"
	"sort"

	"vigil/internal/cli"
)

// commands is filled by init functions in this package's files, one file per
// command group.
var commands []*cli.Command

func register(c *cli.Command) { commands = append(commands, c) }

func main() {
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	root := &cli.Command{
		Name: "vigil",
		Long: "Vigil is a security-operations hub for organisations of many units:\n" +
			"the hub (web UI, API, ingest, scheduler), the endpoint agent and the command line.",
		Subs: commands,
	}
	os.Exit(cli.Main(root))
}
