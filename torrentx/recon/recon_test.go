package recon

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// sortedSet is an in-memory Set: ascending, distinct IDs.
type sortedSet []dag.TxID

func (s sortedSet) Range(from, to dag.TxID, fn func(dag.TxID) bool) error {
	i := sort.Search(len(s), func(i int) bool { return !less(s[i], from) })
	for ; i < len(s) && (to.IsZero() || less(s[i], to)); i++ {
		if !fn(s[i]) {
			break
		}
	}
	return nil
}

func newSet(ids ...[]dag.TxID) sortedSet {
	var all []dag.TxID
	for _, l := range ids {
		all = append(all, l...)
	}
	return sortedSet(slices.SortedFunc(slices.Values(all), func(a, b dag.TxID) int { return bytes.Compare(a[:], b[:]) }))
}

func randomIDs(r *rand.Rand, n int) []dag.TxID {
	ids := make([]dag.TxID, n)
	for i := range ids {
		for j := 0; j < dag.TxIDSize; j += 8 {
			v := r.Uint64()
			for k := 0; k < 8; k++ {
				ids[i][j+k] = byte(v >> (8 * k))
			}
		}
	}
	return ids
}

// stats counts what a reconciliation cost.
type stats struct {
	rounds int // query/reply round trips
	bytes  int // both directions, encoded
	max    int // largest message
}

// reconcile runs a session of a against b, every message through the
// codec, and returns what a learned.
func reconcile(t testing.TB, a, b Set, cfg Config) (*Result, stats) {
	t.Helper()
	var st stats
	codec := func(m *Message) *Message {
		raw, err := Encode(m)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		st.bytes += len(raw)
		st.max = max(st.max, len(raw))
		d, err := Decode(raw)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		return d
	}
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.Initiate(a)
	if err != nil {
		t.Fatalf("initiate: %v", err)
	}
	for q != nil {
		reply, err := Respond(b, codec(q), cfg)
		if err != nil {
			t.Fatalf("respond: %v", err)
		}
		st.rounds++
		if q, err = s.Reconcile(a, codec(reply)); err != nil {
			t.Fatalf("reconcile: %v", err)
		}
	}
	if !s.Done() || s.Rounds() != st.rounds {
		t.Fatalf("Done %v Rounds %d after %d round trips", s.Done(), s.Rounds(), st.rounds)
	}
	return s.Result(), st
}

