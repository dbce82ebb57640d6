package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// damageFixture makes a closed store of a few hundred transactions (with
// double spends and certificates) and returns its path and what it serves.
// The file is cut after its last page: bbolt grows files in steps of
// allocSize and never reads past its last page, so the cut loses nothing
// and keeps the damaged copies small.
func damageFixture(t *testing.T) (path, served string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ttx.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, s, 300)
	err = s.Update(func(w dag.WriteTx) error {
		var ids []dag.TxID
		if err := w.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { ids = append(ids, id); return len(ids) < 20 }); err != nil {
			return err
		}
		for _, id := range ids {
			if err := w.PutCertificate(id, id[:]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SavePeers([]string{"127.0.0.1:6881", "127.0.0.1:6882"}); err != nil {
		t.Fatal(err)
	}
	if served, err = serve(s); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	kinds, pageSize := pageKinds(t, path)
	if err := os.Truncate(path, int64(len(kinds)*pageSize)); err != nil {
		t.Fatal(err)
	}
	return path, served
}

// serve reads everything the node serves from s through the store's API
// (records, states, conflicts, certificates, children and spenders for
// proofs, and every key's balance and history) and returns it as text.
func serve(s *Store) (string, error) {
	st, err := s.Stats()
	if err != nil {
		return "", err
	}
	st.FileSize = 0
	out := fmt.Sprintf("%+v\n", st)
	err = s.View(func(r dag.ReadTx) error {
		d, err := r.Digest()
		if err != nil {
			return err
		}
		out += fmt.Sprintf("digest %x\n", d)
		var ids []dag.TxID
		if err := r.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { ids = append(ids, id); return true }); err != nil {
			return err
		}
		keys := map[dag.PubKey]bool{}
		for _, id := range ids {
			rec, err := r.Get(id)
			if err != nil {
				return err
			}
			p, err := dag.Decode(rec.Raw)
			if err != nil {
				return err
			}
			keys[p.From] = true
			cert, err := r.Certificate(id)
			if err != nil && !errors.Is(err, dag.ErrNotFound) {
				return err
			}
			children, err := r.Children(id)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("%s %x %v %v %d %d %v %x %v\n", id, sha256.Sum256(rec.Raw), rec.State, rec.Code, rec.FirstSeen, rec.Seq, rec.Conflicts, cert, children)
			for i, o := range p.Out {
				keys[o.Owner] = true
				op := dag.OutPoint{TxID: id, Index: uint32(i)}
				by, err := r.SpentBy(op)
				if err != nil && !errors.Is(err, dag.ErrNotFound) {
					return err
				}
				claims, err := r.Claims(op)
				if err != nil {
					return err
				}
				out += fmt.Sprintf(" out %d spent by %s claims %v\n", i, by, claims)
			}
		}
		sorted := make([]dag.PubKey, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.SortFunc(sorted, func(a, b dag.PubKey) int { return slices.Compare(a[:], b[:]) })
		for _, k := range sorted {
			var balance dag.Amount
			if err := r.UnspentOf(k, func(_ dag.OutPoint, o dag.TxOut) bool { balance += o.Amount; return true }); err != nil {
				return err
			}
			hist, err := r.HistoryOf(k, 0, 0)
			if err != nil {
				return err
			}
			out += fmt.Sprintf("key %x balance %d history %v\n", k, balance, hist)
		}
		return nil
	})
	return out, err
}

// outcome of opening and using a damaged copy.
type outcome int

const (
	reportedAtOpen outcome = iota
	reportedOnUse
	servedSame
	servedWrong
	panicked
)

// useDamaged opens the store at path, reads everything it serves and
// writes once. A panic that escapes the store counts as such.
func useDamaged(path, want string) (res outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = panicked, fmt.Errorf("panic: %v", r)
		}
	}()
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		return reportedAtOpen, err
	}
	defer s.Close()
	got, err := serve(s)
	if err != nil {
		return reportedOnUse, err
	}
	if got != want {
		return servedWrong, nil
	}
	// The first write after a start.
	err = s.Update(func(w dag.WriteTx) error {
		var first dag.TxID
		if err := w.Range(dag.TxID{}, dag.TxID{}, func(id dag.TxID) bool { first = id; return false }); err != nil {
			return err
		}
		return w.PutCertificate(first, []byte("again"))
	})
	if err != nil {
		return reportedOnUse, err
	}
	return servedSame, nil
}

