package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Checksums. bbolt checks only its two meta pages, so a flipped bit in any
// other page would be served as data. Every value in every bucket therefore
// ends in sumSize bytes: the CRC-32C of the bucket's name, the key's length,
// the key and the value, checked on every read. It binds the value to its
// key and bucket, so a damaged key is caught as surely as a damaged value,
// and a page that lands in the wrong place fails too. CRC-32C is computed
// in hardware (SSE 4.2, ARMv8) at several GB/s, a few ns for a record; a
// truncated SHA-256 would cost about ten times more for no gain against
// accidental damage (the tx bytes are in any case checked against their ID
// on read).
//
// A checksum cannot tell a missing entry: a damaged page that loses some
// keys leaves the others intact. So meta also keeps a tally (count and sum
// of checksums) of every counted bucket, updated by every write, and Open
// proves the whole file against it (verify.go) before anything is served.
//
// A mismatch panics with a corruption, which View and Update recover (as
// they recover bbolt's own panics on damaged pages) and return as an error
// wrapping ErrCorrupt: the read paths stay free of a check at every Get.
const sumSize = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// tally is the count and the sum (mod 2^64) of the checksums of a
// bucket's entries. In a write transaction it holds the change, in
// wrapping arithmetic.
type tally struct {
	_   struct{} `cbor:",toarray"`
	N   uint64
	Sum uint64
}

func (t *tally) add(sum uint32) { t.N++; t.Sum += uint64(sum) }
func (t *tally) sub(sum uint32) { t.N--; t.Sum -= uint64(sum) }

// corruption is the panic value of a checksum mismatch.
type corruption struct{ err error }

// bucket is a bbolt bucket whose values carry checksums.
type bucket struct {
	b    *bolt.Bucket
	name string
	seed uint32 // CRC-32C of the name
	// tally collects the changes of a write transaction to a counted
	// bucket; nil otherwise.
	tally *tally
}

func newBucket(tx *bolt.Tx, name []byte, t *tally) *bucket {
	return &bucket{b: tx.Bucket(name), name: string(name), seed: crc32.Checksum(name, castagnoli), tally: t}
}

// sum is the checksum of k and v in b.
func (b *bucket) sum(k, v []byte) uint32 {
	var n [2]byte
	binary.BigEndian.PutUint16(n[:], uint16(len(k)))
	c := crc32.Update(b.seed, castagnoli, n[:])
	c = crc32.Update(c, castagnoli, k)
	return crc32.Update(c, castagnoli, v)
}

// check returns v without its checksum and panics with a corruption if it
// does not match.
func (b *bucket) check(k, v []byte) []byte {
	body, ok := b.open(k, v)
	if !ok {
		panic(corruption{corruptf("%s: checksum mismatch", b.describe(k))})
	}
	return body
}

// open splits v into the value and its checksum and reports whether they
// match.
func (b *bucket) open(k, v []byte) (body []byte, ok bool) {
	if len(v) < sumSize {
		return nil, false
	}
	body = v[:len(v)-sumSize]
	return body, binary.BigEndian.Uint32(v[len(body):]) == b.sum(k, body)
}

// describe names the entry with key k for an error.
func (b *bucket) describe(k []byte) string {
	switch {
	case b.name == string(bucketTxs) && len(k) == seqSize:
		return fmt.Sprintf("tx record %d", binary.BigEndian.Uint64(k))
	case b.name == string(bucketMeta):
		return fmt.Sprintf("meta %q", k)
	case b.name == string(bucketCerts) && len(k) == seqSize:
		return fmt.Sprintf("certificate of tx record %d", binary.BigEndian.Uint64(k))
	}
	return fmt.Sprintf("%s entry %x", b.name, k)
}

// Get returns the value of k (nil if there is none) without its checksum.
func (b *bucket) Get(k []byte) []byte {
	v := b.b.Get(k)
	if v == nil {
		return nil
	}
	return b.check(k, v)
}

// Put stores v under k with its checksum.
func (b *bucket) Put(k, v []byte) error {
	if b.tally != nil {
		if old := b.b.Get(k); old != nil {
			b.check(k, old)
			b.tally.sub(binary.BigEndian.Uint32(old[len(old)-sumSize:]))
		}
	}
	return b.Insert(k, v)
}