func haves(t testing.TB, r *Result, set Set) []dag.TxID {
	var out []dag.TxID
	if err := r.Haves(set, func(id dag.TxID) bool { out = append(out, id); return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReconcile(t *testing.T) {
	var lowID, highID dag.TxID
	for i := range highID {
		highID[i] = 0xff
	}
	lowID[dag.TxIDSize-1] = 1
	// IDs sharing 31 bytes, so bounds between them are 32 bytes long.
	var close []dag.TxID
	for i := 0; i < 200; i++ {
		var id dag.TxID
		id[0], id[31] = 0x42, byte(i)
		close = append(close, id)
	}
	tests := []struct {
		name                 string
		common, onlyA, onlyB int
		extraA, extraB       []dag.TxID
		cfg                  Config
		short                bool // runs under -short
	}{
		{name: "both empty", short: true},
		{name: "initiator empty", onlyB: 1000, short: true},
		{name: "responder empty", onlyA: 1000, short: true},
		{name: "tiny", common: 5, onlyA: 2, onlyB: 3, short: true},
		{name: "edge IDs", common: 300, extraA: []dag.TxID{{}, highID}, extraB: []dag.TxID{lowID}, short: true},
		{name: "long bounds", common: 100, extraA: close[:150], extraB: close[50:], short: true},
		{name: "10k diff 1", common: 9999, onlyB: 1, short: true},
		{name: "small frames", common: 20000, onlyA: 3000, onlyB: 3000, cfg: Config{MaxMessageSize: 4096}, short: true},
		{name: "small buckets", common: 20000, onlyA: 50, onlyB: 50, cfg: Config{Buckets: 2, IDListMax: 1}, short: true},
		{name: "100k diff 0", common: 100000},
		{name: "100k diff 1", common: 99999, onlyA: 1},
		{name: "100k diff 100", common: 99950, onlyA: 50, onlyB: 50},
		{name: "100k diff 10000", common: 95000, onlyA: 5000, onlyB: 5000},
		{name: "100k one-sided", common: 90000, onlyB: 10000},
		{name: "100k vs empty", onlyA: 100000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short {
				t.Skip("large set")
			}
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			common := randomIDs(r, tc.common)
			onlyA := append(randomIDs(r, tc.onlyA), tc.extraA...)
			onlyB := append(randomIDs(r, tc.onlyB), tc.extraB...)
			a, b := newSet(common, onlyA), newSet(common, onlyB)
			wantHave, wantNeed := difference(a, b), difference(b, a)

			res, st := reconcile(t, a, b, tc.cfg)
			if !res.Complete {
				t.Errorf("Complete = false")
			}
			if !slices.Equal(res.Need, wantNeed) {
				t.Errorf("Need: got %d IDs, want %d", len(res.Need), len(wantNeed))
			}
			if got := haves(t, res, a); !slices.Equal(got, wantHave) {
				t.Errorf("Haves: got %d IDs, want %d", len(got), len(wantHave))
			}
			limit := tc.cfg.MaxMessageSize
			if limit == 0 {
				limit = DefaultMessageSize
			}
			if st.max > limit {
				t.Errorf("largest message %d bytes, limit %d", st.max, limit)
			}
			t.Logf("|A|=%d |B|=%d diff=%d: %d round trips, %d bytes, largest message %d",
				len(a), len(b), len(wantHave)+len(wantNeed), st.rounds, st.bytes, st.max)
		})
	}
}

// difference returns the IDs of a that b lacks.
func difference(a, b sortedSet) []dag.TxID {
	var out []dag.TxID
	for _, id := range a {
		if _, ok := slices.BinarySearchFunc(b, id, func(x, y dag.TxID) int { return bytes.Compare(x[:], y[:]) }); !ok {
			out = append(out, id)
		}
	}
	return out
}

func TestSessionLimits(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	common := randomIDs(r, 20000)
	onlyA, onlyB := randomIDs(r, 2000), randomIDs(r, 2000)
	a, b := newSet(common, onlyA), newSet(common, onlyB)
	wantHave, wantNeed := difference(a, b), difference(b, a)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"MaxIDs", Config{MaxIDs: 500}},
		{"MaxRounds", Config{MaxRounds: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, st := reconcile(t, a, b, tc.cfg)
			if res.Complete {
				t.Fatalf("Complete = true after %d rounds", st.rounds)
			}
			if tc.cfg.MaxRounds != 0 && st.rounds != tc.cfg.MaxRounds {
				t.Errorf("rounds = %d, want %d", st.rounds, tc.cfg.MaxRounds)
			}
			got := haves(t, res, a)
			if len(res.Need)+len(got) >= len(wantHave)+len(wantNeed) {
				t.Errorf("a truncated session found everything (%d + %d)", len(res.Need), len(got))
			}
			// What it found is right, even if not all of it.
			for _, id := range res.Need {
				if _, ok := slices.BinarySearchFunc(wantNeed, id, func(x, y dag.TxID) int { return bytes.Compare(x[:], y[:]) }); !ok {
					t.Fatalf("need %s is not a difference", id)
				}
			}
			for _, id := range got {
				if _, ok := slices.BinarySearchFunc(wantHave, id, func(x, y dag.TxID) int { return bytes.Compare(x[:], y[:]) }); !ok {
					t.Fatalf("have %s is not a difference", id)
				}
			}
			if _, err := runToEnd(t, tc.cfg, a, b); !errors.Is(err, ErrDone) {
				t.Errorf("Reconcile after done: %v, want ErrDone", err)
			}
		})
	}
}

