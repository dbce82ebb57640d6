package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// formatVersion is the layout described in doc.go. Version 1 had no
// epochs in the ids and spent keys; version 2 had no final state, no
// certificates, and counted rejected records in the Digest as accepted.
const formatVersion = 3

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

	metaVersionKey = []byte("version")
	metaStateKey   = []byte("state")
)

// Options configure Open.
type Options struct {
	// Logger receives the store's few log lines. Default: discard.
	Logger *slog.Logger
	// Timeout bounds the wait for the data file's exclusive lock; after it
	// Open fails with ErrInUse. Zero means DefaultTimeout.
	Timeout time.Duration
	// NoSync skips fsync on commit. For tests and benchmarks only: a crash
	// may then lose or corrupt committed updates.
	NoSync bool

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
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: opts.Timeout,
		NoSync:  opts.NoSync,
		// The hashmap freelist reuses free pages better than the array
		// one (a 100,000-tx store peaks 20% smaller), though the array's
		// lowest-first pages make fdatasync somewhat faster.
		FreelistType: bolt.FreelistMapType,
		// Read transactions block a remap, so map generously up front.
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Grow the file in small steps: bbolt's default 16 MiB is a fifth of
	// a 100,000-tx store.
	db.AllocSize = allocSize
	s := &Store{db: db, path: path, log: opts.Logger.With("subsystem", "store"), bits: opts.epochBits}
	if err := db.Update(s.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s.log.Debug("store opened", "path", path, "took", time.Since(start))
	return s, nil
}

// init creates the buckets of a new file and checks the version of an
// existing one, then loads it.
func (s *Store) init(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	mb := tx.Bucket(bucketMeta)
	if v := mb.Get(metaVersionKey); v != nil {
		if len(v) != 4 || binary.BigEndian.Uint32(v) != formatVersion {
			return fmt.Errorf("%w: file has %x, this ttx reads %d (the ledger holds only what the network has: move the file away and the node syncs it again)", ErrVersion, v, formatVersion)
		}
		return s.load(tx)
	}
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

// load checks the file's meta and reads its epoch bits and filters.
func (s *Store) load(tx *bolt.Tx) error {
	m, err := decodeMeta(tx.Bucket(bucketMeta).Get(metaStateKey))
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
	return closedErr(s.db.View(func(tx *bolt.Tx) error {
		return fn(s.newReadTx(tx))
	}))
}

// Update implements dag.Store. It returns once the write is on disk
// (unless Options.NoSync).
func (s *Store) Update(fn func(dag.WriteTx) error) error {
	return closedErr(s.db.Update(func(tx *bolt.Tx) error {
		w := s.newWriteTx(tx)
		if err := fn(w); err != nil {
			return err
		}
		return w.flush()
	}))
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
	err := s.db.View(func(tx *bolt.Tx) error {
		m, err := decodeMeta(tx.Bucket(bucketMeta).Get(metaStateKey))
		if err != nil {
			return err
		}
		st = Stats{Accepted: m.Accepted, Conflicted: m.Conflicted, Rejected: m.Rejected, Final: m.Final, Accounts: m.LastAccount}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("read stats: %w", closedErr(err))
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return st, fmt.Errorf("read stats: %w", err)
	}
	st.FileSize = fi.Size()
	return st, nil
}
