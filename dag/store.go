package dag

// State is what a node holds a transaction to be.
type State uint8

// States a user sees. Only the last three are stored; pending transactions
// live in the Graph's orphan pool.
const (
	StateUnknown State = iota
	// StatePending: valid so far, waiting in the orphan pool for ancestors.
	StatePending
	// StateAccepted: every rule passed; its outputs can be spent.
	StateAccepted
	// StateConflicted: accepted (first seen), but a double spend of one of
	// its inputs is known. Its outputs can still be spent.
	StateConflicted
	// StateRejected: the losing side of a double spend, kept as evidence,
	// or a transaction whose parent was rejected. Never spent from.
	StateRejected
)

var stateNames = [...]string{"unknown", "pending", "accepted", "conflicted", "rejected"}

// String returns the state's lowercase name, as the API and CLI print it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "invalid"
}

// ParseState is the inverse of State.String.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// Accepted reports whether s is a state whose outputs may be spent.
func (s State) Accepted() bool { return s == StateAccepted || s == StateConflicted }

// Record is what a Store keeps about one transaction.
type Record struct {
	ID  TxID
	Raw []byte // the exact tx.json bytes
	// State is StateAccepted, StateConflicted or StateRejected.
	State State
	// Code says why the transaction was rejected (StateRejected only).
	Code ErrorCode
	// FirstSeen is when this node first saw the transaction (Unix ns).
	FirstSeen int64
	// Seq is the arrival order on this node, from 1; assigned by Put.
	Seq uint64
	// Conflicts lists the other sides of double spends it is part of.
	Conflicts []TxID
}

// Store is the node's durable ledger. The rules live in Graph; a Store only
// keeps records and indexes, and must make every Update atomic and durable:
// when Update returns nil, a crash loses nothing it wrote.
//
// Implementations: internal/store (bbolt) and MemStore; both pass
// dagtest.TestStore.
type Store interface {
	// View runs fn on a consistent read-only snapshot.
	View(fn func(ReadTx) error) error
	// Update runs fn in one atomic write transaction. If fn returns an
	// error nothing is written. It returns only once the write is durable.
	Update(fn func(WriteTx) error) error
	Close() error
}

// ReadTx reads a Store snapshot. Iterators stop when fn returns false.
type ReadTx interface {
	// Get returns the record of a stored transaction, or ErrNotFound.
	Get(id TxID) (*Record, error)
	// State returns the stored state of id, or StateUnknown.
	State(id TxID) (State, error)
	// Lookup finds a stored transaction by a 20-byte BitTorrent infohash:
	// its v1 infohash or its truncated v2 infohash (TxID.Short). ErrNotFound
	// if none.
	Lookup(short [20]byte) (TxID, error)
	// Unspent returns an unspent output of an accepted transaction, or
	// ErrNotFound if it is spent, never existed, or its tx is not accepted.
	Unspent(op OutPoint) (TxOut, error)
	// Output returns output op of an accepted (Accepted or Conflicted)
	// transaction whether or not it is spent, or ErrNotFound if the
	// transaction is not stored, is not accepted, or has no such output.
	// With SpentBy it gives the output a double spend claims.
	Output(op OutPoint) (TxOut, error)
	// SpentBy returns the accepted transaction that spent op, or ErrNotFound.
	SpentBy(op OutPoint) (TxID, error)
	// Claims returns the stored evidence (StateRejected records) that names
	// op in its prev, in Seq order, or nothing. Only prevs whose parent was
	// stored when the evidence was Put are indexed. A tx that later spends
	// op double-spends with each of them.
	Claims(op OutPoint) ([]TxID, error)
	// Children returns the accepted transactions that spend outputs of id.
	Children(id TxID) ([]TxID, error)
	// UnspentOf calls fn for every unspent output owned by owner.
	UnspentOf(owner PubKey, fn func(OutPoint, TxOut) bool) error
	// HistoryOf returns up to limit transactions (any stored state) that pay
	// or are signed by owner, newest first, with Seq < beforeSeq (0: no bound).
	HistoryOf(owner PubKey, beforeSeq uint64, limit int) ([]TxID, error)
	// Since calls fn for every record with Seq > seq in ascending Seq order:
	// the order the node learned them, so parents come before children.
	Since(seq uint64, fn func(*Record) bool) error
	// Range calls fn for every stored ID in [from, to) in ascending byte
	// order; a zero `to` means no upper bound.
	Range(from, to TxID, fn func(TxID) bool) error
	// Digest summarises the set of stored IDs (every state).
	Digest() (Digest, error)
}

// WriteTx is a ReadTx that can write.
type WriteTx interface {
	ReadTx
	// Put stores a new transaction. It assigns rec.Seq. If rec.State is
	// accepted (Accepted or Conflicted), Put also marks every p.Prev as
	// spent by p.ID, adds p.Out as unspent outputs, and indexes p under its
	// signer and its outputs' owners, and as a child of its parents.
	// Otherwise (Rejected) it stores the record as evidence only, indexed
	// under its signer and, for every p.Prev whose parent is stored, as a
	// claim on that output (see Claims); it spends nothing. Put does not
	// check rules: Graph does.
	Put(p *Parsed, rec *Record) error
	// AddConflict records that a and b spend a common output: each lists
	// the other in Conflicts (once), and an accepted side becomes
	// StateConflicted. Both must be stored.
	AddConflict(a, b TxID) error
}
