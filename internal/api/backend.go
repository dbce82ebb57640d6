package api

import (
	"context"

	"github.com/torrenttx/ttx/dag"
)

// Backend is what the Server needs from a node (internal/node implements
// it). The Server parses every input (IDs, addresses, amounts, limits)
// before it calls the Backend, and formats every answer; the Backend looks
// things up and acts, and the rules of what it does are its own: the
// wallet checks a send (amount, memo), the ledger a transaction.
//
// Errors (wrapped or not) map to responses: an *Error is sent as it is
// (see NewError); a *proofs.ProofError is 400 ErrInvalidProof;
// proofs.ErrNotAccepted 409; wallet.ErrInsufficientFunds and
// ErrTooManyInputs 422, its memo and zero-amount errors 400; a
// dag.RuleError 400 (409 for ErrDoubleSpend) with its code name;
// dag.ErrNotFound 404; anything else is the node's own fault: 500.
//
// Methods may be called concurrently, and must return when ctx is done.
type Backend interface {
	// Network returns the node's network. It never changes.
	Network() *dag.Network
	// Status reports the node's state. The Server fills Status.Network.
	Status(ctx context.Context) (*Status, error)
	// Balance sums owner's unspent outputs of accepted (accepted,
	// conflicted and final) transactions and counts them, final ones apart.
	Balance(ctx context.Context, owner dag.PubKey) (Funds, error)
	// History returns up to limit stored records (accepted, conflicted,
	// final or rejected) of transactions that pay owner or are signed by it, newest
	// first. Pending transactions wait for unknown ancestors, so nothing
	// about them is known to be anyone's money yet; they are not listed.
	History(ctx context.Context, owner dag.PubKey, limit int) ([]*dag.Record, error)
	// Tx returns the record of id (StatePending for an orphan) and the
	// accepted transactions that spend its outputs, or dag.ErrNotFound.
	Tx(ctx context.Context, id dag.TxID) (*dag.Record, []dag.TxID, error)
	// AskPeers asks peers whether they accept id: the trusted addresses if
	// any are given ("host:port"), else the connected ttx peers. One answer
	// per peer asked; a peer that fails to answer has Error set.
	AskPeers(ctx context.Context, id dag.TxID, trusted []string) ([]PeerAnswer, error)
	// Peers lists the connected peers.
	Peers(ctx context.Context) ([]Peer, error)
	// Send builds, signs and adds a transaction paying amount (> 0) to to
	// from the node's wallet, with memo (printable ASCII, at most the
	// network's max_memo), and announces it.
	Send(ctx context.Context, to dag.PubKey, amount dag.Amount, memo string) (dag.TxID, error)
	// Submit adds a transaction signed elsewhere (raw tx.json bytes that
	// the Server decoded and checked with CheckSanity) and announces it.
	// The Result says what the ledger made of it; a rejected one carries
	// its dag.RuleError in Result.Err.
	Submit(ctx context.Context, raw []byte) (dag.Result, error)
	// Faucet sends test coins to to from the network's faucet key, if the
	// node has one.
	Faucet(ctx context.Context, to dag.PubKey) (dag.TxID, error)
	// ExportProof returns the proof file (.torrent bytes) of id; see
	// proofs.Export. dag.ErrNotFound if id is not stored.
	ExportProof(ctx context.Context, id dag.TxID) ([]byte, error)
	// ImportProof verifies a proof file (at most proofs.MaxSize bytes, see
	// proofs.Import) and adds its transactions; return Verify's
	// *proofs.ProofError as is for a proof that does not verify.
	ImportProof(ctx context.Context, proof []byte) (*ImportResult, error)
	// Recent returns the last limit stored records by arrival (Seq), newest
	// first.
	Recent(ctx context.Context, limit int) ([]*dag.Record, error)
	// Wallet returns the public key of the node's wallet.
	Wallet(ctx context.Context) (dag.PubKey, error)
}
