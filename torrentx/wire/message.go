package wire

import (
	"fmt"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/recon"
)

// Protocol constants.
const (
	// ExtensionName is the BEP 10 extension name the messages travel under.
	ExtensionName = "ttx"
	// ProtocolVersion is the version this package speaks. Peers speak the
	// lower of their two versions. Version 2 added the hello's node key,
	// version 3 the poll and votes messages, version 4 the poll's IDs,
	// version 5 short IDs.
	ProtocolVersion = 5
	// NodeKeyVersion is the first version whose hello carries a node key.
	NodeKeyVersion = 2
	// VoteVersion is the first version that answers polls with votes.
	VoteVersion = 3
	// PollIDsVersion is the first version whose polls may name the sides
	// by ID (Poll.IDs) instead of carrying their bytes.
	PollIDsVersion = 4
	// ShortIDVersion is the first version whose hello carries a salt and
	// whose inv, want and notfound may name transactions by ShortID.
	ShortIDVersion = 5
	// MaxMessageSize bounds an encoded message. anacrolix/torrent drops a
	// connection whose extended message exceeds 65,534 bytes of payload.
	MaxMessageSize = 65000
	// MaxIDs bounds the IDs of an inv, want, notfound or query (full and
	// short IDs together), and the statuses of an answer.
	MaxIDs = 1000
	// MaxAgentSize bounds a hello's agent string.
	MaxAgentSize = 64
	// MaxConflicts bounds the conflicts listed in one status.
	MaxConflicts = 16
	// MaxReconSize is the MaxMessageSize for the recon.Message inside a
	// recon query or reply (recon.Config.MaxMessageSize).
	MaxReconSize = MaxMessageSize - reconOverhead
	// MaxPollOuts bounds the outputs one poll asks about.
	MaxPollOuts = 1024
	// MaxPollTxs bounds the transactions a poll carries.
	MaxPollTxs = 64
	// MaxPollIDs bounds the transaction IDs a poll names.
	MaxPollIDs = MaxIDs
	// MaxBatchSize bounds the signed batch of a votes message: what is
	// left of MaxMessageSize around it.
	MaxBatchSize = MaxMessageSize - votesOverhead
	// OutPointSize is an output's size in a poll: its transaction's ID and
	// its index as a big-endian uint32.
	OutPointSize = dag.TxIDSize + 4
)

// Sizes for packing messages under MaxMessageSize: a tx message of entries
// whose TxEntrySize sum to at most MaxMessageSize-TxOverhead fits, and so
// does an answer whose StatusSize sum to at most
// MaxMessageSize-AnswerOverhead.
const (
	// TxOverhead is the most a tx message adds around its entries.
	TxOverhead = 1 + 2 + 1 + 3
	// AnswerOverhead is the most an answer adds around its statuses.
	AnswerOverhead = 1 + 2 + 1 + 9 + 1 + 3
	// reconOverhead is the most a recon query or reply adds around its
	// recon.Message: map, type, session.
	reconOverhead = 1 + 2 + 1 + 9 + 1
	// PollOverhead is the most a poll adds around its outputs (each
	// OutPointSize), its IDs (each dag.TxIDSize) and its transactions
	// (each PollTxSize): map, type, req, the outputs' and the IDs' byte
	// string heads, the transactions' array head.
	PollOverhead = 1 + 2 + 1 + 9 + 1 + 3 + 1 + 3 + 1 + 3
	// votesOverhead is the most a votes message adds around its batch:
	// map, type, req, the batch's byte string head.
	votesOverhead = 1 + 2 + 1 + 9 + 1 + 3
)

// TxEntrySize is the most a TxEntry with raw bytes of length n takes.
func TxEntrySize(n int) int { return 1 + 2 + dag.TxIDSize + 3 + n }

// StatusSize is the most a Status with n conflicts takes.
func StatusSize(n int) int { return 1 + 2 + dag.TxIDSize + 1 + 2 + 3 + n*dag.TxIDSize }

// PollTxSize is the most a poll's transaction of n bytes takes.
func PollTxSize(n int) int { return 3 + n }

// Type identifies a message. The numbers are part of the protocol.
type Type uint8

// Message types.
const (
	TypeHello Type = iota + 1
	TypeInv
	TypeWant
	TypeTx
	TypeNotFound
	TypeQuery
	TypeAnswer
	TypePing
	TypePong
	TypeReconQuery
	TypeReconReply
	TypePoll
	TypeVotes
	maxType
)

var typeNames = [...]string{
	TypeHello: "hello", TypeInv: "inv", TypeWant: "want", TypeTx: "tx",
	TypeNotFound: "notfound", TypeQuery: "query", TypeAnswer: "answer",
	TypePing: "ping", TypePong: "pong", TypeReconQuery: "reconquery",
	TypeReconReply: "reconreply", TypePoll: "poll", TypeVotes: "votes",
}

