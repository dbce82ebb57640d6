package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// formatVersion is the layout described in doc.go. Version 1 had no
// epochs in the ids and spent keys; version 2 had no final state, no
// certificates, and counted rejected records in the Digest as accepted;
// version 3 had no checksums; version 4 had no seq in the v1 keys (the
// seq was the value).
const formatVersion = 5

// allocSize is how much the file grows beyond what a commit needs.
const allocSize = 4 << 20

// DefaultTimeout is how long Open waits for the data file's lock when
// Options.Timeout is zero.
const DefaultTimeout = time.Second

// Bucket names and meta keys.
var (
	bucketMeta      = []byte("meta")
	bucketTxs       = []byte("txs")
	bucketIDs       = []byte("ids")
	bucketV1        = []byte("v1")
	bucketSpent     = []byte("spent")
	bucketConflicts = []byte("conflicts")
	bucketClaims    = []byte("claims")
	bucketAccounts  = []byte("accounts")
	bucketKeys      = []byte("keys")
	bucketHistory   = []byte("history")
	bucketUTXO      = []byte("utxo")
	bucketPeers     = []byte("peers")
	bucketFilters   = []byte("filters")
	bucketCerts     = []byte("certs")

	allBuckets = [][]byte{bucketMeta, bucketTxs, bucketIDs, bucketV1, bucketSpent,
		bucketConflicts, bucketClaims, bucketAccounts, bucketKeys, bucketHistory, bucketUTXO, bucketPeers, bucketFilters, bucketCerts}

	// countedBuckets are those whose count and checksum sum meta keeps
	// (sum.go): all but meta itself and peers, which SavePeers replaces
	// whole and whose loss costs only a redial.
	countedBuckets = [numCounted][]byte{bucketTxs, bucketIDs, bucketV1, bucketSpent,
		bucketConflicts, bucketClaims, bucketAccounts, bucketKeys, bucketHistory, bucketUTXO, bucketFilters, bucketCerts}

	metaVersionKey = []byte("version")
	metaStateKey   = []byte("state")
)

const numCounted = 12

// countedIndex returns the index of name in countedBuckets, or -1.
func countedIndex(name []byte) int {
	for i, c := range countedBuckets {
		if string(c) == string(name) {
			return i
		}
	}
	return -1
}

// Options configure Open.
type Options struct {
	// Logger receives the store's few log lines. Default: discard.
	Logger *slog.Logger
	// Timeout bounds the wait for the data file's exclusive lock; after it
	// Open fails with ErrInUse. Zero means DefaultTimeout.
	Timeout time.Duration
	// OnDamage, if set, is called once, with the error, when a View or
	// Update first finds the file damaged (an error wrapping ErrCorrupt).
	// From then on every View and Update fails with that error.
	OnDamage func(error)
	// NoSync skips fsync on commit. For tests and benchmarks only: a crash
	// may then lose or corrupt committed updates.
	NoSync bool
	// Progress, if set, is called as Open proves an existing file whole
	// (see verify), which reads every entry of a large store.
	Progress Progress

	// epochBits is DefaultEpochBits unless a test wants small epochs; it
	// only applies to a new file.
	epochBits uint8
}

// Store is the bbolt implementation of dag.Store. It is safe for
// concurrent use: any number of View calls run alongside one Update.
type Store struct {
	db   *bolt.DB
	path string
	log  *slog.Logger
	// bits is the file's meta.EpochBits.
	bits uint8
	// idFilters has a filter per epoch of the ids index, spentFilters one
	// per epoch of the spent index that is not swept yet (see sweep.go).
	idFilters, spentFilters filters
	// sweeping is the work list of the epoch being swept; only Update
	// uses it.
	sweeping *sweepList
	// damage is the first ErrCorrupt a View or Update met; every later
	// one returns it (the file is not written again), and onDamage is
	// called with it once.
	damage   atomic.Pointer[error]
	onDamage func(error)
}

var _ dag.Store = (*Store)(nil)

