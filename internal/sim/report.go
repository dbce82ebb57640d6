package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/wire"
)

// Report is what a run cost and how far it got, for the transactions it
// is computed over. Traffic counts from the last ResetCounters and covers
// every message (keep-alives and catch-up sync included), so it is a
// per-transaction cost only when those transactions are most of what the
// network did meanwhile.
type Report struct {
	Nodes, Links int
	// PeersMean and PeersMax are the ready ttx peers per node.
	PeersMean float64
	PeersMax  int
	// Txs is how many transactions the report covers, TxSize their mean
	// size in bytes.
	Txs    int
	TxSize float64
	// Coverage is the fraction of (node, transaction) pairs accepted.
	Coverage float64
	// HopsMean and HopsMax count the hops each node's first copy took
	// from the node the transaction was made at.
	HopsMean float64
	HopsMax  int
	// CopiesMean is the full copies of a transaction a node received, per
	// node per transaction; CopiesMax the most one node received per
	// transaction. Copies carried by polls are in PollTxs.
	CopiesMean, CopiesMax float64
	PollTxs               float64
	// BytesMean is what a node received per transaction, all messages;
	// BytesByKind splits it and MsgsByKind counts the messages, per node
	// per transaction, by kind of message: tx (the bytes of transactions),
	// inv, want (want and notfound), ping (digest pings and pongs,
	// keep-alives included), sync (reconciliation), vote (polls and
	// votes) and other (hellos, queries and answers).
	BytesMean               float64
	BytesByKind, MsgsByKind map[string]float64
	// Elapsed is the time the counters ran (since ResetCounters);
	// PingRate the ping and pong bytes a node received per second
	// meanwhile, a cost per second rather than per transaction.
	Elapsed  time.Duration
	PingRate float64
	// ToNode is the time from injection to acceptance, per node and
	// transaction (median); ToAll the time until every node accepted, per
	// transaction (median and the slowest).
	ToNode, ToAll50, ToAllMax time.Duration
	// FinalAll50 and FinalAllMax are the time until every node holds the
	// transaction final, when they all do (0 otherwise).
	FinalAll50, FinalAllMax time.Duration
}

// kinds groups message types for BytesByKind.
var kinds = map[wire.Type]string{
	wire.TypeTx: "tx", wire.TypeInv: "inv", wire.TypeWant: "want", wire.TypeNotFound: "want",
	wire.TypePing: "ping", wire.TypePong: "ping",
	wire.TypeReconQuery: "sync", wire.TypeReconReply: "sync",
	wire.TypePoll: "vote", wire.TypeVotes: "vote",
}

// kindOf returns the kind of message type t for BytesByKind.
func kindOf(t wire.Type) string {
	if k := kinds[t]; k != "" {
		return k
	}
	return "other"
}

// Report computes the figures over ids, which must have been injected.
func (s *Sim) Report(ids []dag.TxID) Report {
	r := Report{Nodes: len(s.nodes), Links: len(s.links), Txs: len(ids),
		BytesByKind: make(map[string]float64), MsgsByKind: make(map[string]float64)}
	s.mu.RLock()
	r.Elapsed = time.Since(s.since)
	s.mu.RUnlock()
	if len(ids) == 0 {
		return r
	}
	tracks := make([]*track, len(ids))
	for i, id := range ids {
		tracks[i] = s.trackOf(id)
	}
	pairs := float64(len(s.nodes) * len(ids))
	var accepted, hops, hopped int
	var toNode []time.Duration
	toAll := make([]time.Duration, len(ids))
	finalAll := make([]time.Duration, len(ids))
	var sizes int
	for _, id := range ids {
		if raw, err := dag.StoredRaw(s.nodes[s.trackOf(id).origin].store, id); err == nil {
			sizes += len(raw)
		}
	}
	r.TxSize = float64(sizes) / float64(len(ids))
	for _, n := range s.nodes {
		peers := 0
		for _, p := range n.eng.Peers() {
			if p.Ready {
				peers++
			}
		}
		r.PeersMean += float64(peers) / float64(len(s.nodes))
		r.PeersMax = max(r.PeersMax, peers)
		copies := float64(n.copies.Load()) / float64(len(ids))
		r.CopiesMean += copies / float64(len(s.nodes))
		r.CopiesMax = max(r.CopiesMax, copies)
		r.PollTxs += float64(n.pollTxs.Load()) / pairs
		r.BytesMean += float64(n.bytesIn.Load()) / pairs
		for t := range n.bytesByType {
			if m := n.msgsByType[t].Load(); m > 0 {
				kind := kindOf(wire.Type(t))
				r.BytesByKind[kind] += float64(n.bytesByType[t].Load()) / pairs
				r.MsgsByKind[kind] += float64(m) / pairs
			}
		}
		n.mu.Lock()
		for i, id := range ids {
			st := n.seen[id]
			if st == nil {
				continue
			}
			if st.hop > 0 {
				hops += st.hop
				hopped++
				r.HopsMax = max(r.HopsMax, st.hop)
			}
			if !st.accepted.IsZero() {
				accepted++
				d := st.accepted.Sub(tracks[i].injected)
				toNode = append(toNode, d)
				toAll[i] = max(toAll[i], d)
			}
			if !st.final.IsZero() {
				finalAll[i] = max(finalAll[i], st.final.Sub(tracks[i].injected))
			}
		}
		n.mu.Unlock()
	}
	r.Coverage = float64(accepted) / pairs
	if r.Elapsed > 0 {
		r.PingRate = r.BytesByKind["ping"] * float64(len(ids)) / r.Elapsed.Seconds()
	}
	if hopped > 0 {
		r.HopsMean = float64(hops) / float64(hopped)
	}
	r.ToNode = median(toNode)
	if r.Coverage == 1 {
		r.ToAll50, r.ToAllMax = median(toAll), slices.Max(toAll)
	}
	allFinal := true
	for _, t := range tracks {
		allFinal = allFinal && int(t.final.Load()) == len(s.nodes)
	}
	if allFinal {
		r.FinalAll50, r.FinalAllMax = median(finalAll), slices.Max(finalAll)
	}
	return r
}

// median returns the middle of ds (0 if empty); it sorts ds.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// String is the report on one line.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nodes %d, peers %.1f (max %d), %d txs of %.0f B: coverage %.1f%%, hops %.2f (max %d), "+
		"copies/node/tx %.2f (max %.2f), bytes/node/tx %.0f (%.2f× the tx:",
		r.Nodes, r.PeersMean, r.PeersMax, r.Txs, r.TxSize, 100*r.Coverage, r.HopsMean, r.HopsMax,
		r.CopiesMean, r.CopiesMax, r.BytesMean, r.BytesMean/max(r.TxSize, 1))
	keys := make([]string, 0, len(r.BytesByKind))
	for k := range r.BytesByKind {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.0f in %.1f msgs", k, r.BytesByKind[k], r.MsgsByKind[k])
	}
	fmt.Fprintf(&b, "; pings %.0f B/s over %v), to a node %v, to all %v (max %v)",
		r.PingRate, r.Elapsed.Round(time.Second), r.ToNode, r.ToAll50, r.ToAllMax)
	if r.FinalAllMax > 0 {
		fmt.Fprintf(&b, ", final on all %v (max %v)", r.FinalAll50, r.FinalAllMax)
	}
	return b.String()
}
