package store

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// The ids index is split by epoch of seq (see doc.go), so a lookup would
// cost one Get per epoch. Each epoch has a Bloom filter of its IDs in
// memory instead: a lookup reads only the epochs whose filter may hold
// the ID, which for an absent ID is almost never any.
//
// A filter only ever gains keys, so it may hold IDs of an Update that
// was rolled back; that makes false positives, never false negatives. The
// filter of a finished epoch is written to the filters bucket by the
// Update that stores the first tx of the next epoch; Open loads those and
// rebuilds the newest epoch's from its keys.
const (
	// filterBits is the size of one epoch's filter: 128 KiB, 16 bits per
	// key of a full epoch of 65,536 IDs.
	filterBits = 1 << 20
	// filterProbes is the number of bits set per key; with 16 bits per
	// key one absent ID in about 1,700 reads the epoch's index.
	filterProbes = 7
)

// filter is a Bloom filter safe for concurrent use: the committer adds
// while readers test.
type filter struct {
	words []atomic.Uint64
}

func newFilter() *filter { return &filter{words: make([]atomic.Uint64, filterBits/64)} }

// idHashes derives the two hashes of the double-hashing scheme from an
// ID, which is already a SHA-256 output.
func idHashes(id *dag.TxID) (h1, h2 uint64) {
	return binary.LittleEndian.Uint64(id[0:8]), binary.LittleEndian.Uint64(id[8:16]) | 1
}

func (f *filter) add(id *dag.TxID) {
	h1, h2 := idHashes(id)
	for i := range uint64(filterProbes) {
		b := (h1 + i*h2) % filterBits
		f.words[b/64].Or(1 << (b % 64))
	}
}

func (f *filter) has(id *dag.TxID) bool {
	h1, h2 := idHashes(id)
	for i := range uint64(filterProbes) {
		b := (h1 + i*h2) % filterBits
		if f.words[b/64].Load()&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *filter) marshal() []byte {
	b := make([]byte, 0, filterBits/8)
	for i := range f.words {
		b = binary.LittleEndian.AppendUint64(b, f.words[i].Load())
	}
	return b
}

func unmarshalFilter(b []byte) (*filter, error) {
	if len(b) != filterBits/8 {
		return nil, corruptf("filter of %d bytes", len(b))
	}
	f := newFilter()
	for i := range f.words {
		f.words[i].Store(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return f, nil
}

// filters holds one filter per epoch of the ids index.
type filters struct {
	mu     sync.RWMutex
	epochs []*filter
}

// get returns the filter of epoch e, or nil if there is none yet (which a
// reader must treat as "maybe").
func (fs *filters) get(e uint32) *filter {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	if int64(e) < int64(len(fs.epochs)) {
		return fs.epochs[e]
	}
	return nil
}

// ensure returns the filter of epoch e, making it (and any missing before
// it) if needed.
func (fs *filters) ensure(e uint32) *filter {
	if f := fs.get(e); f != nil {
		return f
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for int64(len(fs.epochs)) <= int64(e) {
		fs.epochs = append(fs.epochs, nil)
	}
	if fs.epochs[e] == nil {
		fs.epochs[e] = newFilter()
	}
	return fs.epochs[e]
}

// load fills fs from a store whose newest seq is last: the saved filters of
// finished epochs, and the others rebuilt from the ids index.
func (fs *filters) load(tx *bolt.Tx, bits uint8, last uint64) error {
	saved := tx.Bucket(bucketFilters)
	ids := tx.Bucket(bucketIDs)
	cur := epochOf(last, bits)
	loaded := make([]*filter, cur+1)
	for e := range cur + 1 {
		if v := saved.Get(epochKey(e)); v != nil && e < cur {
			f, err := unmarshalFilter(v)
			if err != nil {
				return err
			}
			loaded[e] = f
			continue
		}
		f := newFilter()
		prefix := epochKey(e)
		c := ids.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id, err := decodeIDKey(k)
			if err != nil {
				return err
			}
			f.add(&id)
		}
		loaded[e] = f
	}
	fs.mu.Lock()
	fs.epochs = loaded
	fs.mu.Unlock()
	return nil
}