// Open opens or creates the store file at path. Only one process can hold
// it open: another Open waits opts.Timeout and then fails with ErrInUse.
func Open(path string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.epochBits == 0 {
		opts.epochBits = DefaultEpochBits
	}
	start := time.Now()
	fi, err := os.Stat(path)
	existed := err == nil
	if existed && fi.Size() == 0 {
		return nil, fmt.Errorf("open store %s: %w: the file is empty; %s", path, ErrCorrupt, Recovery(path))
	}
	var db *bolt.DB
	err = contain(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout: opts.Timeout,
			NoSync:  opts.NoSync,
			// The hashmap freelist reuses free pages better than the
			// array one (a 100,000-tx store peaks 20% smaller), though
			// the array's lowest-first pages make fdatasync somewhat
			// faster.
			FreelistType: bolt.FreelistMapType,
			// Read transactions block a remap, so map generously up
			// front.
			InitialMmapSize: 1 << 30,
		})
		return err
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w", path, ErrInUse)
	}
	if errors.Is(err, ErrCorrupt) {
		return nil, fmt.Errorf("open store %s: %w; %s", path, err, Recovery(path))
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Grow the file in small steps: bbolt's default 16 MiB is a fifth of
	// a 100,000-tx store.
	db.AllocSize = allocSize
	s := &Store{db: db, path: path, log: opts.Logger.With("subsystem", "store"), bits: opts.epochBits, onDamage: opts.OnDamage}
	// An existing file is only read until it is proven whole.
	if existed {
		err = contain(func() error {
			return db.View(func(tx *bolt.Tx) error {
				if err := verify(tx, path, opts.Progress); err != nil {
					return err
				}
				return s.load(tx)
			})
		})
	} else {
		err = contain(func() error { return db.Update(s.init) })
	}
	if err != nil {
		db.Close()
		if errors.Is(err, ErrCorrupt) {
			return nil, fmt.Errorf("open store %s: %w; %s", path, err, Recovery(path))
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.log.Debug("store opened", "path", path, "took", time.Since(start))
	return s, nil
}

// Recovery says what to do about the damaged store file at path.
func Recovery(path string) string {
	return fmt.Sprintf("move %s away and start the node again: it syncs the ledger from its peers (the wallet key is a separate file and is not affected)", path)
}

// init creates the buckets of a new file, then loads it.
func (s *Store) init(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	mb := newBucket(tx, bucketMeta, nil)
	if err := mb.Put(metaVersionKey, binary.BigEndian.AppendUint32(nil, formatVersion)); err != nil {
		return err
	}
	b, err := encodeMeta(&meta{EpochBits: s.bits})
	if err != nil {
		return err
	}
	if err := mb.Put(metaStateKey, b); err != nil {
		return err
	}
	return s.load(tx)
}

// checkVersion checks that the file is in this version's format and has
// all its buckets.
func checkVersion(tx *bolt.Tx) error {
	mb := tx.Bucket(bucketMeta)
	if mb == nil {
		return corruptf("bucket meta is missing")
	}
	// Before version 4 the version had no checksum.
	if v := mb.Get(metaVersionKey); len(v) == 4 {
		return fmt.Errorf("%w: the file has format %d, this ttx reads %d (the ledger holds only what the network has: move the file away and the node syncs it again)", ErrVersion, binary.BigEndian.Uint32(v), formatVersion)
	}
	v := newBucket(tx, bucketMeta, nil).Get(metaVersionKey)
	if v == nil {
		return corruptf("meta has no version")
	}
	if len(v) != 4 || binary.BigEndian.Uint32(v) != formatVersion {
		return fmt.Errorf("%w: file has %x, this ttx reads %d (the ledger holds only what the network has: move the file away and the node syncs it again)", ErrVersion, v, formatVersion)
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return corruptf("bucket %s is missing", name)
		}
	}
	return nil
}

// load checks the file's meta and reads its epoch bits and filters.
func (s *Store) load(tx *bolt.Tx) error {
	m, err := decodeMeta(newBucket(tx, bucketMeta, nil).Get(metaStateKey))
	if err != nil {
		return err
	}
	s.bits = m.EpochBits
	cur := epochOf(m.LastSeq, m.EpochBits)
	ids, err := loadIDs(tx, cur)
	if err != nil {
		return err
	}
	spends, err := loadSpent(tx, m.Swept, cur)
	if err != nil {
		return err
	}
	s.idFilters.set(ids)
	s.spentFilters.set(spends)
	return nil
}

// Close closes the file. Later calls fail with dag.ErrClosed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// View implements dag.Store.
func (s *Store) View(fn func(dag.ReadTx) error) error {
	return s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			return fn(s.newReadTx(tx, nil))
		})
	})
}

// Update implements dag.Store. It returns once the write is on disk
// (unless Options.NoSync).
func (s *Store) Update(fn func(dag.WriteTx) error) error {
	return s.guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			w := s.newWriteTx(tx)
			if err := fn(w); err != nil {
				return err
			}
			return w.flush()
		})
	})
}

// guard runs a bbolt transaction: it contains its panics (sum.go), and
// once one has found damage it refuses to run any more.
func (s *Store) guard(fn func() error) error {
	if err := s.damage.Load(); err != nil {
		return *err
	}
	err := closedErr(contain(fn))
	if errors.Is(err, ErrCorrupt) && s.damage.CompareAndSwap(nil, &err) {
		s.log.Error("store is damaged", "path", s.path, "err", err, "recovery", Recovery(s.path))
		if s.onDamage != nil {
			s.onDamage(err)
		}
	}
	return err
}

func closedErr(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return dag.ErrClosed
	}
	return err
}

// Stats describes a store's contents.
type Stats struct {
	// Records per state; their sum is the number of stored transactions.
	Accepted, Conflicted, Rejected, Final uint64
	// Accounts is the number of public keys seen as signer or owner.
	Accounts uint32
	// FileSize is the size of the data file in bytes.
	FileSize int64
}

// Stats returns the counts by state and the file size.
func (s *Store) Stats() (Stats, error) {
	var st Stats
	err := s.guard(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			m, err := decodeMeta(newBucket(tx, bucketMeta, nil).Get(metaStateKey))
			if err != nil {
				return err
			}
			st = Stats{Accepted: m.Accepted, Conflicted: m.Conflicted, Rejected: m.Rejected, Final: m.Final, Accounts: m.LastAccount}
			return nil
		})
	})
	if err != nil {
		return st, fmt.Errorf("read stats: %w", err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return st, fmt.Errorf("read stats: %w", err)
	}
	st.FileSize = fi.Size()
	return st, nil
}
