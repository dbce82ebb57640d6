package proofs

import (
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/vote"
	"github.com/torrenttx/ttx/vote/votetest"
)

// benchLedger stores n generated transactions (chains, fan-ins, fan-outs,
// 2% double spends) and returns the last accepted one's ID.
func benchLedger(b *testing.B, n int) (*dag.Network, *dag.MemStore, dag.TxID) {
	net, keys := dagtest.NewNetwork(b, 8)
	st := dag.NewMemStore()
	b.Cleanup(func() { st.Close() })
	g := dagtest.NewGraph(b, dag.GraphConfig{Network: net, Store: st})
	gen := dagtest.NewGen(b, net, keys, 1)
	gen.DoubleSpendRate = 0.02
	res, err := g.AddBatch(b.Context(), gen.Raws(n), "bench")
	if err != nil {
		b.Fatal(err)
	}
	var id dag.TxID
	for _, r := range res {
		if r.State.Accepted() {
			id = r.ID
		}
	}
	return net, st, id
}

func export(b *testing.B, net *dag.Network, st *dag.MemStore, id dag.TxID) []byte {
	var proof []byte
	if err := st.View(func(r dag.ReadTx) (err error) {
		proof, err = Export(net, r, id, []string{"127.0.0.1:6881"})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return proof
}

// BenchmarkVerify verifies the proof of the last of 5,000 generated
// transactions; its ancestry is most of the ledger.
func BenchmarkVerify(b *testing.B) {
	net, st, id := benchLedger(b, 5000)
	proof := export(b, net, st, id)
	b.SetBytes(int64(len(proof)))
	var p *Proof
	for b.Loop() {
		var err error
		if p, err = Verify(proof, net); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.Raws())), "txs/proof")
	b.ReportMetric(float64(len(proof)), "bytes/proof")
}

// BenchmarkExport exports that proof from the ledger.
func BenchmarkExport(b *testing.B) {
	net, st, id := benchLedger(b, 5000)
	for b.Loop() {
		export(b, net, st, id)
	}
}

// BenchmarkVerifyCertificates verifies the fixture's proof of c, which
// carries the certificates of d and c at the default K of 20 (20 node
// keys, one signed vote each per input), and reports their share of the
// proof's bytes.
func BenchmarkVerifyCertificates(b *testing.B) {
	f := newFixture(b)
	voters := votetest.Keys(vote.DefaultK)
	var certBytes int
	err := f.store.Update(func(w dag.WriteTx) error {
		for _, p := range []*dag.Parsed{f.d, f.c} {
			cert := votetest.Encode(b, votetest.Certificate(b, f.net.ID, voters, p, p.ID, vote.DefaultK))
			certBytes += len(cert)
			if err := w.PutCertificate(p.ID, cert); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	proof := f.export(b, f.c.ID)
	b.SetBytes(int64(len(proof)))
	for b.Loop() {
		p, err := Verify(proof, f.net)
		if err != nil || !p.Final || p.Certificate.Keys != vote.DefaultK {
			b.Fatalf("verify: %v", err)
		}
	}
	b.ReportMetric(float64(len(proof)), "bytes/proof")
	b.ReportMetric(float64(certBytes), "cert-bytes/proof")
}