// pageKinds returns the kind of each page below the high water mark of
// the file at path, as bbolt's Page reports it (meta, freelist, branch,
// leaf, free), and the page size.
func pageKinds(t *testing.T, path string) ([]string, int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var kinds []string
	err = db.View(func(tx *bolt.Tx) error {
		for id := 0; ; id++ {
			pi, err := tx.Page(id)
			if err != nil {
				return err
			}
			if pi == nil {
				return nil
			}
			kinds = append(kinds, pi.Type)
			for range pi.OverflowCount {
				kinds = append(kinds, pi.Type+" overflow")
				id++
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds, db.Info().PageSize
}

// dump returns every bucket's raw keys and values of the file at path, or
// an error if bbolt cannot read them.
func dump(path string) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer db.Close()
	err = contain(func() error {
		return db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				out += fmt.Sprintf("%s\n", name)
				return b.ForEach(func(k, v []byte) error {
					out += fmt.Sprintf("%x=%x\n", k, v)
					return nil
				})
			})
		})
	})
	return out, err
}

func copyDamaged(t *testing.T, src, dst string, damage func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, damage(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedPages flips one byte of each page of a store, one page at a
// time, at three places (the page header's element count, the first
// element, and a random offset), and opens and uses each copy. Every copy
// must either report the damage as an error or serve exactly what the
// undamaged store served, and the latter only where the damage provably
// changes nothing stored: a free page, a meta page (bbolt's checksum makes
// it fall back to the other), or bytes no entry uses (the raw keys and
// values read back unchanged).
func TestDamagedPages(t *testing.T) {
	if testing.Short() {
		t.Skip("opens about a thousand damaged stores")
	}
	src, want := damageFixture(t)
	kinds, pageSize := pageKinds(t, src)
	clean, err := dump(src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	counts := map[string]int{}
	for id, kind := range kinds {
		for _, at := range []int{10, 16, 16 + rng.IntN(pageSize-16)} {
			// A file of its own: a store bbolt failed to open may keep
			// its lock.
			dst := filepath.Join(dir, fmt.Sprintf("%d-%d.db", id, at))
			off := id*pageSize + at
			copyDamaged(t, src, dst, func(b []byte) []byte { b[off] ^= 0x5a; return b })
			res, err := useDamaged(dst, want)
			switch res {
			case panicked, servedWrong:
				t.Errorf("page %d (%s) byte %d: %v, %v", id, kind, at, res, err)
				counts["WRONG"]++
				continue
			case reportedAtOpen, reportedOnUse:
				if errors.Is(err, ErrInUse) {
					t.Fatalf("page %d byte %d: %v", id, at, err)
				}
				if !errors.Is(err, ErrCorrupt) {
					// bbolt's own refusals (bad meta pages) are fine too.
					t.Logf("page %d (%s) byte %d: reported without ErrCorrupt: %v", id, kind, at, err)
				}
				counts["reported"]++
				continue
			}
			copyDamaged(t, src, dst, func(b []byte) []byte { b[off] ^= 0x5a; return b })
			raw, _ := dump(dst)
			switch {
			case kind == "free" || kind == "free overflow":
				counts["harmless: free page"]++
			case kind == "meta":
				counts["harmless: meta page, bbolt used the other"]++
			case raw == clean:
				counts["harmless: unused bytes of a "+kind+" page"]++
			default:
				t.Errorf("page %d (%s) byte %d: stored data changed, nothing reported", id, kind, at)
				counts["WRONG"]++
			}
		}
	}
	t.Logf("%d pages of %d bytes, 3 flips each: %v", len(kinds), pageSize, counts)
}

// TestTruncated cuts a store at random offsets and to 0 bytes: each must
// be refused at Open unless the cut leaves all of bbolt's pages.
func TestTruncated(t *testing.T) {
	src, want := damageFixture(t)
	kinds, pageSize := pageKinds(t, src)
	end := len(kinds) * pageSize
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	offsets := []int{0}
	for range 40 {
		offsets = append(offsets, rng.IntN(end))
	}
	refused := 0
	for i, n := range offsets {
		dst := filepath.Join(dir, fmt.Sprintf("%d.db", i))
		copyDamaged(t, src, dst, func(b []byte) []byte { return b[:n] })
		res, err := useDamaged(dst, want)
		if res != reportedAtOpen || errors.Is(err, ErrInUse) {
			t.Errorf("truncated to %d of %d bytes: %v, %v", n, end, res, err)
			continue
		}
		refused++
		if n == 0 && !errors.Is(err, ErrCorrupt) {
			t.Errorf("empty file: %v, want ErrCorrupt", err)
		}
	}
	t.Logf("%d of %d truncations (to 0 and at random offsets below %d) refused at Open", refused, len(offsets), end)
}

// TestContainBug: a panic in a caller's own code under contain is a bug,
// not damage: it goes on up rather than telling the operator the file is
// damaged. (The damage tests above check that bbolt's panics and faults on
// damaged pages become ErrCorrupt.)
func TestContainBug(t *testing.T) {
	var nilMap *map[string]int
	for name, fn := range map[string]func() error{
		"panic": func() error { panic("caller bug") },
		"nil":   func() error { return fmt.Errorf("%d", (*nilMap)["x"]) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("no panic came up")
				}
			}()
			err := contain(fn)
			t.Fatalf("contain returned %v for a caller's panic", err)
		})
	}
}
