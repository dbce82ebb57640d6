package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/api"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
	"github.com/torrenttx/ttx/torrentx/gossip"
)

var _ api.Backend = (*Node)(nil)

// Network implements api.Backend.
func (n *Node) Network() *dag.Network { return n.cfg.Network }

// Wallet implements api.Backend.
func (n *Node) Wallet(context.Context) (dag.PubKey, error) { return n.walletKey(), nil }

// errWatchOnly is a watch-only node's answer to a send.
var errWatchOnly = api.NewError(http.StatusServiceUnavailable, api.CodeUnavailable,
	errors.New("this node is watch-only (started with --watch): it holds no key and cannot sign; sign offline with ttx sign and hand the result to ttx proof import or ttx submit"))

// digest returns the store's digest.
func (n *Node) digest() (d dag.Digest, err error) {
	err = n.store.View(func(r dag.ReadTx) error {
		d, err = r.Digest()
		return err
	})
	return d, err
}

// Status implements api.Backend.
func (n *Node) Status(ctx context.Context) (*api.Status, error) {
	st, err := n.store.Stats()
	if err != nil {
		return nil, err
	}
	d, err := n.digest()
	if err != nil {
		return nil, err
	}
	key := n.key.Public()
	s := &api.Status{
		Agent:     "ttx/" + Version,
		NodeKey:   hex.EncodeToString(key[:]),
		StartedAt: n.started,
		Digest:    d.String(),
		Accepted:  st.Accepted + st.Conflicted + st.Final,
		Final:     st.Final,
		Rejected:  st.Rejected,
		Pending:   n.graph.Pending(),
		DHTNodes:  len(n.client.DHTNodes()),
		WatchOnly: n.WatchOnly(),
		Listen:    []string{n.client.ListenAddr()},
	}
	s.Peers, s.TTXPeers = n.peerCounts()
	s.InSync = n.gossip.inSync(d)
	s.Sync = n.sync.progress(n.cfg.Now(), d.Count, n.gossip.best(d.Count))
	return s, nil
}

// peerCounts counts the connected peers, and those of them that speak ttx
// on this network.
func (n *Node) peerCounts() (all, ttx int) {
	for _, p := range n.client.Peers() {
		all++
		if p.TTX && p.Torrent == n.cfg.Network.ID {
			ttx++
		}
	}
	return all, ttx
}

// Balance implements api.Backend. An output counts as final when its
// transaction is final.
func (n *Node) Balance(ctx context.Context, owner dag.PubKey) (api.Funds, error) {
	var f api.Funds
	err := n.store.View(func(r dag.ReadTx) error {
		final := make(map[dag.TxID]bool) // a tx pays an owner several outputs at most
		var err error
		iterErr := r.UnspentOf(owner, func(op dag.OutPoint, o dag.TxOut) bool {
			isFinal, ok := final[op.TxID]
			if !ok {
				var st dag.State
				if st, err = r.State(op.TxID); err != nil {
					return false
				}
				isFinal = st == dag.StateFinal
				final[op.TxID] = isFinal
			}
			if isFinal {
				f.Final, err = f.Final.Add(o.Amount)
				f.FinalOutputs++
			} else {
				f.NotFinal, err = f.NotFinal.Add(o.Amount)
				f.NotFinalOutputs++
			}
			return err == nil
		})
		return errors.Join(iterErr, err)
	})
	if err != nil {
		return api.Funds{}, fmt.Errorf("node: sum balance: %w", err)
	}
	return f, nil
}

// coins lists owner's unspent outputs.
func (n *Node) coins(owner dag.PubKey) ([]wallet.Coin, error) {
	var coins []wallet.Coin
	err := n.store.View(func(r dag.ReadTx) error {
		return r.UnspentOf(owner, func(op dag.OutPoint, o dag.TxOut) bool {
			coins = append(coins, wallet.Coin{OutPoint: op, Amount: o.Amount})
			return true
		})
	})
	return coins, err
}

