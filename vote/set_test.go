package vote

import (
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// poll is the answers of one simulated poll: for A, for B, and abstaining
// (the zero ID).
type poll struct{ a, b, none int }

func (p poll) votes() map[dag.TxID]int {
	return map[dag.TxID]int{sideA: p.a, sideB: p.b, {}: p.none}
}

func TestSetRules(t *testing.T) {
	// One threshold, as in the Avalanche paper: k=5, alpha=4, beta=3.
	one := Params{K: 5, AlphaPreference: 4, Alpha: 4, BetaVirtuous: 1, BetaRogue: 3}
	// avalanchego's two thresholds: a majority (3) moves the preference,
	// 4 builds confidence.
	two := Params{K: 5, AlphaPreference: 3, Alpha: 4, BetaVirtuous: 1, BetaRogue: 3}
	tests := []struct {
		name     string
		p        Params
		virtuous bool // only A is a candidate
		polls    []poll
		success  []bool // RecordPoll's answer per poll
		pref     dag.TxID
		decided  bool
		confSide dag.TxID
		conf     int
		successA int
		successB int
	}{
		{name: "first seen is the preference", p: one, pref: sideA},
		{name: "below alpha is a failure", p: one, polls: []poll{{3, 2, 0}}, success: []bool{false}, pref: sideA},
		{name: "abstentions never succeed", p: one, polls: []poll{{0, 0, 5}}, success: []bool{false}, pref: sideA},
		{
			name: "one success for the other side moves the preference", p: one,
			polls: []poll{{0, 4, 1}}, success: []bool{true},
			pref: sideB, confSide: sideB, conf: 1, successB: 1,
		},
		{
			name: "a tie in successes keeps the preference", p: one,
			polls: []poll{{0, 5, 0}, {4, 0, 0}}, success: []bool{true, true},
			pref: sideB, confSide: sideA, conf: 1, successA: 1, successB: 1,
		},
		{
			name: "most successes lead", p: one,
			polls: []poll{{0, 5, 0}, {4, 0, 0}, {4, 1, 0}}, success: []bool{true, true, true},
			pref: sideA, confSide: sideA, conf: 2, successA: 2, successB: 1,
		},
		{
			name: "a failed poll ends the run", p: one,
			polls: []poll{{4, 0, 0}, {4, 0, 0}, {3, 0, 0}, {4, 0, 0}}, success: []bool{true, true, false, true},
			pref: sideA, confSide: sideA, conf: 1, successA: 3,
		},
		{
			name: "a win for the other side restarts the run at one", p: one,
			polls: []poll{{4, 0, 0}, {4, 0, 0}, {0, 4, 0}}, success: []bool{true, true, true},
			pref: sideA, confSide: sideB, conf: 1, successA: 2, successB: 1,
		},
		{
			name: "beta rogue consecutive successes decide", p: one,
			polls: []poll{{0, 4, 0}, {0, 4, 0}, {0, 5, 0}}, success: []bool{true, true, true},
			pref: sideB, decided: true, confSide: sideB, conf: 3, successB: 3,
		},
		{
			name: "the decided side is preferred even with fewer successes", p: Params{K: 5, AlphaPreference: 4, Alpha: 4, BetaVirtuous: 1, BetaRogue: 2},
			polls: []poll{{0, 4, 0}, {0, 4, 0}}, success: []bool{true, true},
			pref: sideB, decided: true, confSide: sideB, conf: 2, successB: 2,
		},
		{
			name: "decided is frozen", p: one,
			polls:   []poll{{4, 0, 0}, {4, 0, 0}, {4, 0, 0}, {0, 5, 0}, {0, 5, 0}, {0, 5, 0}, {0, 5, 0}, {1, 1, 3}},
			success: []bool{true, true, true, false, false, false, false, false},
			pref:    sideA, decided: true, confSide: sideA, conf: 3, successA: 3,
		},
		{
			name: "a majority moves the preference without confidence", p: two,
			polls: []poll{{0, 3, 2}}, success: []bool{true},
			pref: sideB, successB: 1,
		},
		{
			name: "a majority below alpha ends the run", p: two,
			polls: []poll{{0, 4, 0}, {0, 4, 0}, {0, 3, 0}, {0, 4, 0}}, success: []bool{true, true, true, true},
			pref: sideB, confSide: sideB, conf: 1, successB: 4,
		},
		{
			name: "virtuous decides after beta virtuous", p: one, virtuous: true,
			polls: []poll{{4, 0, 1}}, success: []bool{true},
			pref: sideA, decided: true, confSide: sideA, conf: 1, successA: 1,
		},
		{
			name: "virtuous votes for an unknown side fail", p: one, virtuous: true,
			polls: []poll{{1, 4, 0}}, success: []bool{false},
			pref: sideA,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSet(tc.p, sideA)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.virtuous && !s.Add(sideB) {
				t.Fatal("Add(B) = false")
			}
			for i, p := range tc.polls {
				if got := s.RecordPoll(p.votes()); got != tc.success[i] {
					t.Errorf("poll %d %+v: RecordPoll = %v, want %v", i, p, got, tc.success[i])
				}
			}
			if got := s.Preference(); got != tc.pref {
				t.Errorf("Preference = %x, want %x", got[:1], tc.pref[:1])
			}
			if got := s.Decided(); got != tc.decided {
				t.Errorf("Decided = %v, want %v", got, tc.decided)
			}
			if side, n := s.Confidence(); side != tc.confSide || n != tc.conf {
				t.Errorf("Confidence = %x, %d, want %x, %d", side[:1], n, tc.confSide[:1], tc.conf)
			}
			if a, b := s.Successes(sideA), s.Successes(sideB); a != tc.successA || b != tc.successB {
				t.Errorf("Successes = %d, %d, want %d, %d", a, b, tc.successA, tc.successB)
			}
		})
	}
}