// String returns the type's lowercase name.
func (t Type) String() string {
	if t > 0 && t < maxType {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Message is one of the message types of this package.
type Message interface {
	// Type returns the message's type.
	Type() Type
	// frame returns the message's fields for encoding.
	frame() *frame
}

// Hello opens the conversation; each side sends it first.
type Hello struct {
	// Version is the highest protocol version the sender speaks (>= 1).
	Version uint64
	// Network is the ID of the sender's network (its genesis tx).
	Network dag.TxID
	// Digest summarises the sender's stored IDs.
	Digest dag.Digest
	// Agent names the sender's software, printable ASCII, at most
	// MaxAgentSize bytes.
	Agent string
	// ListenPort is the sender's BitTorrent listen port, 0 if unknown.
	ListenPort uint16
	// NodeKey is the sender's Ed25519 node public key: required from
	// NodeKeyVersion on, absent before. It is a claim, not a proof: what a
	// node signs with it (votes) is checked against it, the hello is not.
	NodeKey dag.PubKey
	// Salt is a random number the sender chose for this connection:
	// required (not zero) from ShortIDVersion on, absent before. The two
	// hellos' salts key the connection's short IDs (NewShortKey).
	Salt uint64
}

// Inv announces IDs the sender holds: by full ID, or (ShortIDVersion) by
// short ID on this connection.
type Inv struct {
	IDs   []dag.TxID
	Short []ShortID
}

// Want asks for the bytes of IDs (the peer answers with tx messages, and
// notfound for the ones it does not hold). Short names transactions the
// peer announced by short ID on this connection.
type Want struct {
	IDs   []dag.TxID
	Short []ShortID
}

// Tx carries transactions. The receiver recomputes each ID from the bytes;
// an entry whose bytes do not hash to its ID is a protocol violation.
type Tx struct{ Txs []TxEntry }

// TxEntry is one transaction: the ID it is sent as and its tx.json bytes.
type TxEntry struct {
	ID  dag.TxID
	Raw []byte
}

// NotFound lists wanted IDs the sender does not hold, and wanted short IDs
// it cannot map to a transaction it announced.
type NotFound struct {
	IDs   []dag.TxID
	Short []ShortID
}

// Query asks what the peer holds the IDs to be; it answers with answer
// messages carrying the same Nonce, one Status per ID in all.
type Query struct {
	Nonce uint64
	IDs   []dag.TxID
}

// Answer answers a Query, possibly over several messages.
type Answer struct {
	Nonce    uint64
	Statuses []Status
}

// Status is what a node holds one transaction to be.
type Status struct {
	ID    dag.TxID
	State dag.State
	// Code is why, when State is rejected.
	Code dag.ErrorCode
	// Conflicts lists known double spends of the transaction (at most
	// MaxConflicts).
	Conflicts []dag.TxID
}

// Ping asks for a Pong with the same Nonce. It keeps idle connections
// open and, as the peer handles messages in order, tells the sender that
// everything it sent before was processed. Digest is the sender's.
type Ping struct {
	Nonce  uint64
	Digest dag.Digest
}

// Pong answers a Ping; Digest is the sender's.
type Pong struct {
	Nonce  uint64
	Digest dag.Digest
}

// ReconQuery carries a reconciliation query (recon.Session) of session
// Session.
type ReconQuery struct {
	Session uint64
	Msg     recon.Message
}

// ReconReply carries the reply (recon.Respond) to a ReconQuery of the same
// Session.
type ReconReply struct {
	Session uint64
	Msg     recon.Message
}

// Poll asks a peer which side it prefers for each of Outs (outputs spent
// by conflicting transactions); it answers with one Votes of the same
// Req. IDs (version 4) names the sides, so that a peer that has not seen
// the conflict learns of them: the receiver treats them as an inv from
// the poller and wants those it lacks. Txs optionally carries the
// tx.json bytes of the sides instead (what a version 3 peer is sent):
// the receiver adds them to its ledger as it does pushed transactions
// before it considers the poll.
type Poll struct {
	Req uint64
	// Outs are 1..MaxPollOuts distinct outputs.
	Outs []dag.OutPoint
	// IDs are 0..MaxPollIDs distinct transaction IDs.
	IDs []dag.TxID
	// Txs are 0..MaxPollTxs transactions of 1..dag.MaxTxSize bytes.
	Txs [][]byte
}

// Votes answers the Poll of the same Req. Batch is a signed batch of
// votes, 1..MaxBatchSize bytes, whose format package vote defines; this
// package does not read it.
type Votes struct {
	Req   uint64
	Batch []byte
}

// Type returns TypeHello.
func (*Hello) Type() Type { return TypeHello }

// Type returns TypeInv.
func (*Inv) Type() Type { return TypeInv }

// Type returns TypeWant.
func (*Want) Type() Type { return TypeWant }

// Type returns TypeTx.
func (*Tx) Type() Type { return TypeTx }

// Type returns TypeNotFound.
func (*NotFound) Type() Type { return TypeNotFound }

// Type returns TypeQuery.
func (*Query) Type() Type { return TypeQuery }

// Type returns TypeAnswer.
func (*Answer) Type() Type { return TypeAnswer }

// Type returns TypePing.
func (*Ping) Type() Type { return TypePing }

// Type returns TypePong.
func (*Pong) Type() Type { return TypePong }

// Type returns TypeReconQuery.
func (*ReconQuery) Type() Type { return TypeReconQuery }

// Type returns TypeReconReply.
func (*ReconReply) Type() Type { return TypeReconReply }

// Type returns TypePoll.
func (*Poll) Type() Type { return TypePoll }

// Type returns TypeVotes.
func (*Votes) Type() Type { return TypeVotes }
