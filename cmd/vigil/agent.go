package main

import (
	"context"
	"encoding/json"
	"path/filepath"

	"vigil/internal/agent"
	"vigil/internal/cli"
)

func init() {
	register(&cli.Command{
		Name:  "agent",
		Short: "the endpoint agent: collect, enroll, run, scan, install, uninstall",
		Long: "The endpoint agent. 'collect' prints this machine's inventory; 'enroll' registers it\n" +
			"with a hub; 'run' reports to the hub; 'scan' looks for known-bad files, processes\n" +
			"and connections; 'install' and 'uninstall' manage the system service.",
		Subs: []*cli.Command{agentCollectCmd},
	})
}

var agentCollectCmd = &cli.Command{
	Name:  "collect",
	Short: "print this machine's inventory as JSON",
	Usage: "vigil agent collect [flags]",
	Long: "Collects this machine's inventory (OS, hardware, network, listening ports, processes,\n" +
		"accounts, software, hotfixes, security controls) and prints one JSON object on\n" +
		"stdout. No hub is needed. Executable digests are cached in the state directory\n" +
		"when it is writable.",
	Flags: func(fs *cli.FlagSet) {
		fs.String("state-dir", "VIGIL_AGENT_STATE_DIR", agent.DefaultStateDir(), "agent state directory (hash cache)")
		fs.Bool("pretty", "", false, "indent the JSON")
		fs.Bool("no-hash", "", false, "do not hash process executables")
	},
	Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
		if len(args) > 0 {
			return cli.UsageError("collect takes no arguments")
		}
		stateDir := fs.Lookup("state-dir").Value.String()
		col := &agent.Collector{Version: version}
		cacheFile := filepath.Join(stateDir, "hashes.json")
		if fs.Lookup("no-hash").Value.String() != "true" {
			col.Hashes = agent.LoadHashCache(cacheFile)
		}
		inv, err := col.Collect(ctx)
		if err != nil {
			return err
		}
		if col.Hashes != nil {
			_ = col.Hashes.Save(cacheFile) // best effort: the directory may not exist yet
		}
		enc := json.NewEncoder(fs.Stdout)
		if fs.Lookup("pretty").Value.String() == "true" {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(inv)
	},
}
