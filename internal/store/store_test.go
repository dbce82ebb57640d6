package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	bolt "go.etcd.io/bbolt"
)

// openTemp opens a new store in t's temp dir and closes it when t ends
// (unless the test did).
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "ttx.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreConformance(t *testing.T) {
	// Epochs of two seqs make every test cross several.
	for _, bits := range []uint8{DefaultEpochBits, 1} {
		t.Run(fmt.Sprintf("epochBits=%d", bits), func(t *testing.T) {
			dagtest.TestStore(t, func(t *testing.T) dag.Store {
				s, err := Open(filepath.Join(t.TempDir(), "ttx.db"), Options{epochBits: bits})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// ingest runs n generated transactions (10% double spends) through a
// Graph over s and returns the network.
func ingest(t testing.TB, s dag.Store, n int) *dag.Network {
	t.Helper()
	net, keys := dagtest.NewNetwork(t, 20)
	gen := dagtest.NewGen(t, net, keys, 1)
	gen.DoubleSpendRate = 0.1
	g, err := dag.NewGraph(dag.GraphConfig{Network: net, Store: s})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.AddBatch(context.Background(), gen.Raws(n), ""); err != nil {
		t.Fatal(err)
	}
	return net
}

// snapshot is everything a store reports about its records.
func snapshot(t testing.TB, s dag.Store) (dag.Digest, []*dag.Record) {
	t.Helper()
	var d dag.Digest
	var recs []*dag.Record
	err := s.View(func(r dag.ReadTx) error {
		var err error
		if d, err = r.Digest(); err != nil {
			return err
		}
		return r.Since(0, func(rec *dag.Record) bool { recs = append(recs, rec); return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, recs
}

func TestReopen(t *testing.T) {
	for _, bits := range []uint8{DefaultEpochBits, 3} {
		t.Run(fmt.Sprintf("epochBits=%d", bits), func(t *testing.T) { testReopen(t, bits) })
	}
}

// testReopen: with small epochs, the reopened store has loaded the saved
// filters of 62 finished epochs and rebuilt the newest one's.
func testReopen(t *testing.T, bits uint8) {
	path := filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{epochBits: bits})
	if err != nil {
		t.Fatal(err)
	}
	net := ingest(t, s, 500)
	d, recs := snapshot(t, s)
	stats, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d2, recs2 := snapshot(t, s)
	if d2 != d {
		t.Errorf("Digest after reopening = %v, want %v", d2, d)
	}
	if !slices.EqualFunc(recs, recs2, func(a, b *dag.Record) bool {
		return a.ID == b.ID && a.Seq == b.Seq && a.State == b.State && a.Code == b.Code &&
			a.FirstSeen == b.FirstSeen && bytes.Equal(a.Raw, b.Raw) && slices.Equal(a.Conflicts, b.Conflicts)
	}) {
		t.Errorf("records differ after reopening")
	}
	stats2, err := s.Stats()
	if err != nil || stats2.Accepted != stats.Accepted || stats2.Conflicted != stats.Conflicted || stats2.Rejected != stats.Rejected || stats2.Final != stats.Final {
		t.Errorf("Stats after reopening = %+v, %v; want %+v", stats2, err, stats)
	}
	if stats.Conflicted == 0 || stats.Rejected == 0 || stats.Final != 1 || stats.Accepted+stats.Conflicted+stats.Rejected+stats.Final != uint64(len(recs)) {
		t.Errorf("Stats = %+v for %d records with double spends", stats, len(recs))
	}
	dagtest.CheckInvariants(t, s, net)
}

func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Open(path, Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "data dir is in use by another ttx process") {
		t.Errorf("second Open = %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v with a 50ms timeout", d)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

// patch changes the raw bbolt file at path with fn.
func patch(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name string
		fn   func(tx *bolt.Tx) error
		want error
	}{
		{"older version", func(tx *bolt.Tx) error {
			return newBucket(tx, bucketMeta, nil).Put(metaVersionKey, []byte{0, 0, 0, formatVersion - 1})
		}, ErrVersion},
		{"newer version", func(tx *bolt.Tx) error {
			return newBucket(tx, bucketMeta, nil).Put(metaVersionKey, []byte{0, 0, 0, formatVersion + 1})
		}, ErrVersion},
		{"corrupt meta", func(tx *bolt.Tx) error {
			return newBucket(tx, bucketMeta, nil).Put(metaStateKey, []byte{0xa0})
		}, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ttx.db")
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			patch(t, path, tc.fn)
			if _, err := Open(path, Options{}); !errors.Is(err, tc.want) {
				t.Errorf("Open = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestRecordForms: the genesis and a rejected tx with an unknown parent are
// stored raw, signed txs compact; all read back exact.
func TestRecordForms(t *testing.T) {
	s := openTemp(t, Options{})
	net, keys := dagtest.NewNetwork(t, 2)
	g := net.Genesis
	t1 := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[1], 5))
	orphan := dagtest.Spend(t, net, keys[1], []dag.OutPoint{{TxID: dag.TxID{7}}}, dagtest.Out(net, keys[0], 7))
	tests := []struct {
		name  string
		p     *dag.Parsed
		state dag.State
		kind  byte
	}{
		{"genesis", g, dag.StateAccepted, kindRaw},
		{"signed", t1, dag.StateAccepted, kindCompact},
		{"unknown parent", orphan, dag.StateRejected, kindRaw},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &dag.Record{ID: tc.p.ID, Raw: tc.p.Raw, State: tc.state, FirstSeen: 42}
			if err := s.Update(func(w dag.WriteTx) error { return w.Put(tc.p, rec) }); err != nil {
				t.Fatal(err)
			}
			err := s.db.View(func(tx *bolt.Tx) error {
				r, err := parseRecord(newBucket(tx, bucketTxs, nil).Get(seqKey(rec.Seq)))
				if err != nil {
					return err
				}
				if r.kind != tc.kind {
					t.Errorf("stored as kind %d, want %d", r.kind, tc.kind)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.View(func(r dag.ReadTx) error {
				got, err := r.Get(tc.p.ID)
				if err != nil {
					return err
				}
				if !bytes.Equal(got.Raw, tc.p.Raw) {
					t.Errorf("Get returned other bytes:\n%s\nwant\n%s", got.Raw, tc.p.Raw)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// damagedStore returns a store holding a network's genesis (seq 1) and t1,
// a compact record spending it (seq 2), after damage rewrote the record of
// seq.
func damagedStore(t *testing.T, seq uint64, damage func(v []byte) []byte) (*Store, *dag.Network, *dag.Parsed) {
	t.Helper()
	s := openTemp(t, Options{})
	net, keys := dagtest.NewNetwork(t, 2)
	t1 := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[1], 5))
	err := s.Update(func(w dag.WriteTx) error {
		for _, p := range []*dag.Parsed{net.Genesis, t1} {
			if err := w.Put(p, &dag.Record{ID: p.ID, State: dag.StateAccepted}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := newBucket(tx, bucketTxs, nil)
		return b.Put(seqKey(seq), damage(bytes.Clone(b.Get(seqKey(seq)))))
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, net, t1
}

// TestCorruptRecord: a damaged record is reported, not returned.
func TestCorruptRecord(t *testing.T) {
	tests := []struct {
		name string
		fn   func(v []byte) []byte
	}{
		{"flipped signature bit", func(v []byte) []byte { v[recHeader+acctSize] ^= 1; return v }},
		{"bad state", func(v []byte) []byte { v[offState] = 9; return v }},
		{"truncated", func(v []byte) []byte { return v[:recHeader+10] }},
		{"unknown account", func(v []byte) []byte { v[recHeader] = 0x7f; return v }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, t1 := damagedStore(t, 2, tc.fn)
			err := s.View(func(r dag.ReadTx) error {
				_, err := r.Get(t1.ID)
				return err
			})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Get = %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestCorruptOutput: Output reads a record's outputs without rebuilding
// it, and still reports the damage it reads as ErrCorrupt.
func TestCorruptOutput(t *testing.T) {
	// t1 has one prev, so its first output's owner account starts here.
	const outAcct = recHeader + compactFixed + prevRefSize
	tests := []struct {
		name string
		seq  uint64 // 1: the raw genesis, 2: the compact t1
		fn   func(v []byte) []byte
	}{
		{"bad state", 2, func(v []byte) []byte { v[offState] = 9; return v }},
		{"bad kind", 2, func(v []byte) []byte { v[offKind] = 7; return v }},
		{"truncated", 2, func(v []byte) []byte { return v[:recHeader+10] }},
		{"outputs cut off", 2, func(v []byte) []byte { return v[:outAcct+outRefSize-1] }},
		{"unknown output account", 2, func(v []byte) []byte { v[outAcct] = 0x7f; return v }},
		{"raw body not a tx", 1, func(v []byte) []byte { v[recHeader] = '['; return v }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, net, t1 := damagedStore(t, tc.seq, tc.fn)
			op := dag.OutPoint{TxID: t1.ID}
			if tc.seq == 1 {
				op = dagtest.GenesisOut(net, 0)
			}
			var out dag.TxOut
			err := s.View(func(r dag.ReadTx) (err error) {
				out, err = r.Output(op)
				return err
			})
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Output(%s) = %v, %v; want ErrCorrupt", op, out, err)
			}
		})
	}
}

func TestPeers(t *testing.T) {
	s := openTemp(t, Options{})
	long := strings.Repeat("x", MaxPeerAddrLen+1)
	tests := []struct {
		name    string
		save    []string
		wantErr bool
		want    []string
	}{
		{"none yet", nil, false, nil},
		{"some", []string{"10.0.0.2:6881", "[::1]:6881", "10.0.0.1:6881", "10.0.0.2:6881"}, false,
			[]string{"10.0.0.1:6881", "10.0.0.2:6881", "[::1]:6881"}},
		{"empty address refused", []string{"10.0.0.9:1", ""}, true,
			[]string{"10.0.0.1:6881", "10.0.0.2:6881", "[::1]:6881"}},
		{"long address refused", []string{long}, true,
			[]string{"10.0.0.1:6881", "10.0.0.2:6881", "[::1]:6881"}},
		{"replaced", []string{"192.168.1.1:1"}, false, []string{"192.168.1.1:1"}},
		{"cleared", []string{}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.save != nil {
				if err := s.SavePeers(tc.save); (err != nil) != tc.wantErr {
					t.Errorf("SavePeers error = %v, want error %v", err, tc.wantErr)
				}
			}
			got, err := s.Peers()
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Peers = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestStats(t *testing.T) {
	s := openTemp(t, Options{})
	st, err := s.Stats()
	if err != nil || st.Accepted+st.Conflicted+st.Rejected != 0 || st.FileSize <= 0 {
		t.Errorf("Stats of a new store = %+v, %v", st, err)
	}
	ingest(t, s, 300)
	st, err = s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.FileSize != fi.Size() {
		t.Errorf("FileSize = %d, the file has %d bytes", st.FileSize, fi.Size())
	}
	_, recs := snapshot(t, s)
	var want Stats
	for _, r := range recs {
		switch r.State {
		case dag.StateAccepted:
			want.Accepted++
		case dag.StateConflicted:
			want.Conflicted++
		case dag.StateRejected:
			want.Rejected++
		}
	}
	if st.Accepted != want.Accepted || st.Conflicted != want.Conflicted || st.Rejected != want.Rejected || st.Accounts != 20 {
		t.Errorf("Stats = %+v, the records give %+v and 20 accounts", st, want)
	}
}

func TestClosed(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stats(); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("Stats after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Peers(); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("Peers after Close = %v, want ErrClosed", err)
	}
	if err := s.SavePeers([]string{"a:1"}); !errors.Is(err, dag.ErrClosed) {
		t.Errorf("SavePeers after Close = %v, want ErrClosed", err)
	}
}
func mustDecode(t *testing.T, raw []byte) *dag.Parsed {
	t.Helper()
	p, err := dag.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHistoryOnce: a tx that pays one owner twice and its signer change
// is listed once in each account's history, and the file still proves
// whole on reopen (each history key is written once, so the tally holds).
func TestHistoryOnce(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	supply := net.Genesis.Out[0].Amount
	p := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)},
		dagtest.Out(net, keys[1], 5), dagtest.Out(net, keys[1], 7), dagtest.Out(net, keys[0], supply-12))
	s := putReopened(t, net.Genesis, p)
	err := s.View(func(r dag.ReadTx) error {
		for i, key := range keys {
			h, err := r.HistoryOf(dagtest.PubKey(key), 0, 0)
			if err != nil {
				return err
			}
			if want := []dag.TxID{p.ID, net.Genesis.ID}; !slices.Equal(h, want) {
				t.Errorf("history of key %d = %v, want %v", i, h, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSpendAfterUnspent: in one write transaction, Unspent finds an
// output unspent, one tx spends it, and a second tx that spends it too is
// refused, as is a third after SetState undid and redid the first.
func TestSpendAfterUnspent(t *testing.T) {
	s := openTemp(t, Options{})
	net, keys := dagtest.NewNetwork(t, 2)
	supply := net.Genesis.Out[0].Amount
	op := dagtest.GenesisOut(net, 0)
	spender := func(to int) *dag.Parsed {
		return dagtest.Spend(t, net, keys[0], []dag.OutPoint{op}, dagtest.Out(net, keys[to], supply))
	}
	a, b, c := spender(0), spender(1), dagtest.Spend(t, net, keys[0], []dag.OutPoint{op}, dagtest.Out(net, keys[1], 1), dagtest.Out(net, keys[0], supply-1))
	accepted := func(p *dag.Parsed) *dag.Record { return &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted} }
	err := s.Update(func(w dag.WriteTx) error {
		if err := w.Put(net.Genesis, accepted(net.Genesis)); err != nil {
			return err
		}
		for range 2 { // the second reads what the first cached
			if _, err := w.Unspent(op); err != nil {
				return fmt.Errorf("unspent before the spend: %w", err)
			}
		}
		if err := w.Put(a, accepted(a)); err != nil {
			return err
		}
		if err := w.Put(b, accepted(b)); err == nil || !strings.Contains(err.Error(), "already spent") {
			return fmt.Errorf("second spender put: %v, want already spent", err)
		}
		if _, err := w.Unspent(op); !errors.Is(err, dag.ErrNotFound) {
			return fmt.Errorf("unspent after the spend: %v, want ErrNotFound", err)
		}
		if err := w.SetState(a, dag.StateRejected, dag.ErrParentRejected); err != nil {
			return err
		}
		if _, err := w.Unspent(op); err != nil {
			return fmt.Errorf("unspent once the spender is rejected: %w", err)
		}
		if err := w.SetState(a, dag.StateAccepted, 0); err != nil {
			return err
		}
		if err := w.Put(c, accepted(c)); err == nil || !strings.Contains(err.Error(), "already spent") {
			return fmt.Errorf("spender after SetState put: %v, want already spent", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestV1Collision: two txs with one v1 infohash (a SHA-1 collision, made
// here by giving the second the first's) are two entries of the v1 index:
// the file proves whole on reopen and a lookup finds the first.
func TestV1Collision(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 2)
	a := dagtest.Spend(t, net, keys[0], []dag.OutPoint{dagtest.GenesisOut(net, 0)}, dagtest.Out(net, keys[1], net.Genesis.Out[0].Amount))
	b := dagtest.Spend(t, net, keys[1], []dag.OutPoint{dagtest.GenesisOut(net, 1)}, dagtest.Out(net, keys[0], net.Genesis.Out[1].Amount))
	b.V1 = a.V1
	s := putReopened(t, net.Genesis, a, b)
	err := s.View(func(r dag.ReadTx) error {
		if got, err := r.Lookup(a.V1); err != nil || got != a.ID {
			t.Errorf("Lookup(shared v1) = %s, %v; want %s", got, err, a.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// putReopened puts txs as accepted into a new file in one Update, closes
// it and returns it reopened (Open proves it whole).
func putReopened(t *testing.T, txs ...*dag.Parsed) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(w dag.WriteTx) error {
		for _, p := range txs {
			if err := w.Put(p, &dag.Record{ID: p.ID, Raw: p.Raw, State: dag.StateAccepted}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{}); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
