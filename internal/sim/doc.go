// Package sim simulates a ttx network in one process: each node is the
// real gossip engine (package gossip) over the real ledger (dag.Graph on a
// dag.MemStore) and, optionally, the real vote (package consensus), and
// the nodes are joined by in-memory connections with a latency, loss and
// bandwidth model (LinkModel) instead of BitTorrent. Each node dials a few
// random peers and accepts a bounded number, so the topology is not a
// mesh. Report gives, per node and transaction, the copies received, the
// bytes by kind of message and the hops, and per transaction the time
// until every node accepted it and held it final.
//
// Run under testing/synctest, the clock is virtual: a 1,000-node network
// with wide-area delays runs in about a minute on two cores. Outside a
// bubble it runs in real time. docs/SCALING.md has the figures.
package sim
