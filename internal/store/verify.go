package store

import (
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Progress is called now and then by a long check with the entries done
// and the total.
type Progress func(done, total uint64)

// progressEvery is how many entries a check reads between Progress calls.
const progressEvery = 1 << 16

// verify proves that the file at path holds what the store wrote, before
// Open serves anything from it:
//
//   - the file is as long as bbolt's pages say (a read past the end of a
//     truncated file would fault);
//   - bbolt's own check: every page reachable exactly once or free, and
//     the keys of every page in order and within its parents' bounds, so
//     that a lookup finds every key its bucket holds;
//   - every entry's checksum, and each counted bucket's count and sum of
//     checksums against meta's tally, so that no entry is lost or added.
//
// Together they leave only damage that changes nothing stored: free
// pages, the unused end of a page, and a meta page bbolt rejects by its
// own checksum (it then uses the other one, the previous commit's).
func verify(tx *bolt.Tx, path string, progress Progress) error {
	if err := checkVersion(tx); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() < tx.Size() {
		return corruptf("the file is truncated: %d bytes, its pages end at %d", fi.Size(), tx.Size())
	}
	if err := checkPages(tx); err != nil {
		return err
	}
	mb := newBucket(tx, bucketMeta, nil)
	m, err := decodeMeta(mb.Get(metaStateKey))
	if err != nil {
		return err
	}
	var total, done uint64
	for _, t := range m.Tally {
		total += t.N
	}
	walk(tx, bucketMeta, nil)
	walk(tx, bucketPeers, nil)
	for i, name := range countedBuckets {
		got := walk(tx, name, func() {
			if done++; progress != nil && done%progressEvery == 0 {
				progress(done, total)
			}
		})
		if got != m.Tally[i] {
			return corruptf("bucket %s holds %d entries (checksum sum %x), meta says %d (%x)",
				name, got.N, got.Sum, m.Tally[i].N, m.Tally[i].Sum)
		}
	}
	if progress != nil {
		progress(done, total)
	}
	return nil
}

// walk reads every entry of bucket name, which checks its checksum, and
// returns their tally; it calls each (if not nil) after every entry.
func walk(tx *bolt.Tx, name []byte, each func()) tally {
	var t tally
	c := newBucket(tx, name, nil).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		t.add(c.sum)
		if each != nil {
			each()
		}
	}
	return t
}

// checkPages runs bbolt's consistency check of tx and returns its
// findings, if any, as one error.
func checkPages(tx *bolt.Tx) error {
	var errs []error
	for err := range tx.Check() {
		if len(errs) < 5 {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return corruptf("bbolt check: %v", errors.Join(errs...))
	}
	return nil
}

// Verify checks the whole file as Open does, calling progress as it goes
// (it may be nil), and returns an error wrapping ErrCorrupt for damage.
func (s *Store) Verify(progress Progress) error {
	err := s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error { return verify(tx, s.path, progress) })
	})
	if err != nil {
		return fmt.Errorf("verify store %s: %w", s.path, err)
	}
	return nil
}
