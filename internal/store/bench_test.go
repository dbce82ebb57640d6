package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
)

// Benchmark sizes.
const (
	benchTxs    = 100_000   // ingested per measurement
	benchBigTxs = 1_000_000 // already stored in BenchmarkIngestBig
	benchKeys   = 100
	benchSeed   = 2
	benchChunk  = 100_000 // generated and ingested at a time when filling
	benchPairs  = 3       // empty/big measurements in BenchmarkIngestBig
)

// benchStream is a deterministic stream of signed transactions: chains,
// fan-outs and fan-ins, 10% double spends.
func benchStream(b *testing.B) (*dag.Network, *dagtest.Gen) {
	net, keys := dagtest.NewNetwork(b, benchKeys)
	gen := dagtest.NewGen(b, net, keys, benchSeed)
	gen.DoubleSpendRate = 0.1
	return net, gen
}

// ingestRaws adds raws through a Graph over s (AddBatch: signatures are
// verified on all cores, commits are grouped) and returns how long it took
// and the CPU time the process spent on it.
// It fails b if a transaction ends in an unexpected state.
func ingestRaws(b *testing.B, net *dag.Network, s dag.Store, raws [][]byte) (took, cpu time.Duration) {
	b.Helper()
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	busy := dagtest.CPUTime()
	start := time.Now()
	res, err := g.AddBatch(context.Background(), raws, "bench")
	took = time.Since(start)
	cpu = dagtest.CPUTime() - busy
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.State != dag.StateAccepted && !(r.State == dag.StateRejected && r.Err != nil) {
			b.Fatalf("tx %s ended %v (%v)", r.ID, r.State, r.Err)
		}
	}
	return took, cpu
}

func rawBytes(raws [][]byte) int64 {
	var n int64
	for _, r := range raws {
		n += int64(len(r))
	}
	return n
}

