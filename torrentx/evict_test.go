package torrentx

import (
	"fmt"
	"hash/maphash"
	"slices"
	"testing"
	"time"
)

// evictPool returns n inbound candidates "10.<i>.0.1:1000" in n netgroups,
// connected i minutes before t0 (the first is the oldest), with no round
// trip or transaction recorded.
func evictPool(n int, t0 time.Time) []evictCandidate {
	cs := make([]evictCandidate, n)
	for i := range cs {
		id := fmt.Sprintf("10.%d.0.1:1000", i)
		cs[i] = evictCandidate{id: id, netgroup: netgroup(id), since: t0.Add(-time.Duration(n-i) * time.Minute)}
	}
	return cs
}

func TestSelectEvictionProtects(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := maphash.MakeSeed()
	cases := []struct {
		name string
		// edit changes the 30-peer pool; protected are IDs that must never
		// be evicted, victim the one that must be (empty: any unprotected).
		edit      func(cs []evictCandidate) []evictCandidate
		protected []string
		victim    []string
	}{
		{
			name: "the fastest eight are kept",
			edit: func(cs []evictCandidate) []evictCandidate {
				for i := range cs {
					cs[i].rtt = time.Duration(100+i) * time.Millisecond
				}
				// the youngest ones are the fastest
				for i := 22; i < 30; i++ {
					cs[i].rtt = time.Millisecond
				}
				return cs
			},
			protected: ids(22, 30),
		},
		{
			name: "recent transaction senders are kept",
			edit: func(cs []evictCandidate) []evictCandidate {
				for i := 26; i < 30; i++ {
					cs[i].lastTx = t0.Add(-time.Second)
				}
				return cs
			},
			protected: ids(26, 30),
		},
		{
			name: "the longest connected half of the rest is kept",
			edit: func(cs []evictCandidate) []evictCandidate { return cs },
			// Nothing measured: 30 - 4 netgroups = 26 left, the 13
			// oldest of them kept; at least the 13 oldest survive.
			protected: ids(0, 13),
		},
		{
			name: "the crowded netgroup loses its youngest",
			edit: func(cs []evictCandidate) []evictCandidate {
				// The five youngest are from 192.168/16; the netgroup
				// rule may keep the youngest of them.
				for i := 25; i < 30; i++ {
					id := fmt.Sprintf("192.168.%d.1:1000", i)
					cs[i].id, cs[i].netgroup = id, netgroup(id)
				}
				return cs
			},
			victim: []string{"192.168.29.1:1000", "192.168.28.1:1000"},
		},
		{
			name: "plain BitTorrent peers go first",
			edit: func(cs []evictCandidate) []evictCandidate {
				// A young plain peer, which the netgroup rule cannot
				// keep: its group has a younger member.
				cs[27].plain = true
				cs[28].id, cs[28].netgroup = "10.27.0.2:1000", cs[27].netgroup
				return cs
			},
			victim: []string{"10.27.0.1:1000"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Several keys: the netgroup protection must not be what saves
			// the expected peers.
			for range 20 {
				key = maphash.MakeSeed()
				cs := tc.edit(evictPool(30, t0))
				got, ok := selectEviction(cs, key)
				if !ok {
					t.Fatal("nothing evicted from 30 candidates")
				}
				if tc.victim != nil && !slices.Contains(tc.victim, got) {
					t.Fatalf("evicted %s, want %s", got, tc.victim)
				}
				for _, p := range tc.protected {
					if got == p {
						t.Fatalf("evicted protected peer %s", got)
					}
				}
			}
		})
	}
}

// ids returns the IDs evictPool gives to candidates from to to-1.
func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("10.%d.0.1:1000", i))
	}
	return out
}

func TestSelectEvictionAllProtected(t *testing.T) {
	t0 := time.Now()
	for n := range protectNetgroup + protectRTT + protectTx + 1 {
		cs := evictPool(n, t0)
		// Every candidate qualifies for protection by round trip or
		// transaction once the netgroup rule took its four.
		for i := range cs {
			cs[i].rtt = time.Millisecond
			cs[i].lastTx = t0
		}
		got, ok := selectEviction(cs, maphash.MakeSeed())
		if n <= protectNetgroup+protectRTT+protectTx && ok {
			t.Errorf("%d candidates, all protected: evicted %s", n, got)
		}
	}
	if _, ok := selectEviction(nil, maphash.MakeSeed()); ok {
		t.Error("evicted from no candidates")
	}
}

func TestSelectEvictionOnLoopback(t *testing.T) {
	// One netgroup, as in a test network: the youngest unprotected peer
	// goes.
	t0 := time.Now()
	var cs []evictCandidate
	for i := range 24 {
		id := fmt.Sprintf("127.0.0.1:%d", 40000+i)
		cs = append(cs, evictCandidate{id: id, netgroup: netgroup(id), since: t0.Add(time.Duration(i) * time.Second)})
	}
	got, ok := selectEviction(cs, maphash.MakeSeed())
	if !ok {
		t.Fatal("nothing evicted")
	}
	// Nothing measured: one is kept for its netgroup, the oldest half of
	// the other 23 for their age, and the youngest of the rest goes.
	if got != cs[22].id && got != cs[23].id {
		t.Errorf("evicted %s, want the youngest unprotected one", got)
	}
	for i := range 11 {
		if got == cs[i].id {
			t.Fatalf("evicted %s, one of the longest connected", got)
		}
	}
}

func TestNetgroup(t *testing.T) {
	cases := []struct{ a, b string }{
		{"1.2.3.4:1", "1.2.200.9:2"},
		{"[2001:db8:1::1]:1", "[2001:db8:ffff::2]:5"},
		{"127.0.0.1:1", "127.0.0.2:9"},
		{"[::ffff:1.2.3.4]:1", "1.2.9.9:1"},
	}
	for _, tc := range cases {
		if netgroup(tc.a) != netgroup(tc.b) {
			t.Errorf("netgroup(%s) = %q, netgroup(%s) = %q: want equal", tc.a, netgroup(tc.a), tc.b, netgroup(tc.b))
		}
	}
	differ := [][2]string{{"1.2.3.4:1", "1.3.3.4:1"}, {"[2001:db8::1]:1", "[2001:db9::1]:1"}, {"127.0.0.1:1", "10.0.0.1:1"}}
	for _, d := range differ {
		if netgroup(d[0]) == netgroup(d[1]) {
			t.Errorf("netgroup(%s) == netgroup(%s) = %q: want different", d[0], d[1], netgroup(d[0]))
		}
	}
}
