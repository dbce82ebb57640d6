package dagtest

import (
	"context"
	"crypto/ed25519"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// Shape of generated transactions.
const (
	genWave      = 512  // txs planned, then signed in parallel, per wave
	genMaxIn     = 8    // most inputs of a fan-in
	genMaxFanOut = 40   // most outputs of a fan-out
	genRecent    = 4096 // spent outputs remembered for double spends
)

// Gen generates streams of valid, signed transactions over a model of each
// key's unspent outputs: chains (a new output is often spent next),
// fan-outs (up to 40 outputs), fan-ins (up to 8 inputs), burns, and a
// fraction of double spends. The same network, keys and seed always give
// the same transactions. Transactions are planned in waves and signed in
// parallel, so 100,000 take seconds.
type Gen struct {
	// DoubleSpendRate is the fraction of transactions (0 to 1) that spend
	// an output an earlier generated transaction already spent. A double
	// spend's outputs are never spent by later transactions.
	DoubleSpendRate float64

	t      testing.TB
	net    *dag.Network
	keys   []ed25519.PrivateKey
	rng    *rand.Rand
	utxos  [][]genOut // per key index
	spent  []genOut   // recently spent, for double spends
	serial int64      // makes every tx's time distinct
}

// GenTx is one generated transaction.
type GenTx struct {
	Raw []byte
	ID  dag.TxID
	// DoubleSpend is set if the transaction spends an output that an
	// earlier generated transaction spent.
	DoubleSpend bool
}

type genOut struct {
	op     dag.OutPoint
	amount dag.Amount
	key    int
}

// NewGen returns a generator for network n whose genesis outputs to keys
// (as NewNetwork makes) are the starting funds.
func NewGen(t testing.TB, n *dag.Network, keys []ed25519.PrivateKey, seed uint64) *Gen {
	g := &Gen{
		t:     t,
		net:   n,
		keys:  keys,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		utxos: make([][]genOut, len(keys)),
	}
	owner := make(map[dag.PubKey]int, len(keys))
	for i, k := range keys {
		owner[PubKey(k)] = i
	}
	for i, out := range n.Genesis.Out {
		if k, ok := owner[out.Owner]; ok {
			g.utxos[k] = append(g.utxos[k], genOut{op: GenesisOut(n, i), amount: out.Amount, key: k})
		}
	}
	return g
}

// Raws returns the bytes of the next n transactions, parents first.
func (g *Gen) Raws(n int) [][]byte {
	txs := g.Next(n)
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
	}
	return raws
}

// Next returns the next n transactions, parents first.
func (g *Gen) Next(n int) []GenTx {
	out := make([]GenTx, 0, n)
	for len(out) < n {
		plans := g.plan(min(genWave, n-len(out)))
		if len(plans) == 0 {
			g.t.Fatal("dagtest: Gen has no unspent outputs left")
		}
		txs := g.sign(plans)
		for i, pl := range plans {
			if pl.double {
				continue
			}
			for j, o := range pl.tx.Out {
				k := pl.payees[j]
				g.utxos[k] = append(g.utxos[k], genOut{op: dag.OutPoint{TxID: txs[i].ID, Index: uint32(j)}, amount: o.Amount, key: k})
			}
		}
		out = append(out, txs...)
	}
	return out
}

type genPlan struct {
	tx     *dag.Tx
	key    int
	payees []int // key index of each output
	double bool
}

// plan picks up to n transactions that spend outputs known before this
// wave: their own outputs join the model after signing.
func (g *Gen) plan(n int) []genPlan {
	var plans []genPlan
	for range n {
		if len(g.spent) > 0 && g.rng.Float64() < g.DoubleSpendRate {
			plans = append(plans, g.planDouble())
			continue
		}
		k := g.pickKey()
		if k < 0 {
			break
		}
		plans = append(plans, g.planSpend(k))
	}
	return plans
}

// pickKey returns a random key that has unspent outputs, or -1.
func (g *Gen) pickKey() int {
	start := g.rng.IntN(len(g.keys))
	for i := range g.keys {
		if k := (start + i) % len(g.keys); len(g.utxos[k]) > 0 {
			return k
		}
	}
	return -1
}

func (g *Gen) planSpend(k int) genPlan {
	nin := 1
	if g.rng.IntN(5) == 0 {
		nin = 1 + g.rng.IntN(min(genMaxIn, len(g.utxos[k])))
	}
	tx := &dag.Tx{}
	var total dag.Amount
	for range nin {
		// Half the time spend the newest output: that makes chains.
		us := g.utxos[k]
		i := len(us) - 1
		if g.rng.IntN(2) == 0 {
			i = g.rng.IntN(len(us))
		}
		u := us[i]
		us[i] = us[len(us)-1]
		g.utxos[k] = us[:len(us)-1]
		tx.Prev = append(tx.Prev, u.op.String())
		total += u.amount // the model's total never exceeds the supply
		g.remember(u)
	}
	nout := 1 + g.rng.IntN(3)
	if g.rng.IntN(10) == 0 {
		nout = 10 + g.rng.IntN(genMaxFanOut-9)
	}
	nout = int(min(dag.Amount(nout), total))
	if g.rng.IntN(3) == 0 {
		tx.Burn = dag.Amount(g.rng.Uint64N(uint64(min(total-dag.Amount(nout), 1000)) + 1))
	}
	pl := genPlan{tx: tx, key: k}
	for i, a := range g.split(total-tx.Burn, nout) {
		payee := g.rng.IntN(len(g.keys))
		if i == nout-1 && nout > 1 {
			payee = k // change
		}
		pl.payees = append(pl.payees, payee)
		tx.Out = append(tx.Out, Out(g.net, g.keys[payee], a))
	}
	return pl
}

// planDouble spends again an output an earlier transaction spent.
func (g *Gen) planDouble() genPlan {
	u := g.spent[g.rng.IntN(len(g.spent))]
	payee := g.rng.IntN(len(g.keys))
	tx := &dag.Tx{
		Prev: []string{u.op.String()},
		Out:  []dag.Output{Out(g.net, g.keys[payee], u.amount)},
		Memo: "double spend",
	}
	return genPlan{tx: tx, key: u.key, payees: []int{payee}, double: true}
}

func (g *Gen) remember(u genOut) {
	if len(g.spent) < genRecent {
		g.spent = append(g.spent, u)
	} else {
		g.spent[g.rng.IntN(genRecent)] = u
	}
}

// split divides total into n positive random parts (total >= n).
func (g *Gen) split(total dag.Amount, n int) []dag.Amount {
	parts := make([]dag.Amount, n)
	rest := total - dag.Amount(n)
	for i := range n - 1 {
		share := dag.Amount(g.rng.Uint64N(uint64(rest)/2 + 1))
		parts[i] = 1 + share
		rest -= share
	}
	parts[n-1] = 1 + rest
	return parts
}

// sign completes and signs the plans on all CPUs; the result does not
// depend on scheduling, since Ed25519 signatures are deterministic.
func (g *Gen) sign(plans []genPlan) []GenTx {
	for _, pl := range plans {
		g.serial++
		pl.tx.Version, pl.tx.Time = dag.TxVersion, Time+g.serial
	}
	out := make([]GenTx, len(plans))
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(plans); i += workers {
				raw, err := g.net.Sign(context.Background(), plans[i].tx, g.keys[plans[i].key])
				out[i], errs[i] = GenTx{Raw: raw, ID: dag.IDs(raw).ID, DoubleSpend: plans[i].double}, err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			g.t.Fatalf("dagtest: Gen: sign: %v", err)
		}
	}
	return out
}
