package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"vigil/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register(&cli.Command{
		Name:  "version",
		Short: "print the version of this binary",
		Run: func(ctx context.Context, fs *cli.FlagSet, args []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						rev = " (" + s.Value[:12] + ")"
					}
				}
			}
			fmt.Fprintf(fs.Stdout, "vigil %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	})
}
