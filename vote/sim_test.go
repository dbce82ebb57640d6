package vote

import (
	"flag"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

var longSim = flag.Bool("vote.long", false, "run the long voting simulations")

// The two sides of a simulated race.
var (
	sideA = dag.TxID{0xa}
	sideB = dag.TxID{0xb}
)

// nodeKind is how a simulated node answers polls.
type nodeKind uint8

const (
	honest    nodeKind = iota
	opposite           // answers the side it does not prefer
	random             // answers A or B at random
	equivocal          // tells every poller what that poller prefers
)

// simConfig describes one simulated race.
type simConfig struct {
	nodes      int
	byzantine  int // percent of the nodes, split evenly over the three kinds
	splitA     int // percent of the honest nodes that see side A first
	maxDelay   int // an answer arrives 0..maxDelay rounds after its query
	lossPerMil int // answers lost, per thousand
	params     Params
	maxRounds  int
}

type simNode struct {
	kind nodeKind
	set  *Set
	poll *simPoll
}

type simPoll struct {
	node    int
	a, b    int
	closeAt int
}

type simAnswer struct {
	poll *simPoll
	peer int
}

// simResult is the outcome of one race.
type simResult struct {
	split     bool // two honest nodes decided different sides
	undecided int  // honest nodes still undecided after maxRounds
	rounds    int  // rounds until the last honest node decided
	winner    dag.TxID
}

// simulate runs one race: every node polls K other nodes (one poll at a
// time), answers arrive after a random delay carrying the peer's
// preference at the time it answered, some are lost, and a poll closes
// when its last answer is in (or after maxDelay rounds if one was lost).
func simulate(t testing.TB, c simConfig, rng *rand.Rand) simResult {
	nodes := make([]simNode, c.nodes)
	nByz := c.nodes * c.byzantine / 100
	perm := rng.Perm(c.nodes)
	nHonest := c.nodes - nByz
	for rank, i := range perm {
		n := &nodes[i]
		first, second := sideA, sideB
		switch {
		case rank < nHonest:
			n.kind = honest
			if rank >= nHonest*c.splitA/100 {
				first, second = sideB, sideA
			}
		default:
			n.kind = nodeKind(1 + (rank-nHonest)%3)
			if rng.IntN(2) == 1 {
				first, second = sideB, sideA
			}
		}
		s, err := NewSet(c.params, first)
		if err != nil {
			t.Fatal(err)
		}
		s.Add(second)
		n.set = s
	}
	answer := func(peer, poller int) dag.TxID {
		n := &nodes[peer]
		switch n.kind {
		case opposite:
			if n.set.Preference() == sideA {
				return sideB
			}
			return sideA
		case random:
			if rng.IntN(2) == 0 {
				return sideA
			}
			return sideB
		case equivocal:
			return nodes[poller].set.Preference()
		}
		return n.set.Preference()
	}
	buckets := make([][]simAnswer, c.maxDelay+1)
	votes := make(map[dag.TxID]int, 2)
	sample := make([]int, 0, c.params.K)
	var open []*simPoll
	res := simResult{}
	for r := 0; r < c.maxRounds; r++ {
		for i := range nodes {
			n := &nodes[i]
			if n.poll != nil || n.set.Decided() {
				continue
			}
			p := &simPoll{node: i}
			lost := false
			sample = samplePeers(sample[:0], rng, c.nodes, i, c.params.K)
			for _, peer := range sample {
				if rng.IntN(1000) < c.lossPerMil {
					lost = true
					continue
				}
				d := rng.IntN(c.maxDelay + 1)
				p.closeAt = max(p.closeAt, r+d)
				b := (r + d) % len(buckets)
				buckets[b] = append(buckets[b], simAnswer{p, peer})
			}
			if lost {
				p.closeAt = r + c.maxDelay
			}
			n.poll = p
			open = append(open, p)
		}
		b := r % len(buckets)
		for _, a := range buckets[b] {
			switch answer(a.peer, a.poll.node) {
			case sideA:
				a.poll.a++
			case sideB:
				a.poll.b++
			}
		}
		buckets[b] = buckets[b][:0]
		open = slices.DeleteFunc(open, func(p *simPoll) bool {
			if p.closeAt > r {
				return false
			}
			votes[sideA], votes[sideB] = p.a, p.b
			nodes[p.node].set.RecordPoll(votes)
			nodes[p.node].poll = nil
			return true
		})
		done := true
		for i := range nodes {
			if nodes[i].kind == honest && !nodes[i].set.Decided() {
				done = false
				break
			}
		}
		if done {
			res.rounds = r + 1
			break
		}
	}
	for i := range nodes {
		n := &nodes[i]
		if n.kind != honest {
			continue
		}
		if !n.set.Decided() {
			res.undecided++
			continue
		}
		switch {
		case res.winner.IsZero():
			res.winner = n.set.Preference()
		case res.winner != n.set.Preference():
			res.split = true
		}
	}
	if res.undecided > 0 {
		res.rounds = c.maxRounds
	}
	return res
}

// samplePeers appends k distinct node indices below n, none of them self.
func samplePeers(dst []int, rng *rand.Rand, n, self, k int) []int {
	k = min(k, n-1)
	for len(dst) < k {
		j := rng.IntN(n)
		if j != self && !slices.Contains(dst, j) {
			dst = append(dst, j)
		}
	}
	return dst
}

// percentile returns the p-th percentile (0..100) of sorted xs.
func percentile(xs []int, p int) int {
	if len(xs) == 0 {
		return 0
	}
	return xs[min(len(xs)-1, len(xs)*p/100)]
}

// simRaces runs races of c with the split of each race taken in turn
// from splits, and returns the splits, the undecided honest nodes, the
// sorted rounds to decide and the wins of side A.
func simRaces(t *testing.T, c simConfig, races int, splits []int, seed uint64) (split, undecided int, rounds []int, winsA int) {
	for race := range races {
		c.splitA = splits[race%len(splits)]
		r := simulate(t, c, rand.New(rand.NewPCG(seed, uint64(race))))
		if r.split {
			split++
		}
		if r.winner == sideA {
			winsA++
		}
		undecided += r.undecided
		rounds = append(rounds, r.rounds)
	}
	slices.Sort(rounds)
	return split, undecided, rounds, winsA
}

// TestSimByzantine races two double spends on 200 nodes, a fifth of them
// byzantine, with delayed and lost answers: every honest node must decide,
// and all for one side.
func TestSimByzantine(t *testing.T) {
	races, nodes := 1000, 200
	if *longSim {
		races, nodes = 10000, 500
	}
	c := simConfig{nodes: nodes, byzantine: 20, maxDelay: 3, lossPerMil: 20, params: ParamsFor(nodes - 1), maxRounds: 5000}
	split, undecided, rounds, winsA := simRaces(t, c, races, []int{50, 50, 60, 40, 75, 90}, 1)
	t.Logf("%d races, %d nodes (%d%% byzantine), %+v: %d splits, %d undecided, A won %d; rounds to decide p50 %d p99 %d max %d",
		races, nodes, c.byzantine, c.params, split, undecided, winsA, percentile(rounds, 50), percentile(rounds, 99), rounds[len(rounds)-1])
	if split != 0 || undecided != 0 {
		t.Errorf("%d races split, %d honest nodes undecided", split, undecided)
	}
	// A 50/50 race can go either way: neither side may always win.
	if winsA == races || winsA == 0 {
		t.Errorf("side A won %d of %d races", winsA, races)
	}
}

// TestSimSmallNetworks is the measurement behind DefaultBetaRogue: races
// between two halves (and skewed splits) of 3 to 20 honest nodes, each
// polling all or most of the others, with delays and lost answers, for
// several values of BetaRogue.
func TestSimSmallNetworks(t *testing.T) {
	races := 1000
	if *longSim {
		races = 10000
	}
	splitsAtOne := 0
	for _, loss := range []int{20, 100} {
		for _, n := range []int{3, 4, 5, 6, 8, 10, 20} {
			for _, beta := range []int{1, 2, 3, DefaultBetaRogue} {
				p := ParamsFor(n - 1)
				p.BetaRogue = beta
				c := simConfig{nodes: n, maxDelay: 3, lossPerMil: loss, params: p, maxRounds: 2000}
				split, undecided, rounds, _ := simRaces(t, c, races, []int{50, 50, 60, 75}, uint64(n*1000+loss))
				t.Logf("loss %d/1000, %2d nodes, k %2d, alpha %d/%d, beta %d: %4d splits, %4d undecided; rounds p50 %3d p99 %4d max %4d",
					loss, n, p.K, p.AlphaPreference, p.Alpha, beta, split, undecided, percentile(rounds, 50), percentile(rounds, 99), rounds[len(rounds)-1])
				if beta == 1 {
					splitsAtOne += split
				}
				if beta == DefaultBetaRogue && (split != 0 || undecided != 0) {
					t.Errorf("%d nodes, loss %d: %d splits, %d undecided at the default beta", n, loss, split, undecided)
				}
			}
		}
	}
	// The simulation can see a split: beta 1 makes some.
	if splitsAtOne == 0 {
		t.Error("no split at beta 1")
	}
}
