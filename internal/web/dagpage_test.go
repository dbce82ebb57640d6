package web_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/wallet"
)

// TestBrowserMixedDAG draws the DAG page of a ledger whose latest 100
// transactions mix every state a lone node holds: accepted payments, and
// double spends whose first-seen side is conflicted and whose second side
// is rejected, with children on both sides.
func TestBrowserMixedDAG(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	br := startBrowser(t)
	const accepted, races = 36, 32
	funds := make([]dag.Amount, accepted+races)
	for i := range funds {
		funds[i] = 100 * dag.Unit
	}
	net, keys := testNetwork(t, funds...)
	n, _ := startNode(t, ctx, net, keys[0])
	coin := func(i int) []wallet.Coin {
		return []wallet.Coin{{OutPoint: dag.OutPoint{TxID: net.ID, Index: uint32(i)}, Amount: 100 * dag.Unit}}
	}
	states := map[dag.TxID]string{}
	var pairs [][2]dag.TxID
	for i := range accepted {
		id := addTx(t, ctx, n, signSend(t, ctx, net, keys[i], coin(i), keys[(i+1)%len(keys)].PubKey(), dag.Amount(i+1)*dag.Unit, fmt.Sprint("pay ", i)))
		states[id] = "accepted"
	}
	for i := accepted; i < accepted+races; i++ {
		first := addTx(t, ctx, n, signSend(t, ctx, net, keys[i], coin(i), keys[0].PubKey(), 10*dag.Unit, "first"))
		second := addTx(t, ctx, n, signSend(t, ctx, net, keys[i], coin(i), keys[1].PubKey(), 20*dag.Unit, "second"))
		states[first], states[second] = "conflicted", "rejected"
		pairs = append(pairs, [2]dag.TxID{first, second})
	}
	if got := len(states); got != accepted+2*races {
		t.Fatalf("%d distinct txs, want %d", got, accepted+2*races)
	}
	p := br.newTab(ctx)
	p.navigate(n.APIURL() + "/dag")
	p.waitFor("the mixed DAG drawn", `document.querySelectorAll('#dag-svg a.nodelink').length === 100`)
	for id, st := range states {
		if !p.exists(`#dag-svg a[data-id="` + id.String() + `"][data-state="` + st + `"]`) {
			t.Errorf("tx %s is not drawn as %s", id, st)
		}
	}
	var links int
	if err := p.eval(`document.querySelectorAll('#dag-svg .conflict-link').length`, &links); err != nil || links != races {
		t.Errorf("%d double-spend links drawn (%v), want %d", links, err, races)
	}
	// A graph, not a strip: the 100 boxes wrap onto rows of at most six,
	// and the two sides of each double spend sit side by side.
	var width float64
	if err := p.eval(`+document.querySelector('#dag-svg').getAttribute('width')`, &width); err != nil || width > 2*24+6*176+5*22 {
		t.Errorf("the DAG is %v px wide (%v), want at most six boxes across", width, err)
	}
	for _, pr := range pairs {
		var gap string
		expr := `(() => { const at = (id) => document.querySelector('#dag-svg a[data-id="' + id + '"] g.node').getAttribute('transform');
			return at("` + pr[0].String() + `") + " | " + at("` + pr[1].String() + `"); })()`
		if err := p.eval(expr, &gap); err != nil {
			t.Fatal(err)
		}
		var x0, y0, x1, y1 float64
		if _, err := fmt.Sscanf(gap, "translate(%g %g) | translate(%g %g)", &x0, &y0, &x1, &y1); err != nil || y0 != y1 || math.Abs(x1-x0) != 176+22 {
			t.Errorf("double spend %s / %s drawn at %q, want side by side", pr[0], pr[1], gap)
		}
	}
	br.checkProblems()
}
