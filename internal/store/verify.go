package store

import (
	"bytes"
	"encoding/binary"
	"errors"
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
//   - every entry's checksum, keys in strictly increasing order, and each
//     counted bucket's count and sum of checksums against meta's tally, so
//     that no entry is lost, added or changed;
//   - a lookup of every key finds it, so that no damaged branch page
//     sends a lookup astray;
//   - bbolt's own check: every page reachable exactly once or free. It
//     runs on a goroutine of its own, where a fault on a wild offset would
//     kill the process; the walks before it have read every page it reads,
//     in View's goroutine, where such a fault is contained.
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
	m, err := decodeMeta(newBucket(tx, bucketMeta, nil).Get(metaStateKey))
	if err != nil {
		return err
	}
	var total, done uint64
	for _, t := range m.Tally {
		total += t.N
	}
	if _, err := walk(tx, bucketMeta, nil); err != nil {
		return err
	}
	if _, err := walk(tx, bucketPeers, nil); err != nil {
		return err
	}
	for i, name := range countedBuckets {
		got, err := walk(tx, name, func() {
			if done++; progress != nil && done%progressEvery == 0 {
				progress(done, total)
			}
		})
		if err != nil {
			return err
		}
		if got != m.Tally[i] {
			return corruptf("bucket %s holds %d entries (checksum sum %x), meta says %d (%x)",
				name, got.N, got.Sum, m.Tally[i].N, m.Tally[i].Sum)
		}
	}
	if progress != nil {
		progress(done, total)
	}
	return checkPages(tx)
}

// walk reads every entry of bucket name, which checks its checksum,
// checks that the keys are in order and that a lookup finds each, and
// returns their tally; it calls each (if not nil) after every entry.
func walk(tx *bolt.Tx, name []byte, each func()) (tally, error) {
	var t tally
	b := newBucket(tx, name, nil)
	c := b.Cursor()
	var prev []byte
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return t, corruptf("%s after %x: keys out of order", b.describe(k), prev)
		}
		if v := b.b.Get(k); len(v) < sumSize || binary.BigEndian.Uint32(v[len(v)-sumSize:]) != c.sum {
			return t, corruptf("%s: a lookup does not find it", b.describe(k))
		}
		prev = append(prev[:0], k...)
		t.add(c.sum)
		if each != nil {
			each()
		}
	}
	return t, nil
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