// History implements api.Backend. Pending transactions are not listed: the
// orphan pool holds transactions whose ancestry is unknown, which say
// nothing yet about anyone's money.
func (n *Node) History(ctx context.Context, owner dag.PubKey, limit int) ([]*dag.Record, error) {
	var recs []*dag.Record
	err := n.store.View(func(r dag.ReadTx) error {
		ids, err := r.HistoryOf(owner, 0, limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			rec, err := r.Get(id)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return nil
	})
	return recs, err
}

// Tx implements api.Backend.
func (n *Node) Tx(ctx context.Context, id dag.TxID) (*dag.Record, []dag.TxID, error) {
	var rec *dag.Record
	var children []dag.TxID
	err := n.store.View(func(r dag.ReadTx) error {
		var err error
		if rec, err = r.Get(id); err != nil {
			return err
		}
		children, err = r.Children(id)
		return err
	})
	return rec, children, err
}

// AskPeers implements api.Backend.
func (n *Node) AskPeers(ctx context.Context, id dag.TxID, trusted []string) ([]api.PeerAnswer, error) {
	return n.gossip.ask(ctx, id, trusted)
}

// Peers implements api.Backend.
func (n *Node) Peers(ctx context.Context) ([]api.Peer, error) {
	d, err := n.digest()
	if err != nil {
		return nil, err
	}
	gp := make(map[string]gossip.PeerInfo)
	for _, p := range n.gossip.engine.Peers() {
		gp[p.ID] = p
	}
	var out []api.Peer
	for _, p := range n.client.Peers() {
		out = append(out, n.gossip.describe(p, d, gp))
	}
	return out, nil
}

// Send implements api.Backend.
func (n *Node) Send(ctx context.Context, to dag.PubKey, amount dag.Amount, memo string) (dag.TxID, error) {
	if n.cfg.Wallet == nil {
		return dag.TxID{}, errWatchOnly
	}
	return n.spend(ctx, n.cfg.Wallet, to, amount, memo, false)
}

// Submit implements api.Backend: a transaction signed elsewhere enters the
// ledger like one from a peer, and the commit announces it.
func (n *Node) Submit(ctx context.Context, raw []byte) (dag.Result, error) {
	res, err := n.graph.Add(ctx, raw, "submit")
	if err != nil {
		return res, err
	}
	n.log.Info("transaction submitted", "tx", res.ID, "state", res.State.String())
	return res, nil
}

// Faucet implements api.Backend. It pays from one faucet output picked at
// random (see buildFromRandomCoin), not from the wallet's usual choice:
// the faucet key is public and held by every node of the test network, so
// newcomers on different nodes asking at once would otherwise spend the
// same output and collide.
func (n *Node) Faucet(ctx context.Context, to dag.PubKey) (dag.TxID, error) {
	if n.cfg.Faucet == nil {
		return dag.TxID{}, api.NewError(http.StatusServiceUnavailable, api.CodeUnavailable,
			errors.New("this node has no faucet key: only the default test network has a public faucet"))
	}
	return n.spend(ctx, n.cfg.Faucet, to, n.cfg.FaucetAmount, "faucet: test money only", true)
}

// spend pays amount from key to to, from one coin picked at random if
// random is set, else from the coins wallet.BuildSend selects. Spends are
// serialised: Graph.Add returns once the transaction is committed, so the
// next spend no longer sees the coins this one used, and one wallet never
// spends an output twice.
func (n *Node) spend(ctx context.Context, key *wallet.Key, to dag.PubKey, amount dag.Amount, memo string, random bool) (dag.TxID, error) {
	n.sendMu.Lock()
	defer n.sendMu.Unlock()
	coins, err := n.coins(key.PubKey())
	if err != nil {
		return dag.TxID{}, err
	}
	var raw []byte
	if random {
		raw, err = n.buildFromRandomCoin(ctx, key, coins, to, amount, memo)
	} else {
		raw, _, err = wallet.BuildSend(ctx, n.cfg.Network, key, coins, to, amount, memo, n.cfg.Now())
	}
	if err != nil {
		return dag.TxID{}, err // the wallet says what it refused; the API maps its errors to 4xx
	}
	res, err := n.graph.Add(ctx, raw, "local")
	if err != nil {
		return dag.TxID{}, err
	}
	if !res.State.Accepted() {
		// Our own coins come from the store, so this is a broken invariant.
		return dag.TxID{}, fmt.Errorf("own transaction %s ended %s: %v", res.ID, res.State, res.Err)
	}
	n.log.Info("transaction sent", "tx", res.ID, "amount", amount.String())
	return res.ID, nil
}

// buildFromRandomCoin builds a send of amount that spends a single one of
// coins, taken in the random order of n.cfg.FaucetRand: the first that
// pays amount plus the burn by itself. Two nodes that pick so among the
// same k outputs spend the same one with probability 1/k. It fails with
// 503 ErrUnavailable when no coin can pay alone: the faucet is empty.
func (n *Node) buildFromRandomCoin(ctx context.Context, key *wallet.Key, coins []wallet.Coin, to dag.PubKey, amount dag.Amount, memo string) ([]byte, error) {
	for _, i := range n.cfg.FaucetRand.Perm(len(coins)) {
		if coins[i].Amount < amount {
			continue
		}
		raw, _, err := wallet.BuildSend(ctx, n.cfg.Network, key, coins[i:i+1], to, amount, memo, n.cfg.Now())
		if errors.Is(err, wallet.ErrInsufficientFunds) {
			continue // the coin holds amount but not the burn too
		}
		return raw, err
	}
	return nil, api.NewError(http.StatusServiceUnavailable, api.CodeUnavailable,
		fmt.Errorf("faucet is empty: none of its %d unspent outputs holds %s TTX plus the burn", len(coins), amount))
}

// ExportProof implements api.Backend.
func (n *Node) ExportProof(ctx context.Context, id dag.TxID) ([]byte, error) {
	var b []byte
	err := n.store.View(func(r dag.ReadTx) error {
		var err error
		b, err = proofs.Export(n.cfg.Network, r, id, n.client.DHTNodes())
		return err
	})
	return b, err
}

// ImportProof implements api.Backend: the proof's transactions enter the
// ledger like any others, and the node seeds the proven one.
func (n *Node) ImportProof(ctx context.Context, proof []byte) (*api.ImportResult, error) {
	raws, p, err := proofs.Import(proof, n.cfg.Network)
	if err != nil {
		return nil, err // the API maps a *proofs.ProofError to 400
	}
	results, err := n.graph.AddBatch(ctx, raws, "proof")
	if err != nil {
		return nil, err
	}
	res := &api.ImportResult{ID: p.ID, Final: p.Final, NotFinal: p.NotFinal}
	res.Votes, res.Keys = p.Votes()
	for _, r := range results {
		if !r.Known {
			res.Added++
		}
		if r.ID != p.ID {
			continue
		}
		res.State = r.State.String()
		if r.State != dag.StateRejected {
			continue
		}
		// Valid on its own ancestry, refused by this ledger. A double
		// spend of what the node holds is kept as evidence (the vote can
		// still pick it); anything else is not stored at all.
		if re, ok := dag.IsRuleError(r.Err); ok {
			res.Code = re.Code.String()
		}
		err := n.store.View(func(rt dag.ReadTx) error {
			_, err := rt.Get(p.ID)
			return err
		})
		if errors.Is(err, dag.ErrNotFound) {
			return nil, fmt.Errorf("%w: this node refuses %s: %w", proofs.ErrNotAccepted, p.ID, r.Err)
		} else if err != nil {
			return nil, err
		}
	}
	if err := n.client.Announce(p.ID); err != nil {
		n.log.Warn("seed imported transaction", "tx", p.ID, "err", err)
	}
	return res, nil
}

// Recent implements api.Backend.
func (n *Node) Recent(ctx context.Context, limit int) ([]*dag.Record, error) {
	var recs []*dag.Record
	err := n.store.View(func(r dag.ReadTx) error {
		d, err := r.Digest()
		if err != nil {
			return err
		}
		from := uint64(0)
		if d.Count > uint64(limit) {
			from = d.Count - uint64(limit) // seqs run 1..Count
		}
		return r.Since(from, func(rec *dag.Record) bool {
			recs = append(recs, rec)
			return true
		})
	})
	slices.Reverse(recs)
	return recs, err
}
