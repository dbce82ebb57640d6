package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/genesis"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/store"
	"github.com/torrenttx/ttx/internal/ttxtest"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
)

// killRounds is how many double spends TestKillMidVote settles with a
// node killed in the middle of each.
const killRounds = 4

// TestKillMidVote runs a 3-node devnet and a fourth node B (ttx start, an
// encrypted wallet, DHT off, the devnet as its only peers), all on
// 127.0.0.1. In each round a payer funded by the devnet signs two spends of
// one coin; the two sides enter at B and at a devnet node at the same
// moment, each as an imported proof, and B is killed with SIGKILL while its
// vote on them is open (it holds a side, and neither side is final there).
// Restarted on the same data dir, B opens its store, reconnects and
// converges: every node holds the same side final and the other rejected,
// the digests are equal, and every transaction B held as final before the
// kill is still final. At the end B's store passes the ledger invariants.
func TestKillMidVote(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ttx binary; skipped with -short")
	}
	e := newE2E(t)
	ctx := t.Context()
	dir := t.TempDir()
	base := devnetBasePort(t, 3)
	devnet := e.start("", "devnet", "--nodes", "3", "--dir", dir, "--base-port", strconv.Itoa(base))
	var apis, listens []string
	for i := range 3 {
		apis = append(apis, "127.0.0.1:"+strconv.Itoa(base+i))
		listens = append(listens, "127.0.0.1:"+strconv.Itoa(base+100+i))
		e.waitAPI(devnet, apis[i])
	}
	genesisPath := filepath.Join(dir, "genesis", genesis.TxFile)
	net, err := genesis.Load(genesisPath)
	if err != nil {
		t.Fatal(err)
	}

	// B dials the devnet nodes and nothing else: no DHT, no tracker.
	bAPI, bDir := "127.0.0.1:"+strconv.Itoa(freePort(t)), filepath.Join(dir, "b")
	bArgs := []string{"start", "--genesis", genesisPath, "--datadir", bDir, "--api", bAPI,
		"--listen", "127.0.0.1:" + strconv.Itoa(freePort(t)), "--dht", "off", "--bootstrap", strings.Join(listens, ",")}
	const pass = "e2e passphrase\n"
	b := e.start(pass, bArgs...)
	e.waitAPI(b, bAPI)
	apis = append(apis, bAPI)
	waitPeers(t, apis, len(apis)-1)

	node0 := filepath.Join(dir, "node0")
	payer, err := wallet.NewKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	var restarts []time.Duration
	bWon := 0 // rounds the side that entered at B won
	for r := range killRounds {
		// A coin for the payer, final everywhere.
		var fund api.SendResponse
		e.mustJSON(&fund, "send", "--json", "--api", apis[0], "--datadir", node0, "--to", payer.Address(net), "--amount", "2")
		waitStates(t, apis, map[dag.TxID]dag.State{fund.ID: dag.StateFinal})
		finalAtB := finalTxs(t, bAPI)
		if !slices.Contains(finalAtB, fund.ID) {
			t.Fatalf("round %d: B's DAG lacks the final fund %s", r, fund.ID)
		}

		// The two sides, each as a proof that carries it and its ancestry.
		fundTx, err := api.NewClient(apis[0], "").Tx(ctx, fund.ID)
		if err != nil {
			t.Fatal(err)
		}
		coin := payerCoin(t, net, fundTx, payer)
		var sides [2]*dag.Parsed
		var proof [2][]byte
		ancestry := importedRaws(t, net, apis[0], fund.ID)
		for i := range sides {
			to, err := wallet.NewKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			raw, _, err := wallet.BuildSend(ctx, net, payer, []wallet.Coin{coin}, to.PubKey(), dag.Unit, "", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if sides[i], err = dag.Decode(raw); err != nil {
				t.Fatal(err)
			}
			proof[i] = proofOf(t, net, ancestry, raw)
		}

		// Side 0 enters at B, side 1 at a devnet node, at once.
		at := []string{bAPI, apis[r%3]}
		dirs := []string{bDir, filepath.Join(dir, "node"+strconv.Itoa(r%3))}
		start := make(chan struct{})
		var wg sync.WaitGroup
		res := make([]*api.ImportResult, 2)
		errs := make([]error, 2)
		for i := range 2 {
			tok, err := api.ReadCookie(dirs[i])
			if err != nil {
				t.Fatal(err)
			}
			c := api.NewClient(at[i], tok)
			wg.Go(func() {
				<-start
				res[i], errs[i] = c.ImportProof(ctx, proof[i])
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: import side %d at %s: %v", r, i, at[i], err)
			}
		}
		// Even rounds kill B as soon as both imports answered, often
		// before it heard of the other side; odd rounds let it learn of
		// the other side first, so that its poll on the contested output
		// runs when it dies. Either way no side can be final at B yet: a
		// contested vote takes at least beta_rogue (8) polls 50 ms apart,
		// an uncontested one waits a quiet second first, and B is asked
		// about both sides just before the kill.
		if r%2 == 1 {
			ttxtest.Wait(t, e2eWaitTimeout, func() error {
				if st := txState(ctx, bAPI, sides[1].ID); st == "unknown" {
					return errors.New("B does not hold the other side")
				}
				return nil
			})
		}
		// The other side first: if B holds it, B knows of the conflict
		// when it is asked about its own side.
		other, own := txState(ctx, bAPI, sides[1].ID), txState(ctx, bAPI, sides[0].ID)
		b.kill()
		for _, st := range []string{res[0].State, own} {
			if state, ok := dag.ParseState(st); !ok || state == dag.StatePending {
				t.Fatalf("round %d: B holds its side as %q, want it stored", r, st)
			}
		}
		if _, ok := dag.ParseState(other); !ok && other != "unknown" {
			t.Fatalf("round %d: asking B about the other side: %s", r, other)
		}
		if own == dag.StateFinal.String() || other == dag.StateFinal.String() || res[0].Final {
			t.Fatalf("round %d: a side was final at B before the kill (its own %s, the other %s): the kill did not land mid-vote", r, own, other)
		}
		t.Logf("round %d: B killed holding its side as %s (imported as %s), the other as %s", r, own, res[0].State, other)

		// B reopens its store, rejoins and settles the race like the rest.
		began := time.Now()
		b = e.start(pass, bArgs...)
		e.waitAPI(b, bAPI)
		opened := time.Since(began)
		winner := waitDecided(t, apis, sides[0].ID, sides[1].ID)
		restarts = append(restarts, time.Since(began))
		if winner == sides[0].ID {
			bWon++
		}
		t.Logf("round %d: B answered %v after the restart, all four nodes agreed on %s after %v", r, opened, winner, restarts[r])
		waitPeers(t, apis, len(apis)-1)
		for _, id := range finalAtB {
			if st := txState(ctx, bAPI, id); st != dag.StateFinal.String() {
				t.Errorf("round %d: %s was final at B before the kill, is %s after", r, id, st)
			}
		}
	}
	slices.Sort(restarts)
	t.Logf("%d kills mid-vote: converged after the restart in median %v, max %v; B's side won %d",
		killRounds, restarts[len(restarts)/2], restarts[len(restarts)-1], bWon)

	b.interrupt()
	devnet.interrupt()
	s, err := store.Open(filepath.Join(bDir, node.StoreFile), store.Options{})
	if err != nil {
		t.Fatalf("open B's store after %d kills: %v", killRounds, err)
	}
	defer s.Close()
	dagtest.CheckInvariants(t, s, net)
}

// waitPeers waits until every node at apis has at least n ttx peers.
func waitPeers(t *testing.T, apis []string, n int) {
	t.Helper()
	ttxtest.Wait(t, e2eWaitTimeout, func() error {
		for _, a := range apis {
			st, err := api.NewClient(a, "").Status(t.Context())
			if err != nil {
				return err
			}
			if st.TTXPeers < n {
				return fmt.Errorf("%s has %d ttx peers, want %d", a, st.TTXPeers, n)
			}
		}
		return nil
	})
}

// waitStates waits until every node at apis holds each tx in its state.
func waitStates(t *testing.T, apis []string, want map[dag.TxID]dag.State) {
	t.Helper()
	ttxtest.Wait(t, e2eWaitTimeout, func() error {
		for _, a := range apis {
			for id, st := range want {
				if got := txState(t.Context(), a, id); got != st.String() {
					return fmt.Errorf("%s holds %s as %s, want %s", a, id, got, st)
				}
			}
		}
		return nil
	})
}

// waitDecided waits until every node at apis holds one of x and y final
// and the other rejected, the same one final everywhere, with equal
// digests, and returns the winner.
func waitDecided(t *testing.T, apis []string, x, y dag.TxID) dag.TxID {
	t.Helper()
	var winner dag.TxID
	ttxtest.Wait(t, e2eWaitTimeout, func() error {
		digests := make([]string, len(apis))
		for i, a := range apis {
			sx, sy := txState(t.Context(), a, x), txState(t.Context(), a, y)
			w := x
			switch {
			case sx == "final" && sy == "rejected":
			case sx == "rejected" && sy == "final":
				w = y
			default:
				return fmt.Errorf("%s holds the sides as %s and %s", a, sx, sy)
			}
			if i > 0 && w != winner {
				return fmt.Errorf("%s holds %s final, %s holds %s", apis[0], winner, a, w)
			}
			winner = w
			st, err := api.NewClient(a, "").Status(t.Context())
			if err != nil {
				return err
			}
			digests[i] = st.Digest
		}
		for _, d := range digests[1:] {
			if d != digests[0] {
				return fmt.Errorf("digests differ: %v", digests)
			}
		}
		return nil
	})
	return winner
}

// txState returns the state of id at the node at apiAddr: "unknown" if
// the node does not hold it, or the error if the API did not answer.
func txState(ctx context.Context, apiAddr string, id dag.TxID) string {
	tx, err := api.NewClient(apiAddr, "").Tx(ctx, id)
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return "unknown"
	}
	if err != nil {
		return err.Error()
	}
	return tx.State
}