func TestSetVirtuousBecomesContested(t *testing.T) {
	p := Params{K: 5, AlphaPreference: 4, Alpha: 4, BetaVirtuous: 2, BetaRogue: 4}
	s, err := NewSet(p, sideA)
	if err != nil {
		t.Fatal(err)
	}
	s.RecordPoll(poll{a: 5}.votes())
	if s.Contested() || s.Decided() {
		t.Fatalf("after one success: contested %v, decided %v", s.Contested(), s.Decided())
	}
	s.Add(sideB)
	// The run goes on, but now needs BetaRogue.
	for i := 2; i <= 4; i++ {
		s.RecordPoll(poll{a: 4}.votes())
		if got, want := s.Decided(), i == 4; got != want {
			t.Fatalf("after %d successes: Decided = %v, want %v", i, got, want)
		}
	}
	if !s.Contested() || s.Preference() != sideA {
		t.Fatalf("contested %v, preference %x", s.Contested(), s.Preference())
	}
	if s.Add(dag.TxID{0xc}) {
		t.Error("a decided set took a new candidate")
	}
	var seen []dag.TxID
	if s.Any(func(id dag.TxID) bool { seen = append(seen, id); return id == sideB }) != true || !slices.Equal(seen, []dag.TxID{sideA, sideB}) {
		t.Errorf("Any for sideB looked at %x, want sideA then sideB", seen)
	}
	if s.Any(func(id dag.TxID) bool { return id == dag.TxID{0xc} }) {
		t.Error("Any found a transaction that is no candidate")
	}
}

func TestSetBoundedCandidates(t *testing.T) {
	s, err := NewSet(ParamsFor(20), dag.TxID{0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	var added []dag.TxID
	added = append(added, dag.TxID{0, 0, 1})
	for i := 2; i <= 1000; i++ {
		id := dag.TxID{0, byte(i >> 8), byte(i)}
		if s.Add(id) {
			added = append(added, id)
		}
	}
	got := s.Candidates()
	if len(got) != MaxCandidates || len(added) != MaxCandidates {
		t.Fatalf("kept %d candidates (%d Adds true), want %d", len(got), len(added), MaxCandidates)
	}
	for i := range got {
		if want := (dag.TxID{0, 0, byte(i + 1)}); got[i] != want || added[i] != want {
			t.Errorf("candidate %d = %x, want the %d-th arrival", i, got[i][:3], i+1)
		}
	}
	if !s.Add(got[2]) {
		t.Error("Add of a known candidate = false")
	}
	if s.Add(dag.TxID{}) {
		t.Error("Add of the zero ID = true")
	}
	// A refused side never wins, however many votes it gets.
	late := dag.TxID{0, 3, 0xe8}
	for range 50 {
		s.RecordPoll(map[dag.TxID]int{late: 20})
	}
	if s.Preference() != got[0] || s.Successes(late) != 0 {
		t.Errorf("a refused candidate won: preference %x", s.Preference())
	}
	got[0] = dag.TxID{9}
	if s.Candidates()[0] == got[0] {
		t.Error("Candidates shares its slice")
	}
}

func TestSetRecordPollPanicsOnBadCounts(t *testing.T) {
	for _, votes := range []map[dag.TxID]int{
		{sideA: 15, sideB: 6},
		{sideA: -1},
	} {
		s, _ := NewSet(ParamsFor(20), sideA)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RecordPoll(%v) did not panic", votes)
				}
			}()
			s.RecordPoll(votes)
		}()
	}
}

func TestNewSetRejects(t *testing.T) {
	if _, err := NewSet(Params{K: 5, AlphaPreference: 2, Alpha: 4, BetaVirtuous: 1, BetaRogue: 1}, sideA); err == nil {
		t.Error("NewSet took invalid parameters")
	}
	if _, err := NewSet(ParamsFor(5), dag.TxID{}); err == nil {
		t.Error("NewSet took the zero ID")
	}
}