// heapPerTx reopens the store at path, touches it, and returns the heap it
// holds after GC divided by the n stored txs, and how long Open plus the
// first View took.
func heapPerTx(b *testing.B, path string, n int) (perTx float64, reopen time.Duration) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	err = s.View(func(r dag.ReadTx) error {
		if _, err := r.Digest(); err != nil {
			return err
		}
		var last *dag.Record
		if err := r.Since(uint64(n/2), func(rec *dag.Record) bool { last = rec; return false }); err != nil {
			return err
		}
		reopen = time.Since(start)
		if last == nil {
			return fmt.Errorf("no record after seq %d of %d", n/2, n)
		}
		_, err := r.Get(last.ID)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	perTx = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
	runtime.KeepAlive(s)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return perTx, reopen
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkIngest ingests 100,000 pre-signed transactions into a new store
// on disk and reports: tx/s; the Ed25519 verify rates on all cores of Go's
// crypto/ed25519 (std-verify/s), of ttx's rule one at a time
// (voi-verify/s) and in batches of 256 (batch-verify/s); the ingest rate
// over the standard library's (tx/std-verify) and over the batch rate
// (tx/batch-verify); the cores the ingest kept busy and
// its CPU time per tx, disk bytes per tx.json byte, heap bytes per stored
// tx after reopening, and the reopen time.
//
//	go test ./internal/store -run '^$' -bench BenchmarkIngest$ -benchtime 1x
func BenchmarkIngest(b *testing.B) {
	net, gen := benchStream(b)
	raws := gen.Raws(benchTxs)
	jsonBytes := rawBytes(raws)
	std, single, batched := dagtest.VerifyRates(b, net, raws, 256)
	var took, cpu time.Duration
	var path string
	for b.Loop() {
		path = filepath.Join(b.TempDir(), "ttx.db")
		s, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		t, c := ingestRaws(b, net, s, raws)
		took, cpu = took+t, cpu+c
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// The box is shared and its speed drifts: the verify rates are the
	// means of one measurement before the ingest and one after.
	std2, single2, batched2 := dagtest.VerifyRates(b, net, raws, 256)
	std, single, batched = (std+std2)/2, (single+single2)/2, (batched+batched2)/2
	rate := float64(b.N*len(raws)) / took.Seconds()
	disk := float64(fileSize(b, path)) / float64(jsonBytes)
	raws = nil
	perTx, reopen := heapPerTx(b, path, benchTxs+1)
	b.ReportMetric(rate, "tx/s")
	b.ReportMetric(cpu.Seconds()/took.Seconds(), "cores")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*benchTxs), "cpu-µs/tx")
	b.ReportMetric(std, "std-verify/s")
	b.ReportMetric(single, "voi-verify/s")
	b.ReportMetric(batched, "batch-verify/s")
	b.ReportMetric(rate/std, "tx/std-verify")
	b.ReportMetric(rate/batched, "tx/batch-verify")
	b.ReportMetric(disk, "disk/json")
	b.ReportMetric(perTx, "heapB/tx")
	b.ReportMetric(float64(reopen.Microseconds())/1000, "reopen-ms")
	b.ReportMetric(float64(jsonBytes)/benchTxs, "json-B/tx")
}

// BenchmarkIngestBig compares the ingest rate of 100,000 transactions into
// an empty store with the rate into a store that already holds 1,000,000
// (the same stream, continued), and reports the big store's disk use,
// heap per tx and reopen time. The box is shared, so it measures
// benchPairs pairs, each an empty-store ingest right before a big-store
// one (the big store grows by 100,000 each time), and reports the median
// ratio. It takes minutes, so it runs only with TTX_BENCH_BIG=1:
//
//	TTX_BENCH_BIG=1 go test ./internal/store -run '^$' -bench BenchmarkIngestBig -benchtime 1x -timeout 60m
func BenchmarkIngestBig(b *testing.B) {
	if os.Getenv("TTX_BENCH_BIG") == "" {
		b.Skip("set TTX_BENCH_BIG=1 to fill a store with 1,000,000 transactions")
	}
	for b.Loop() {
		net, gen := benchStream(b)
		dir := b.TempDir()

		// The big store: the first 1,000,000 of the stream.
		path := filepath.Join(dir, "big.db")
		big, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		first := gen.Raws(benchTxs)
		jsonBytes := rawBytes(first)
		ingestRaws(b, net, big, first)
		for done := benchTxs; done < benchBigTxs; done += benchChunk {
			raws := gen.Raws(benchChunk)
			jsonBytes += rawBytes(raws)
			ingestRaws(b, net, big, raws)
		}

		// Pairs: the first 100,000 into a new store, then the next
		// 100,000 of the stream into the big one.
		var emptyRates, bigRates, ratios []float64
		for i := range benchPairs {
			empty, err := Open(filepath.Join(dir, fmt.Sprintf("empty%d.db", i)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			took, _ := ingestRaws(b, net, empty, first)
			emptyRate := float64(len(first)) / took.Seconds()
			if err := empty.Close(); err != nil {
				b.Fatal(err)
			}
			raws := gen.Raws(benchTxs)
			jsonBytes += rawBytes(raws)
			took, _ = ingestRaws(b, net, big, raws)
			bigRate := float64(len(raws)) / took.Seconds()
			b.Logf("pair %d: empty %.0f tx/s, with %d stored %.0f tx/s: %.2f", i, emptyRate, benchBigTxs+i*benchTxs, bigRate, bigRate/emptyRate)
			emptyRates, bigRates = append(emptyRates, emptyRate), append(bigRates, bigRate)
			ratios = append(ratios, bigRate/emptyRate)
		}
		if err := big.Close(); err != nil {
			b.Fatal(err)
		}
		first = nil
		n := benchBigTxs + benchPairs*benchTxs + 1
		perTx, reopen := heapPerTx(b, path, n)
		b.ReportMetric(median(emptyRates), "empty-tx/s")
		b.ReportMetric(median(bigRates), "big-tx/s")
		b.ReportMetric(median(ratios), "big/empty")
		b.ReportMetric(float64(fileSize(b, path))/float64(jsonBytes), "disk/json")
		b.ReportMetric(perTx, "heapB/tx")
		b.ReportMetric(float64(reopen.Microseconds())/1000, "reopen-ms")
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkPut measures the store's write path alone, the part of the
// committer's cost per tx that is the store's: it reads back the records
// of 100,000 ingested transactions and stores them again, 1,024 to an
// Update (about what the committer's group commits hold under load), into
// a new file without fsync, on one goroutine. No contextual checks, no
// signature verification, so it can compare layouts and write strategies
// on a busy box: it reports µs per tx of wall time and of process CPU.
//
//	go test ./internal/store -run '^$' -bench BenchmarkPut -benchtime 1x -count 3
func BenchmarkPut(b *testing.B) {
	const chunk = 1024
	net, gen := benchStream(b)
	src, err := Open(filepath.Join(b.TempDir(), "src.db"), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ingestRaws(b, net, src, gen.Raws(benchTxs))
	type item struct {
		p   *dag.Parsed
		rec dag.Record
	}
	var items []item
	err = src.View(func(r dag.ReadTx) error {
		return r.Since(0, func(rec *dag.Record) bool {
			p, err := dag.Decode(rec.Raw)
			if err != nil {
				b.Fatal(err)
			}
			items = append(items, item{p, *rec})
			return true
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := src.Close(); err != nil {
		b.Fatal(err)
	}
	var took, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s, err := Open(filepath.Join(b.TempDir(), "ttx.db"), Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		busy := dagtest.CPUTime()
		start := time.Now()
		for i := 0; i < len(items); i += chunk {
			err := s.Update(func(w dag.WriteTx) error {
				for _, it := range items[i:min(i+chunk, len(items))] {
					rec := it.rec
					if rec.State != dag.StateRejected {
						rec.State = dag.StateAccepted
					}
					if err := w.Put(it.p, &rec); err != nil {
						return err
					}
					// A pair is added when its second side is stored.
					for _, c := range rec.Conflicts {
						if err := w.AddConflict(it.p.ID, c); err != nil && !errors.Is(err, dag.ErrNotFound) {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		took += time.Since(start)
		cpu += dagtest.CPUTime() - busy
		b.StopTimer()
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	n := float64(b.N * len(items))
	b.ReportMetric(float64(took.Nanoseconds())/n/1000, "µs/tx")
	b.ReportMetric(float64(cpu.Nanoseconds())/n/1000, "cpu-µs/tx")
}
