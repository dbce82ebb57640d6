package ttxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// maxListed bounds how many missing IDs a convergence report lists per node.
const maxListed = 5

// Wait calls f until it returns nil, every 20 ms, and fails the test with
// f's last error if timeout passes first (lnd's wait.NoError). It must be
// called from the test's goroutine.
func Wait(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ttxtest: gave up after %v: %v", timeout, err)
		}
		time.Sleep(pollEvery)
	}
}

// WaitState waits until node at holds id in state.
func (n *Network) WaitState(at string, id dag.TxID, state dag.State, timeout time.Duration) {
	n.t.Helper()
	Wait(n.t, timeout, func() error {
		got, err := n.Node(at).Graph().State(id)
		if err != nil {
			return fmt.Errorf("state of %s at %s: %w", id, at, err)
		}
		if got != state {
			return fmt.Errorf("%s holds %s as %s, want %s", at, id, got, state)
		}
		return nil
	})
}

// WaitConverged waits until every running node holds the same set of
// transactions (equal digests). On timeout it fails the test with each
// node's digest, counts and ttx peers, and the IDs it lacks that others
// hold.
func (n *Network) WaitConverged(timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if n.converged() {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("ttxtest: nodes did not converge within %v:\n%s", timeout, n.report())
		}
		time.Sleep(pollEvery)
	}
}

// converged reports whether the running nodes' digests are equal.
func (n *Network) converged() bool {
	var first dag.Digest
	for i, m := range n.running() {
		d, err := digest(m.node.Store())
		if err != nil {
			return false
		}
		if i == 0 {
			first = d
		} else if d != first {
			return false
		}
	}
	return true
}

func digest(s dag.Store) (dag.Digest, error) {
	var d dag.Digest
	err := s.View(func(r dag.ReadTx) error {
		var err error
		d, err = r.Digest()
		return err
	})
	return d, err
}

// report describes each running node's ledger and what it lacks compared
// with the union of all of them.
func (n *Network) report() string {
	running := n.running()
	sets := make([]map[dag.TxID]bool, len(running))
	union := make(map[dag.TxID]bool)
	var b strings.Builder
	for i, m := range running {
		sets[i] = make(map[dag.TxID]bool)
		err := m.node.Store().View(func(r dag.ReadTx) error {
			return r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool {
				sets[i][id], union[id] = true, true
				return true
			})
		})
		st, serr := m.node.Status(context.Background())
		if err = errors.Join(err, serr); err != nil {
			fmt.Fprintf(&b, "  %s: %v\n", m.name, err)
			continue
		}
		fmt.Fprintf(&b, "  %-8s digest %s  accepted %d  rejected %d  pending %d  ttx peers %d\n",
			m.name, st.Digest, st.Accepted, st.Rejected, st.Pending, st.TTXPeers)
	}
	for i, m := range running {
		var lacks []string
		for id := range union {
			if !sets[i][id] {
				lacks = append(lacks, id.String()[:16])
			}
		}
		if len(lacks) == 0 {
			continue
		}
		slices.Sort(lacks)
		more := ""
		if len(lacks) > maxListed {
			more = fmt.Sprintf(" and %d more", len(lacks)-maxListed)
			lacks = lacks[:maxListed]
		}
		fmt.Fprintf(&b, "  %s lacks %s%s\n", m.name, strings.Join(lacks, ", "), more)
	}
	return b.String()
}

// WaitInSync waits until every running node holds the same transactions
// and reports, in its status, each of its want ttx peers as in sync with
// it: what ttx status and the web page show.
func (n *Network) WaitInSync(want int, timeout time.Duration) {
	n.t.Helper()
	Wait(n.t, timeout, func() error {
		if !n.converged() {
			return fmt.Errorf("digests differ:\n%s", n.report())
		}
		for _, m := range n.running() {
			st, err := m.node.Status(context.Background())
			if err != nil {
				return fmt.Errorf("status of %s: %w", m.name, err)
			}
			if st.TTXPeers != want || st.InSync != want {
				return fmt.Errorf("%s is in sync with %d of %d ttx peers, want %d of %d", m.name, st.InSync, st.TTXPeers, want, want)
			}
		}
		return nil
	})
}

// WaitDecided waits until every running node holds the same one of a and
// b, two sides of a double spend, as final and the other as rejected, and
// returns the winner. On timeout it fails the test with what each node
// holds.
func (n *Network) WaitDecided(a, b dag.TxID, timeout time.Duration) dag.TxID {
	n.t.Helper()
	var winner dag.TxID
	Wait(n.t, timeout, func() error {
		winner = dag.TxID{}
		var held []string
		split := false
		for _, m := range n.running() {
			g := m.node.Graph()
			sa, err := g.State(a)
			if err != nil {
				return err
			}
			sb, err := g.State(b)
			if err != nil {
				return err
			}
			held = append(held, fmt.Sprintf("%s: %s/%s", m.name, sa, sb))
			var w dag.TxID
			switch {
			case sa == dag.StateFinal && sb == dag.StateRejected:
				w = a
			case sb == dag.StateFinal && sa == dag.StateRejected:
				w = b
			default:
				split = true
				continue
			}
			if !winner.IsZero() && w != winner {
				split = true
			}
			winner = w
		}
		if split {
			return fmt.Errorf("no single final winner of %s / %s: %s", a, b, strings.Join(held, ", "))
		}
		return nil
	})
	return winner
}