// finalTxs returns the IDs of the final transactions among the last
// api.MaxLimit the node at apiAddr stored.
func finalTxs(t *testing.T, apiAddr string) []dag.TxID {
	t.Helper()
	d, err := api.NewClient(apiAddr, "").DAG(t.Context(), api.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	var ids []dag.TxID
	for _, n := range d.Nodes {
		if n.State == dag.StateFinal.String() {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// payerCoin returns the output of tx that pays key.
func payerCoin(t *testing.T, net *dag.Network, tx *api.Tx, key *wallet.Key) wallet.Coin {
	t.Helper()
	for i, o := range tx.Out {
		if o.To == key.Address(net) {
			return wallet.Coin{OutPoint: dag.OutPoint{TxID: tx.ID, Index: uint32(i)}, Amount: dag.Amount(o.Amount)}
		}
	}
	t.Fatalf("%s pays nothing to %s", tx.ID, key.Address(net))
	return wallet.Coin{}
}

// importedRaws returns the transactions of id's proof from the node at
// apiAddr, in the order a node adds them: id and its ancestry.
func importedRaws(t *testing.T, net *dag.Network, apiAddr string, id dag.TxID) [][]byte {
	t.Helper()
	b, err := api.NewClient(apiAddr, "").Proof(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	raws, _, err := proofs.Import(b, net)
	if err != nil {
		t.Fatal(err)
	}
	return raws
}

// proofOf returns the proof of raw, a transaction whose parents are in
// ancestry, built on a ledger that holds only those.
func proofOf(t *testing.T, net *dag.Network, ancestry [][]byte, raw []byte) []byte {
	t.Helper()
	b, err := buildProof(t.Context(), net, ancestry, raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
