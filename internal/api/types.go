package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// Request and response bodies, shared by Server and Client. Amounts are
// Amount values (decimal and base-unit strings); IDs are 64 lowercase hex
// characters; times are RFC 3339.

// Amount is a dag.Amount in JSON: {"ttx":"1.5","units":"150000000"}. Both
// are strings, so no JSON reader turns money into a float.
type Amount dag.Amount

type amountJSON struct {
	TTX   string `json:"ttx"`
	Units string `json:"units"`
}

// MarshalJSON implements json.Marshaler.
func (a Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(amountJSON{TTX: dag.Amount(a).String(), Units: strconv.FormatUint(uint64(a), 10)})
}

// UnmarshalJSON implements json.Unmarshaler. It needs both fields, and
// they must agree.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var j amountJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("decode amount: %w", err)
	}
	d, err := dag.ParseAmount(j.TTX)
	if err != nil {
		return fmt.Errorf("decode amount %q: %w", j.TTX, err)
	}
	u, err := strconv.ParseUint(j.Units, 10, 64)
	if err != nil || strconv.FormatUint(u, 10) != j.Units {
		return fmt.Errorf("decode amount: units %q is not a base-10 integer", j.Units)
	}
	if dag.Amount(u) != d {
		return fmt.Errorf("decode amount: ttx %q and units %q disagree", j.TTX, j.Units)
	}
	*a = Amount(d)
	return nil
}

// String returns the decimal TTX amount.
func (a Amount) String() string { return dag.Amount(a).String() }

// ErrorResponse is the body of every error response.
type ErrorResponse struct {
	// Error is a human-readable message.
	Error string `json:"error"`
	// Code is stable: a dag.ErrorCode name ("ErrDoubleSpend") or one of
	// this package's Code constants.
	Code string `json:"code"`
}

// NetworkInfo describes the node's network.
type NetworkInfo struct {
	ID          dag.TxID `json:"id"`
	Name        string   `json:"name"`
	Prefix      string   `json:"prefix"`
	BurnPerByte Amount   `json:"burn_per_byte"`
	PowBits     uint8    `json:"pow_bits"`
	Supply      Amount   `json:"supply"`
}

// Status is GET /v1/status. The server fills Network; the Backend fills the
// rest.
type Status struct {
	Network NetworkInfo `json:"network"`
	// Agent is the node software, e.g. "ttx/0.1.0".
	Agent string `json:"agent"`
	// NodeKey is the node's identity: its Ed25519 node public key in hex
	// (64 characters), which its peers see in its hello.
	NodeKey string `json:"node_key"`
	// StartedAt is when the node started.
	StartedAt time.Time `json:"started_at"`
	// Digest summarises the stored set of IDs ("count/fingerprint"): two
	// nodes with the same digest hold the same transactions.
	Digest string `json:"digest"`
	// Accepted counts the transactions whose outputs can be spent
	// (accepted, conflicted and final); Final counts those of them the
	// network decided for good; Rejected counts stored evidence; Pending
	// counts orphans waiting for parents.
	Accepted uint64 `json:"accepted"`
	Final    uint64 `json:"final"`
	Rejected uint64 `json:"rejected"`
	Pending  int    `json:"pending"`
	// Peers counts connected peers, TTXPeers those speaking the ttx
	// extension on this network, InSync those whose digest equals ours.
	Peers    int `json:"peers"`
	TTXPeers int `json:"ttx_peers"`
	InSync   int `json:"in_sync"`
	// DHTNodes is the size of the DHT routing table.
	DHTNodes int `json:"dht_nodes"`
	// Listen lists the BitTorrent listen addresses.
	Listen []string `json:"listen"`
	// Sync says how far the node is behind the ttx peer that holds the
	// most transactions.
	Sync SyncProgress `json:"sync"`
	// WatchOnly reports a node that follows an address but holds no key:
	// it refuses to send.
	WatchOnly bool `json:"watch_only,omitempty"`
}

// SyncProgress is how far a node is from holding what its peers hold,
// from the transaction counts of their digests (hello and ping).
type SyncProgress struct {
	// Have counts the transactions this node stores (its digest's count);
	// Best is the most any ready ttx peer's digest counts (Have if none
	// counts more); Missing is Best - Have.
	Have    uint64 `json:"have"`
	Best    uint64 `json:"best"`
	Missing uint64 `json:"missing"`
	// Percent is 100 * Have / Best rounded down to a tenth, 100 only once
	// nothing is missing.
	Percent float64 `json:"percent"`
	// Rate is how many transactions a second the node stored over the
	// last half minute; ETASeconds is Missing / Rate rounded up (absent
	// when nothing is missing or nothing arrives).
	Rate       float64 `json:"rate"`
	ETASeconds int64   `json:"eta_seconds,omitempty"`
}

