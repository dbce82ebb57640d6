package vote

import (
	"errors"
	"fmt"
	"slices"

	"github.com/torrenttx/ttx/dag"
)

// MaxCandidates bounds the sides a Set votes between: the ledger's bound
// on the sides of one output it stores. A flood of double spends of one
// output cannot grow a node's state: the first MaxCandidates sides in
// arrival order are kept and every later one is refused.
const MaxCandidates = dag.MaxCandidates

// Set is the Snowball vote of one node on one output: the transactions
// that spend it (its candidates), the node's preference between them, and
// whether the vote is decided. A Set with one candidate is virtuous and is
// decided after BetaVirtuous consecutive successful polls; once a second
// candidate is added it is contested and needs BetaRogue.
//
// A Set is not safe for concurrent use.
type Set struct {
	p         Params
	cands     []dag.TxID
	successes [MaxCandidates]int // successful polls per candidate, in total
	pref      int                // index in cands of the preference
	last      int                // index of the last poll's winner, -1 before any success
	conf      int                // consecutive successes of cands[last]
	decided   bool
}

// NewSet starts the vote on an output with the transaction this node saw
// first spending it, which is the initial preference.
func NewSet(p Params, first dag.TxID) (*Set, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("new set: %w", err)
	}
	if first.IsZero() {
		return nil, errors.New("vote: new set: zero transaction ID")
	}
	return &Set{p: p, cands: []dag.TxID{first}, last: -1}, nil
}

// Add makes id a candidate and reports whether it is one. It refuses (false)
// a new candidate once the Set holds MaxCandidates or is decided, and the
// zero ID; adding a known candidate changes nothing and returns true.
func (s *Set) Add(id dag.TxID) bool {
	if s.index(id) >= 0 {
		return true
	}
	if id.IsZero() || s.decided || len(s.cands) == MaxCandidates {
		return false
	}
	s.cands = append(s.cands, id)
	return true
}

func (s *Set) index(id dag.TxID) int {
	for i, c := range s.cands {
		if c == id {
			return i
		}
	}
	return -1
}

// RecordPoll records the answers of one poll: votes counts, per
// transaction, the peers that named it as their preference. The zero ID
// (no preference, or an unknown output) and transactions that are not
// candidates never make a success; answers that never came count for
// nobody. It reports whether the poll was a success, that is whether a
// candidate got at least AlphaPreference votes. Then that side's total
// grows by one and the preference moves to the side with the most
// successes in total (a tie keeps it). If the side also got Alpha votes
// its run of consecutive successes grows by one (a run for another side
// restarts at one); otherwise, and after a failed poll, the run ends. A
// run of BetaRogue (BetaVirtuous for a virtuous Set) decides the Set for
// that side, and a decided Set ignores every later poll. With
// AlphaPreference = Alpha these are the Snowball rules of the Avalanche
// paper; a lower AlphaPreference is avalanchego's split threshold.
//
// Votes must come from one poll of at most K answers: it panics if the
// counts are negative or add up to more than K.
func (s *Set) RecordPoll(votes map[dag.TxID]int) bool {
	total := 0
	for _, n := range votes {
		if n < 0 {
			panic("vote: negative count in a poll")
		}
		total += n
	}
	if total > s.p.K {
		panic(fmt.Sprintf("vote: poll of %d answers, k = %d", total, s.p.K))
	}
	if s.decided {
		return false
	}
	win := -1
	for i, c := range s.cands {
		if votes[c] >= s.p.AlphaPreference {
			win = i // AlphaPreference > K/2: at most one side reaches it
		}
	}
	if win < 0 {
		s.conf = 0
		return false
	}
	s.successes[win]++
	if s.successes[win] > s.successes[s.pref] {
		s.pref = win
	}
	if win != s.last {
		s.last, s.conf = win, 0
	}
	if votes[s.cands[win]] < s.p.Alpha {
		s.conf = 0
		return true
	}
	s.conf++
	beta := s.p.BetaRogue
	if len(s.cands) == 1 {
		beta = s.p.BetaVirtuous
	}
	if s.conf >= beta {
		s.decided = true
		s.pref = win
	}
	return true
}

// Preference returns the side this node prefers: the candidate with the
// most successful polls (first seen until a poll succeeds), or the decided
// side once Decided.
func (s *Set) Preference() dag.TxID { return s.cands[s.pref] }

// Decided reports whether the vote is final at this node. It never goes
// back to false.
func (s *Set) Decided() bool { return s.decided }

// Candidates returns a copy of the candidates in arrival order; the first
// is the one this node saw first.
func (s *Set) Candidates() []dag.TxID { return append([]dag.TxID(nil), s.cands...) }

// Any reports whether f is true of a candidate, calling it on each in
// arrival order until it is; unlike Candidates it copies nothing.
func (s *Set) Any(f func(dag.TxID) bool) bool { return slices.ContainsFunc(s.cands, f) }

// Contested reports whether the Set has more than one candidate.
func (s *Set) Contested() bool { return len(s.cands) > 1 }

// Confidence returns the current run of consecutive successful polls and
// the side it is for (the zero ID and 0 before any success or after a
// failed poll).
func (s *Set) Confidence() (dag.TxID, int) {
	if s.conf == 0 {
		return dag.TxID{}, 0
	}
	return s.cands[s.last], s.conf
}

// Successes returns the number of successful polls for id in total.
func (s *Set) Successes(id dag.TxID) int {
	if i := s.index(id); i >= 0 {
		return s.successes[i]
	}
	return 0
}
