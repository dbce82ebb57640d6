package dag_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps dag the domain core: it may not depend on networking,
// storage, the torrent client, the DHT or any other ttx package. Test files
// are not checked (they may use anacrolix's format packages).
func TestImports(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := func(pkg string) bool {
		switch {
		case pkg == "net", pkg == "net/http", strings.HasPrefix(pkg, "net/http/"):
			return true
		case strings.HasPrefix(pkg, "go.etcd.io/bbolt"):
			return true
		case pkg == "github.com/anacrolix/torrent", strings.HasPrefix(pkg, "github.com/anacrolix/dht"):
			return true
		case strings.HasPrefix(pkg, "github.com/torrenttx/ttx/"):
			return pkg != "github.com/torrenttx/ttx/dag"
		}
		return false
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %v", deps)
	}
	for _, pkg := range deps {
		if forbidden(pkg) {
			t.Errorf("package dag imports %s", pkg)
		}
	}
}