// Funds is an address's unspent outputs of accepted transactions (see
// Backend.Balance), split by whether their transaction is final.
type Funds struct {
	// Final sums the outputs of final transactions: no vote can take them
	// away. NotFinal sums those of accepted and conflicted ones, which a
	// lost vote can still reject.
	Final, NotFinal dag.Amount
	// FinalOutputs and NotFinalOutputs count them.
	FinalOutputs, NotFinalOutputs int
}

// Balance is GET /v1/balance/{addr}.
type Balance struct {
	Address string `json:"address"`
	// Balance sums the address's unspent outputs of accepted, conflicted
	// and final transactions: Final plus NotFinal.
	Balance Amount `json:"balance"`
	// Final sums the outputs of final transactions; NotFinal those of
	// transactions not final yet (accepted or conflicted).
	Final    Amount `json:"final"`
	NotFinal Amount `json:"not_final"`
	// Outputs counts all those outputs, FinalOutputs the final ones.
	Outputs      int `json:"outputs"`
	FinalOutputs int `json:"final_outputs"`
}

// Direction says how a transaction moves an address's money.
const (
	DirReceived = "received" // pays the address; signed by someone else
	DirSent     = "sent"     // signed by the address
)

// HistoryEntry is one transaction of an address's history.
type HistoryEntry struct {
	ID    dag.TxID `json:"id"`
	State string   `json:"state"`
	// Code is the dag.ErrorCode name a rejected transaction failed with
	// ("ErrLostVote" for the losing side of a vote).
	Code string `json:"code,omitempty"`
	// Direction is DirReceived or DirSent.
	Direction string `json:"direction"`
	// Amount is what the address received (DirReceived), or what it paid to
	// others, burn excluded (DirSent).
	Amount Amount `json:"amount"`
	// Burn is the fee burned (DirSent only).
	Burn Amount `json:"burn"`
	// Counterparty is the sender (DirReceived) or the first other
	// recipient (DirSent); empty for the genesis or a send to oneself.
	Counterparty string    `json:"counterparty,omitempty"`
	Memo         string    `json:"memo,omitempty"`
	Time         time.Time `json:"time"`
	FirstSeen    time.Time `json:"first_seen"`
}

// History is GET /v1/history/{addr}: newest first.
type History struct {
	Address string         `json:"address"`
	Entries []HistoryEntry `json:"entries"`
}

// Output is a transaction output.
type Output struct {
	To     string `json:"to"`
	Amount Amount `json:"amount"`
}

// Magnets are a transaction's magnet links: V2 names the v2 infohash (the
// ID, BEP 52 btmh), V1 the v1 alias (btih) for v1-only clients.
type Magnets struct {
	V2 string `json:"v2"`
	V1 string `json:"v1"`
}

// Tx is GET /v1/tx/{id}.
type Tx struct {
	ID dag.TxID `json:"id"`
	// V1 is the v1 infohash (hex), the ID's alias for v1-only clients.
	V1    string `json:"v1"`
	State string `json:"state"`
	// Code is the dag.ErrorCode name a rejected transaction failed with.
	Code      string     `json:"code,omitempty"`
	FirstSeen time.Time  `json:"first_seen"`
	Conflicts []dag.TxID `json:"conflicts"`
	Children  []dag.TxID `json:"children"`
	Genesis   bool       `json:"genesis"`
	From      string     `json:"from,omitempty"`
	Prev      []string   `json:"prev"`
	Out       []Output   `json:"out"`
	Burn      Amount     `json:"burn"`
	Memo      string     `json:"memo,omitempty"`
	Time      time.Time  `json:"time"`
	Size      int        `json:"size"`
	// Raw is the exact tx.json (printable ASCII, so it survives as a
	// JSON string byte for byte).
	Raw    string  `json:"raw"`
	Magnet Magnets `json:"magnet"`
}

// PeerAnswer is one peer's answer to "do you accept this transaction?".
type PeerAnswer struct {
	Peer string `json:"peer"`
	// State is the peer's state for the transaction ("unknown" if it has
	// never seen it); empty if it did not answer.
	State string `json:"state,omitempty"`
	// Conflicts are the double spends the peer knows of.
	Conflicts []dag.TxID `json:"conflicts,omitempty"`
	// Error says why the peer did not answer.
	Error string `json:"error,omitempty"`
}

// TxPeers is GET /v1/tx/{id}/peers.
type TxPeers struct {
	ID dag.TxID `json:"id"`
	// Asked counts the peers asked; Accepted those that answered accepted
	// or conflicted.
	Asked    int `json:"asked"`
	Accepted int `json:"accepted"`
	// Conflict reports whether any peer reported a conflict or rejection.
	Conflict bool `json:"conflict"`
	// Summary reads e.g. "accepted by 3 of 4, no conflict".
	Summary string       `json:"summary"`
	Answers []PeerAnswer `json:"answers"`
}