// Insert is Put for a key the caller knows is not stored: a tx's new seq
// and the keys made of it, an ID that seqOf did not find, an account
// number just assigned. It skips the lookup of the old value that Put
// makes for the tally, a second search of the B+tree from its root
// (BenchmarkPut: about a tenth of the write path's CPU per tx). Inserting
// a stored key would leave the tally counting both values, and Open would
// find the file damaged.
func (b *bucket) Insert(k, v []byte) error {
	sum := b.sum(k, v)
	if b.tally != nil {
		b.tally.add(sum)
	}
	// A new slice: bbolt keeps it until the commit.
	sv := make([]byte, len(v), len(v)+sumSize)
	copy(sv, v)
	return b.b.Put(k, binary.BigEndian.AppendUint32(sv, sum))
}

// Delete deletes k, if it is stored.
func (b *bucket) Delete(k []byte) error {
	if b.tally != nil {
		old := b.b.Get(k)
		if old == nil {
			return nil
		}
		b.check(k, old)
		b.tally.sub(binary.BigEndian.Uint32(old[len(old)-sumSize:]))
	}
	return b.b.Delete(k)
}

// Cursor returns a cursor that checks every entry it moves to.
func (b *bucket) Cursor() *cursor { return &cursor{c: b.b.Cursor(), b: b} }

// cursor is a bbolt cursor on a bucket with checksums.
type cursor struct {
	c   *bolt.Cursor
	b   *bucket
	sum uint32 // of the current entry
}

func (c *cursor) First() ([]byte, []byte)           { return c.at(c.c.First()) }
func (c *cursor) Last() ([]byte, []byte)            { return c.at(c.c.Last()) }
func (c *cursor) Next() ([]byte, []byte)            { return c.at(c.c.Next()) }
func (c *cursor) Prev() ([]byte, []byte)            { return c.at(c.c.Prev()) }
func (c *cursor) Seek(seek []byte) ([]byte, []byte) { return c.at(c.c.Seek(seek)) }

func (c *cursor) at(k, v []byte) ([]byte, []byte) {
	if k == nil {
		return nil, nil
	}
	body := c.b.check(k, v)
	c.sum = binary.BigEndian.Uint32(v[len(body):])
	return k, body
}

// Delete deletes the current entry.
func (c *cursor) Delete() error {
	if c.b.tally != nil {
		c.b.tally.sub(c.sum)
	}
	return c.c.Delete()
}

// contain runs fn and turns a panic in it into an error: a checksum
// mismatch as its own error, and a panic of bbolt's code (it panics on
// pages that do not parse) or a fault (with SetPanicOnFault, a read of a
// page past the end of a truncated file) as ErrCorrupt. bbolt rolls the
// transaction back on the way out. Any other panic is a bug in the code
// that called the store, not damage to the file: it goes on up with its
// stack, so the operator is never told to throw away a sound store.
func contain(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if c, ok := r.(corruption); ok {
			err = c.err
			return
		}
		if !fault(r) && !panickedIn(boltPkg) {
			panic(r)
		}
		err = corruptf("damaged file: %v", r)
	}()
	return fn()
}

// boltPkg is bbolt's module path, the prefix of the names of its functions
// and of its internal packages' in a stack.
const boltPkg = "go.etcd.io/bbolt"

// fault reports whether r is a memory fault that SetPanicOnFault turned
// into a panic at a real address: a read of the mapped file that the
// system refused, as past the end of a truncated file. A fault in the
// first page of memory is a nil pointer, a bug wherever it happens.
func fault(r any) bool {
	f, ok := r.(interface{ Addr() uintptr })
	_, isRuntime := r.(runtime.Error)
	return ok && isRuntime && f.Addr() >= 4096
}

// panickedIn reports whether the function that panicked, the first frame
// outside the runtime below the deferred call, is in package pkg or one of
// the packages under it. It must be called from a deferred function while
// the panic is under way, when the panicking frames are still on the
// stack.
func panickedIn(pkg string) bool {
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			rest, ok := strings.CutPrefix(f.Function, pkg)
			return ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "/"))
		}
		if !more {
			return false
		}
	}
}
