package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/internal/node"
)

func TestVersion(t *testing.T) {
	out, _, err := runCmd(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	v := currentVersion()
	for _, want := range []string{"ttx " + v.Version + "\n", v.Commit, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, "ttx/" + node.Version} {
		if !strings.Contains(out, want) {
			t.Errorf("ttx version lacks %q:\n%s", want, out)
		}
	}
	// A test binary is no stamped build and has no VCS information.
	if v.Version != node.Version+"-devel" || v.Commit != "unknown" {
		t.Errorf("unstamped version %q, commit %q; want %q, unknown", v.Version, v.Commit, node.Version+"-devel")
	}
}

// TestVersionStamped builds ttx with the stamps a release build passes (not
// its -trimpath, which would rebuild every dependency) and checks that the
// link-time stamps are what ttx version prints.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ttx binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2eBuildTimeout)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "ttx")
	build := exec.CommandContext(ctx, gobin, "build", "-buildvcs=false", "-o", bin,
		"-ldflags", "-X main.version=v9.8.7 -X main.commit=0123456789abcdef0123456789abcdef01234567", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	vctx, vcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer vcancel()
	out, err := exec.CommandContext(vctx, bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v buildVersion
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	if v.Version != "v9.8.7" || v.Commit != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("stamped build says version %q, commit %q", v.Version, v.Commit)
	}
}