// runToEnd runs a session to its end and calls Reconcile once more.
func runToEnd(t *testing.T, cfg Config, a, b Set) (*Message, error) {
	t.Helper()
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.Initiate(a)
	for err == nil && q != nil {
		var reply *Message
		if reply, err = Respond(b, q, cfg); err == nil {
			q, err = s.Reconcile(a, reply)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return s.Reconcile(a, &Message{})
}

func TestProtocolErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	a := newSet(randomIDs(r, 10))
	some := a[3]
	tests := []struct {
		name  string
		reply *Message
	}{
		{"iddiff for no list", &Message{Ranges: []Range{{Upper: some, Mode: ModeIDDiff}}}},
		{"bitmap too short", &Message{Ranges: []Range{{Mode: ModeIDDiff}}}},
		{"bitmap too long", &Message{Ranges: []Range{{Mode: ModeIDDiff, Bitmap: []byte{0, 0, 0}}}}},
		{"bitmap stray bit", &Message{Ranges: []Range{{Mode: ModeIDDiff, Bitmap: []byte{0, 0x80}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSession(Config{IDListMax: 16})
			if err != nil {
				t.Fatal(err)
			}
			q, err := s.Initiate(a) // 10 IDs: one list for the whole space
			if err != nil || len(q.Ranges) != 1 || len(q.Ranges[0].IDs) != 10 {
				t.Fatalf("Initiate = %+v, %v; want one list of 10", q, err)
			}
			if _, err := s.Reconcile(a, tc.reply); !errors.Is(err, ErrProtocol) {
				t.Errorf("Reconcile: %v, want ErrProtocol", err)
			}
		})
	}
	t.Run("iddiff in a query", func(t *testing.T) {
		_, err := Respond(a, &Message{Ranges: []Range{{Mode: ModeIDDiff}}}, Config{})
		if !errors.Is(err, ErrProtocol) {
			t.Errorf("Respond: %v, want ErrProtocol", err)
		}
	})
	t.Run("reply before initiate", func(t *testing.T) {
		s, _ := NewSession(Config{})
		if _, err := s.Reconcile(a, &Message{}); !errors.Is(err, ErrProtocol) {
			t.Errorf("Reconcile: %v, want ErrProtocol", err)
		}
	})
}

func TestConfigLimits(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"message too small", Config{MaxMessageSize: 4095}},
		{"message too large", Config{MaxMessageSize: MaxMessageSize + 1}},
		{"one bucket", Config{Buckets: 1}},
		{"many buckets", Config{Buckets: 33}},
		{"list too long", Config{IDListMax: 65}},
		{"negative ids", Config{MaxIDs: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSession(tc.cfg); err == nil {
				t.Errorf("NewSession(%+v) succeeded", tc.cfg)
			}
			if _, err := Respond(sortedSet{}, &Message{}, tc.cfg); err == nil {
				t.Errorf("Respond with %+v succeeded", tc.cfg)
			}
		})
	}
}

func TestMinimalBound(t *testing.T) {
	tests := []struct {
		name       string
		prev, curr string
		want       string
	}{
		{"first byte", "01", "02", "02"},
		{"shared prefix", "0a0b01", "0a0b02ff", "0a0b02"},
		{"last byte", "00000000000000000000000000000000000000000000000000000000000000a0", "00000000000000000000000000000000000000000000000000000000000000a1", "00000000000000000000000000000000000000000000000000000000000000a1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev, curr, want := pad(tc.prev), pad(tc.curr), pad(tc.want)
			got := minimalBound(prev, curr)
			if got != want {
				t.Errorf("minimalBound = %x, want %x", got, want)
			}
			if !less(prev, got) || less(curr, got) {
				t.Errorf("bound %x not in (prev, curr]", got)
			}
			if b, err := parseBound(boundBytes(got)); err != nil || b != got {
				t.Errorf("bound round trip = %x, %v", b, err)
			}
		})
	}
}

func pad(h string) dag.TxID {
	var id dag.TxID
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	copy(id[:], b)
	return id
}

func BenchmarkReconcile(b *testing.B) {
	// 100,000 vs 100,000 IDs, 1% different: 500 only on each side.
	r := rand.New(rand.NewPCG(4, 4))
	common := randomIDs(r, 99500)
	x, y := newSet(common, randomIDs(r, 500)), newSet(common, randomIDs(r, 500))
	var st stats
	b.ResetTimer()
	for b.Loop() {
		var res *Result
		res, st = reconcile(b, x, y, Config{})
		if len(res.Need) != 500 {
			b.Fatalf("need %d, want 500", len(res.Need))
		}
	}
	b.ReportMetric(float64(st.bytes), "bytes")
	b.ReportMetric(float64(st.rounds), "roundtrips")
}
