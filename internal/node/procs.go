package node

import (
	"os"
	"runtime"
	"sync"
)

// procsOnce makes SetProcs idempotent.
var procsOnce sync.Once

// SetProcs gives the Go scheduler one P more than it would choose (one
// per core, or per CPU of the container's limit), unless GOMAXPROCS is set
// in the environment. A process that runs nodes calls it once, before
// starting them; later calls do nothing.
//
// Why: the ledger's committer spends much of its time in fdatasync (bbolt
// syncs twice a commit), and a goroutine in a system call keeps its P until
// the runtime's monitor takes it back, which takes up to 10 ms once the
// monitor has been idle. Goroutines the commit has just woken, or that
// were queued on that P, wait meanwhile: with one P per core, a
// payment's next hop (the push to a peer, the peer's read, the
// subscriber) could wait for a stranger's fsync. docs/BENCHMARKS.md
// has what the extra P does to payments under a flood.
func SetProcs() {
	procsOnce.Do(func() {
		if os.Getenv("GOMAXPROCS") != "" {
			return
		}
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	})
}
