// Package ttxtest runs networks of real ttx nodes inside one test process,
// on loopback, in the style of lnd's lntest and btcd's rpctest:
//
//	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
//	n.ConnectAll()
//	id := n.Send("alice", "bob", 5*dag.Unit)
//	n.WaitState("carol", id, dag.StateAccepted, 10*time.Second)
//	n.WaitConverged(10 * time.Second)
//
// Each named node is a full internal/node.Node (bbolt store, ledger,
// BitTorrent client, gossip, API) with its own t.TempDir(), listening on
// 127.0.0.1 only, with no DHT and no trackers: nothing outside the machine
// is ever contacted. The nodes share a fresh test network
// (dagtest.NewNetwork) whose genesis pays dagtest.Funds to each node's
// wallet. Stop, Start and Restart take a node down and bring it back on
// the same data dir and listen address.
//
// # Invariants
//
//   - Every wait polls until a deadline and fails the test with what it
//     saw; nothing waits unbounded.
//   - A node that logs at ERROR (its own fault, by the project's logging
//     rule) fails the test. Lines at INFO and above go to t.Log, prefixed
//     with the node's name, so they show when a test fails or runs with -v.
//   - When the test ends, every running node's store is checked with
//     dagtest.CheckInvariants (supply conserved, no output spent twice,
//     conflicts on both sides) and the node is closed.
//
// # Errors
//
// Helpers report failures through testing.TB: Fatal when the test cannot
// go on (a node does not start, a send fails, a wait times out), Error for
// logged errors and broken invariants. They return no errors.
package ttxtest
