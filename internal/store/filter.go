package store

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// The ids and spent indexes are split by epoch of seq (see doc.go), so a
// lookup would cost one Get per epoch. An epoch of ids has a Bloom filter
// of its IDs in memory instead, and so has an epoch of spent until it is
// swept (sweep.go): a lookup reads only the epochs whose filter may hold
// the key, which for an absent one is almost never any.
//
// A filter only ever gains keys, so it may hold keys of an Update that
// was rolled back; that makes false positives, never false negatives, and
// a missing filter means "maybe". The ids filter of a finished epoch is
// written to the filters bucket by the Update that stores the first tx of
// the next epoch; Open loads those and rebuilds the newest epoch's, and
// the spent filters of the epochs not swept, from their keys.
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

// hashes are the two hashes of a key in the double-hashing scheme: probe
// i tests bit h1 + i*h2.
type hashes struct{ h1, h2 uint64 }

// idHashes takes them from an ID, which is already a SHA-256 output.
func idHashes(id *dag.TxID) hashes {
	return hashes{binary.LittleEndian.Uint64(id[0:8]), binary.LittleEndian.Uint64(id[8:16]) | 1}
}

// outHashes mixes them from an output (a spent key without its epoch).
func outHashes(parent uint64, idx uint16) hashes {
	h1 := mix64(parent ^ uint64(idx)<<48 ^ uint64(idx))
	return hashes{h1, mix64(h1) | 1}
}

// mix64 is SplitMix64's finaliser.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (f *filter) add(h hashes) {
	for i := range uint64(filterProbes) {
		b := (h.h1 + i*h.h2) % filterBits
		f.words[b/64].Or(1 << (b % 64))
	}
}

func (f *filter) has(h hashes) bool {
	for i := range uint64(filterProbes) {
		b := (h.h1 + i*h.h2) % filterBits
		if f.words[b/64].Load()&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// mayHold reports whether f may hold h: true also for a missing filter.
func (f *filter) mayHold(h hashes) bool { return f == nil || f.has(h) }

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

// filters holds one filter per epoch of an epoch-keyed index.
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

// drop forgets the filter of epoch e; readers then read e's index.
func (fs *filters) drop(e uint32) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if int64(e) < int64(len(fs.epochs)) {
		fs.epochs[e] = nil
	}
}

// set replaces fs's filters.
func (fs *filters) set(epochs []*filter) {
	fs.mu.Lock()
	fs.epochs = epochs
	fs.mu.Unlock()
}

// loadIDs fills the ids filters of a store whose newest epoch is cur: the
// saved filters of finished epochs, the newest rebuilt from its keys.
func loadIDs(tx *bolt.Tx, cur uint32) ([]*filter, error) {
	saved := newBucket(tx, bucketFilters, nil)
	loaded := make([]*filter, cur+1)
	for e := range cur + 1 {
		if v := saved.Get(epochKey(e)); v != nil && e < cur {
			f, err := unmarshalFilter(v)
			if err != nil {
				return nil, err
			}
			loaded[e] = f
			continue
		}
		f, err := buildFilter(newBucket(tx, bucketIDs, nil), e, func(k []byte) (hashes, error) {
			id, err := decodeIDKey(k)
			return idHashes(&id), err
		})
		if err != nil {
			return nil, err
		}
		loaded[e] = f
	}
	return loaded, nil
}

// loadSpent builds the spent filters of the epochs from swept to cur.
func loadSpent(tx *bolt.Tx, swept, cur uint32) ([]*filter, error) {
	loaded := make([]*filter, cur+1)
	for e := swept; e <= cur; e++ {
		f, err := buildFilter(newBucket(tx, bucketSpent, nil), e, func(k []byte) (hashes, error) {
			_, parent, idx, err := decodeSpentKey(k)
			return outHashes(parent, idx), err
		})
		if err != nil {
			return nil, err
		}
		loaded[e] = f
	}
	return loaded, nil
}

// buildFilter makes the filter of epoch e of an epoch-keyed bucket.
func buildFilter(b *bucket, e uint32, hash func(k []byte) (hashes, error)) (*filter, error) {
	f := newFilter()
	prefix := epochKey(e)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		h, err := hash(k)
		if err != nil {
			return nil, err
		}
		f.add(h)
	}
	return f, nil
}