// Peer is a connected BitTorrent peer.
type Peer struct {
	// Addr is where the peer listens ("ip:port", the port from ListenPort)
	// when that is known, else Conn.
	Addr string `json:"addr"`
	// Conn is the connection's remote address: for a peer that dialled
	// in, its port is usually an ephemeral one.
	Conn string `json:"conn"`
	// Agent is the peer's client, from its handshake.
	Agent string `json:"agent,omitempty"`
	// TTX reports whether the peer speaks the ttx extension.
	TTX bool `json:"ttx"`
	// NodeKey is the node key a ttx peer's hello claimed, in hex (64
	// characters); empty for other peers.
	NodeKey string `json:"node_key,omitempty"`
	// Inbound reports whether the peer connected to us.
	Inbound bool `json:"inbound"`
	// ListenPort is where the peer accepts connections (a ttx peer's hello
	// says; otherwise the BitTorrent handshake or the port we dialled);
	// 0 if unknown.
	ListenPort int `json:"listen_port,omitempty"`
	// Digest is the peer's last reported digest; InSync whether it equals
	// ours.
	Digest      string    `json:"digest,omitempty"`
	InSync      bool      `json:"in_sync"`
	ConnectedAt time.Time `json:"connected_at"`
	// DownRate and UpRate are the connection's transfer rates in bytes per
	// second.
	DownRate int64 `json:"down_rate"`
	UpRate   int64 `json:"up_rate"`
}

// Peers is GET /v1/peers.
type Peers struct {
	Peers []Peer `json:"peers"`
}

// SendRequest is the body of POST /v1/send.
type SendRequest struct {
	// To is the recipient's address on the node's network.
	To string `json:"to"`
	// Amount is a decimal TTX string such as "1.5", never a JSON number.
	Amount string `json:"amount"`
	Memo   string `json:"memo,omitempty"`
}

// SendResponse is the answer to POST /v1/send and POST /v1/faucet.
type SendResponse struct {
	ID dag.TxID `json:"id"`
}

// SubmitResponse is the answer to POST /v1/tx.
type SubmitResponse struct {
	ID dag.TxID `json:"id"`
	// State is the transaction's state on the node: accepted, conflicted
	// or final, or pending while it waits for the parents in Missing.
	State string `json:"state"`
	// Known reports that the node held it already.
	Known   bool       `json:"known"`
	Missing []dag.TxID `json:"missing,omitempty"`
}

// FaucetRequest is the body of POST /v1/faucet.
type FaucetRequest struct {
	To string `json:"to"`
}

// ImportResult is the answer to POST /v1/proof.
type ImportResult struct {
	// ID is the proven transaction.
	ID dag.TxID `json:"id"`
	// State is its state on the node after the import. Code, for a
	// rejected one, says why (ErrDoubleSpend: the node holds another
	// spend of the same coins, and the vote decides between them).
	State string `json:"state"`
	Code  string `json:"code,omitempty"`
	// Added counts the transactions the node did not have before.
	Added int `json:"added"`
	// Final reports whether the proof shows the proven transaction final
	// (proofs.Proof.Final, counting every node key); NotFinal says why
	// not. Votes and Keys count its certificate's votes for it and the
	// distinct node keys that cast them.
	Final    bool   `json:"final"`
	NotFinal string `json:"not_final,omitempty"`
	Votes    int    `json:"votes"`
	Keys     int    `json:"keys"`
}

// DAGNode is one transaction of a DAG slice.
type DAGNode struct {
	ID    dag.TxID `json:"id"`
	Seq   uint64   `json:"seq"`
	State string   `json:"state"`
	// From is the signer's address (empty for the genesis).
	From string `json:"from,omitempty"`
	// Amount sums the outputs (change included).
	Amount  Amount    `json:"amount"`
	Genesis bool      `json:"genesis"`
	Time    time.Time `json:"time"`
	// Conflicts are the txs that spend an output this one spends, whether
	// or not they are in the slice.
	Conflicts []dag.TxID `json:"conflicts,omitempty"`
}

// DAGEdge is a spend: To spends output Index of From.
type DAGEdge struct {
	From  dag.TxID `json:"from"`
	To    dag.TxID `json:"to"`
	Index uint32   `json:"index"`
}

// DAG is GET /v1/dag: the most recent transactions (by arrival) and the
// spend edges between them, both ends inside the slice.
type DAG struct {
	Nodes []DAGNode `json:"nodes"`
	Edges []DAGEdge `json:"edges"`
}

// Address is GET /v1/address: the node wallet's address.
type Address struct {
	Address string `json:"address"`
	Network string `json:"network"`
}
