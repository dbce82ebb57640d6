//go:build unix

package ttxtest_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

// addAll adds raws to the named node in batches of 10,000 and checks that
// every one was accepted.
func addAll(b *testing.B, n *ttxtest.Network, at string, raws [][]byte) {
	b.Helper()
	for chunk := range slices.Chunk(raws, 10_000) {
		results, err := n.Node(at).Graph().AddBatch(context.Background(), chunk, "bench")
		if err != nil {
			b.Fatalf("add to %s: %v", at, err)
		}
		for _, r := range results {
			if r.State != dag.StateAccepted {
				b.Fatalf("add %s to %s: %s (%v)", r.ID, at, r.State, r.Err)
			}
		}
	}
}

// BenchmarkColdSync: node a holds bigLedger transactions (added before the
// timer starts); a fresh node b connects to it. The time is from the
// Connect call until both hold the same set (equal digests), by catch-up
// sync alone. sync/ingest is the sync's rate over the rate at which a
// ingested the same transactions locally in the same run.
//
// With TTX_BENCH_SYNC_PROFILE=file it writes a CPU profile of the sync.
func BenchmarkColdSync(b *testing.B) {
	n := ttxtest.NewNetwork(b, "a", "b")
	raws := dagtest.NewGen(b, n.Net, n.Keys(), 3).Raws(bigLedger)
	ingestStart := time.Now()
	addAll(b, n, "a", raws)
	ingest := time.Since(ingestStart)
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0, start := dagtest.CPUTime(), time.Now()
	n.Connect("b", "a")
	n.WaitConverged(benchWait)
	took := time.Since(start)
	b.StopTimer()
	pprof.StopCPUProfile()
	reportCPU(b, cpu0, took, bigLedger, 2)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(took.Seconds(), "sync-s")
	b.ReportMetric(bigLedger/took.Seconds(), "tx/s")
	b.ReportMetric(ingest.Seconds()/took.Seconds(), "sync/ingest")
}

// BenchmarkMemory: what one node holding bigLedger transactions keeps on
// the Go heap, and its store's size on disk. Nodes share the test process,
// so the heap is measured as differences of HeapAlloc, each after two GCs:
// with the node stopped (the base), once it started empty, and once it
// holds the transactions (generated after the start, added, then dropped
// by the benchmark). The bbolt file is mapped, not on the heap: its size
// is reported apart.
func BenchmarkMemory(b *testing.B) {
	n := ttxtest.NewNetwork(b, "a")
	n.Stop("a")
	base := heapAlloc()
	b.ResetTimer()
	n.Start("a")
	empty := heapAlloc()
	addAll(b, n, "a", dagtest.NewGen(b, n.Net, n.Keys(), 4).Raws(bigLedger))
	full := heapAlloc()
	b.StopTimer()
	fi, err := os.Stat(filepath.Join(n.DataDir("a"), node.StoreFile))
	if err != nil {
		b.Fatal(err)
	}
	mib := func(from, to uint64) float64 { return float64(int64(to)-int64(from)) / (1 << 20) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mib(base, empty), "heap-empty-MiB")
	b.ReportMetric(mib(base, full), "heap-MiB")
	b.ReportMetric(float64(fi.Size())/(1<<20), "store-MiB")
	b.ReportMetric(float64(fi.Size())/bigLedger, "store-B/tx")
}

// heapAlloc returns the live heap after two full collections (the second
// frees what finalizers of the first released).
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
