package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/torrenttx/ttx/internal/node"
)

// version and commit are stamped at link time by a release build
// (.ci/release):
//
//	go build -ldflags "-X main.version=v0.2.0 -X main.commit=<git hash>" ./cmd/ttx
//
// Left empty, ttx version takes them from the build information the Go
// toolchain records: the module version of a go install …@v0.2.0, the VCS
// revision of a build in a git checkout.
var (
	version string
	commit  string
)

const versionUsage = `Usage: ttx version [flags]

Prints the version of this ttx binary, the commit it was built from, the
Go toolchain and the platform, and the agent string peers see.

Example:
  ttx version
`

// buildVersion is what ttx version prints.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Agent    string `json:"agent"`
}

// currentVersion returns the binary's version: the link-time stamps, else
// the build information, else the node's version marked as a development
// build.
func currentVersion() buildVersion {
	v := buildVersion{Version: version, Commit: commit, Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Agent: "ttx/" + node.Version}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if v.Commit == "" && rev != "" {
			v.Commit = rev
			if dirty {
				v.Commit += "-dirty"
			}
		}
	}
	if v.Version == "" {
		v.Version = node.Version + "-devel"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

func runVersion(e *env, args []string) error {
	fs := newFlagSet("version")
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := e.parse(fs, args, versionUsage, 0); help || err != nil {
		return err
	}
	v := currentVersion()
	if *asJSON {
		return e.printJSON(v)
	}
	fmt.Fprintf(e.stdout, "ttx %s\n", v.Version)
	tw := e.table()
	fmt.Fprintf(tw, "  commit\t%s\n  go\t%s %s\n  agent\t%s\n", v.Commit, v.Go, v.Platform, v.Agent)
	return tw.Flush()
}
