package dag

// State is what a node holds a transaction to be.
type State uint8

// States a user sees. Accepted, Conflicted, Rejected and Final are stored;
// pending transactions live in the Graph's orphan pool. The numbers are
// part of the protocol (query answers) and of the store format.
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
	// StateFinal: accepted, and decided for good: the network's vote (or,
	// for an uncontested transaction, a quiet period and a successful
	// poll) settled it, and this node never changes it again. Its
	// outputs can be spent.
	StateFinal
)

var stateNames = [...]string{"unknown", "pending", "accepted", "conflicted", "rejected", "final"}

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
func (s State) Accepted() bool {
	return s == StateAccepted || s == StateConflicted || s == StateFinal
}

// Record is what a Store keeps about one transaction.
type Record struct {
	ID  TxID
	Raw []byte // the exact tx.json bytes
	// State is StateAccepted, StateConflicted, StateFinal or StateRejected.
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
	// Digest summarises the ledger: the set of stored IDs (every state)
	// and which of them are accepted (see Accumulator.AddRecord).
	Digest() (Digest, error)
	// Contested calls fn for every stored record with a non-empty
	// Conflicts list, in Seq order.
	Contested(fn func(*Record) bool) error
	// Certificate returns the finality certificate stored for id (opaque
	// bytes, see package vote), or ErrNotFound.
	Certificate(id TxID) ([]byte, error)
}

// WriteTx is a ReadTx that can write.
type WriteTx interface {
	ReadTx
	// Put stores a new transaction. It assigns rec.Seq. If rec.State is
	// accepted (Accepted or Conflicted), Put also marks every p.Prev as
	// spent by p.ID, adds p.Out as unspent outputs, and indexes p under its
	// signer and its outputs' owners, and as a child of its parents.
	// Otherwise (Rejected) it stores the record as evidence only, indexed
	// under its signer and its outputs' owners and, for every p.Prev whose
	// parent is stored, as a claim on that output (see Claims); it spends
	// nothing. Put does not check rules: Graph does.
	Put(p *Parsed, rec *Record) error
	// SetState changes the state of the stored transaction p (as Decode
	// returned it) to st (code
	// is kept for StateRejected and cleared otherwise), keeping its Seq,
	// FirstSeen, Conflicts and history entries:
	//   - between accepted states (Accepted, Conflicted, Final): only the
	//     state changes;
	//   - from an accepted state to Rejected: none of its outputs may be
	//     spent by an accepted transaction (reject the children first).
	//     Its prevs become unspent again, its outputs are no longer
	//     outputs of an accepted tx (Output, Unspent, UnspentOf), it
	//     leaves its parents' Children, and it becomes a claim on each
	//     prev whose parent is stored, as a Put of a rejected record;
	//   - from Rejected to an accepted state: every prev must be an
	//     unspent output of an accepted transaction. It spends them, its
	//     outputs become unspent, it is a child of its parents, and its
	//     claims are removed, as a Put of an accepted record.
	// A Final record never changes: SetState on it fails, as does any
	// unmet condition above (nothing is written then). Like Put it checks
	// no rules beyond these.
	SetState(p *Parsed, st State, code ErrorCode) error
	// PutCertificate stores (or replaces) the finality certificate of the
	// stored transaction id.
	PutCertificate(id TxID, cert []byte) error
	// AddConflict records that a and b spend a common output: each lists
	// the other in Conflicts (once), and an accepted side becomes
	// StateConflicted. Both must be stored.
	AddConflict(a, b TxID) error
}

// StoredRaw returns the tx.json bytes of the stored transaction id (an
// error wrapping ErrNotFound if there is none).
func StoredRaw(s Store, id TxID) ([]byte, error) {
	var raw []byte
	err := s.View(func(r ReadTx) error {
		rec, err := r.Get(id)
		if err == nil {
			raw = rec.Raw
		}
		return err
	})
	return raw, err
}
