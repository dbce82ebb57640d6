package dag

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Protocol limits that no network can raise.
const (
	// MaxTxSize is the largest tx.json: one 16 KiB piece and block.
	MaxTxSize = 16 << 10
	// TxVersion is the only transaction format version.
	TxVersion = 1
	// HardMaxPrev, HardMaxOut and HardMaxMemo bound what a genesis may set
	// as its max_prev, max_out and max_memo.
	HardMaxPrev = 1000
	HardMaxOut  = 1000
	HardMaxMemo = 4096
)

// Tx mirrors tx.json. Its canonical encoding is encoding/json's output for
// this struct with HTML escaping off and no trailing newline: fields in this
// order, no insignificant whitespace, omitted fields absent. Only printable
// ASCII (0x20-0x7e) may appear, and strings escape only '"' and '\' (as \"
// and \\), so free text such as Memo is printable ASCII too. Decode rejects
// any other byte form.
type Tx struct {
	// Version is TxVersion.
	Version int `json:"v"`
	// Genesis is set only in a network's genesis transaction.
	Genesis *Params `json:"genesis,omitempty"`
	// From is the signer's address; every prev output belongs to it.
	From string `json:"from,omitempty"`
	// Prev lists the spent outputs as "<txid>:<index>".
	Prev []string `json:"prev,omitempty"`
	// Out lists the new outputs: payment first, change after.
	Out []Output `json:"out"`
	// Burn is destroyed: sum(prev) = sum(out) + burn.
	Burn Amount `json:"burn"`
	// Memo is free printable text, at most the network's max_memo bytes.
	Memo string `json:"memo,omitempty"`
	// Time is the creation time in Unix seconds, as the signer claims it.
	Time int64 `json:"time"`
	// Nonce is the proof-of-work counter (networks with pow_bits > 0).
	Nonce uint64 `json:"nonce,omitempty"`
	// Sig is the Ed25519 signature over SigningBytes, 128 lowercase hex.
	Sig string `json:"sig,omitempty"`
}

// Output is one entry of Tx.Out.
type Output struct {
	To     string `json:"to"`
	Amount Amount `json:"amount"`
}

// Params are a network's parameters, carried by its genesis transaction.
type Params struct {
	// Name is the network's human name, e.g. "ttx-testnet".
	Name string `json:"name"`
	// Prefix is the bech32m human-readable part of its addresses.
	Prefix string `json:"prefix"`
	// BurnPerByte is the minimum burn per byte of tx.json (0: feeless).
	BurnPerByte Amount `json:"burn_per_byte"`
	// PowBits is the leading zero bits a transaction's work hash needs.
	PowBits uint8 `json:"pow_bits"`
	// MaxPrev, MaxOut and MaxMemo bound a transaction.
	MaxPrev int `json:"max_prev"`
	MaxOut  int `json:"max_out"`
	MaxMemo int `json:"max_memo"`
}

// Parsed is a decoded transaction: the raw bytes, the IDs derived from them,
// and its fields in binary form. Decode fills it; nothing in it is trusted
// from a peer.
type Parsed struct {
	TxIDs
	Raw  []byte
	Tx   Tx
	From PubKey // zero in a genesis
	Prev []OutPoint
	Out  []TxOut
	Sig  []byte
	// Prefix is the address prefix every address in the tx uses.
	Prefix string
}

// TxOut is an output in binary form.
type TxOut struct {
	Owner  PubKey
	Amount Amount
}

// IsGenesis reports whether p is shaped as a genesis transaction.
func (p *Parsed) IsGenesis() bool { return p.Tx.Genesis != nil }

// Encode returns the canonical tx.json bytes of tx.
func Encode(tx *Tx) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tx); err != nil {
		return nil, fmt.Errorf("encode tx: %w", err)
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // drop Encoder's newline
}

// Decode parses raw strictly: it must be the canonical encoding of a Tx
// (re-encoding gives the same bytes, which readTx checks without encoding),
// of at most MaxTxSize bytes, with well-formed addresses, outpoints and
// signature. It derives the IDs from the bytes. It checks no signature and
// nothing that needs the network or the ledger (see Network.CheckSanity and
// Graph). Errors are RuleErrors. The Parsed keeps raw itself, not a copy:
// the caller must not modify it. It remembers the addresses it has checked
// (decoded).
func Decode(raw []byte) (*Parsed, error) {
	return decoded.decode(raw, nil)
}

// decoded is the memory of addresses that Decode and every Graph share:
// the ledger re-reads stored transactions (to make them final, to vote on
// their inputs) whose addresses were checked when they came in.
var decoded decoder

// decoder is Decode with a memory of the addresses it has checked: bech32m
// decoding of an address costs more than the rest of a transaction, and
// the same addresses recur (a wallet's change, the payees of a shop). It
// holds at most 4,096 addresses, forgetting the oldest first. The zero
// decoder is ready; it is safe for concurrent use. A nil *decoder decodes
// like Decode.
type decoder struct {
	addrs [addrShards]addrShard
}

const (
	addrShards   = 16
	addrShardMax = 256
)

// addrShard is one part of a decoder's memory.
type addrShard struct {
	mu sync.Mutex
	m  *fifo[string, decodedAddress] // nil until the first address
}

type decodedAddress struct {
	prefix string
	key    PubKey
}

// decode is Decode with raw's IDs, if the caller has them already (nil:
// compute them).
func (d *decoder) decode(raw []byte, ids *TxIDs) (*Parsed, error) {
	if err := checkSize(raw); err != nil {
		return nil, err
	}
	p := &Parsed{Raw: raw}
	if err := readTx(raw, &p.Tx); err != nil {
		return nil, err
	}
	if err := p.parseFields(d); err != nil {
		return nil, err
	}
	if ids != nil {
		p.TxIDs = *ids
	} else {
		p.TxIDs = IDs(raw)
	}
	return p, nil
}

// smallPrev is the most prevs that parseFields checks for duplicates by
// comparing each with those before it rather than with a map.
const smallPrev = 16

func (p *Parsed) parseFields(d *decoder) error {
	tx := &p.Tx
	if tx.Version != TxVersion {
		return ruleError(ErrBadField, "version %d, want %d", tx.Version, TxVersion)
	}
	if tx.Time <= 0 || tx.Time >= 1<<40 {
		return ruleError(ErrBadField, "time %d is out of range", tx.Time)
	}
	if len(tx.Out) == 0 {
		return ruleError(ErrBadField, "no outputs")
	}
	if len(tx.Out) > HardMaxOut || len(tx.Prev) > HardMaxPrev || len(tx.Memo) > HardMaxMemo {
		return ruleError(ErrBadField, "too many outputs, prevs or memo bytes")
	}
	if tx.Genesis != nil {
		if tx.From != "" || len(tx.Prev) != 0 || tx.Sig != "" || tx.Nonce != 0 || tx.Burn != 0 {
			return ruleError(ErrGenesis, "a genesis has no from, prev, sig, nonce or burn")
		}
		if err := tx.Genesis.Validate(); err != nil {
			return err
		}
		p.Prefix = tx.Genesis.Prefix
	} else {
		if len(tx.Prev) == 0 {
			return ruleError(ErrBadField, "no prev: only a genesis creates money")
		}
		hrp, pk, err := d.address(tx.From)
		if err != nil {
			return err
		}
		p.From, p.Prefix = pk, hrp
		if len(tx.Sig) != 2*ed25519.SignatureSize || !isLowerHex(tx.Sig) {
			return ruleError(ErrBadField, "sig must be %d lowercase hex characters", 2*ed25519.SignatureSize)
		}
		p.Sig, _ = hex.DecodeString(tx.Sig)
		p.Prev = make([]OutPoint, len(tx.Prev))
		var seen map[OutPoint]struct{} // for many prevs; a few are compared in a loop
		if len(tx.Prev) > smallPrev {
			seen = make(map[OutPoint]struct{}, len(tx.Prev))
		}
		for i, s := range tx.Prev {
			op, err := ParseOutPoint(s)
			if err != nil {
				return ruleError(ErrBadField, "prev %d: %v", i, err)
			}
			dup := false
			if seen != nil {
				_, dup = seen[op]
				seen[op] = struct{}{}
			} else {
				dup = slices.Contains(p.Prev[:i], op)
			}
			if dup {
				return ruleError(ErrDuplicatePrev, "prev %s is listed twice", s)
			}
			p.Prev[i] = op
		}
	}
	p.Out = make([]TxOut, len(tx.Out))
	var sum Amount
	for i, o := range tx.Out {
		hrp, pk, err := d.address(o.To)
		if err != nil {
			return err
		}
		if hrp != p.Prefix {
			return ruleError(ErrBadAddress, "output %d is for prefix %q, the tx for %q", i, hrp, p.Prefix)
		}
		if o.Amount == 0 {
			return ruleError(ErrBadAmount, "output %d is zero", i)
		}
		if sum, err = sum.Add(o.Amount); err != nil {
			return ruleError(ErrBadAmount, "outputs overflow")
		}
		p.Out[i] = TxOut{Owner: pk, Amount: o.Amount}
	}
	if _, err := sum.Add(tx.Burn); err != nil {
		return ruleError(ErrBadAmount, "outputs plus burn overflow")
	}
	return nil
}

// address decodes a canonical (lowercase) bech32m address of any valid
// prefix and returns the prefix and the key, from d's memory if it holds
// the address.
func (d *decoder) address(s string) (string, PubKey, error) {
	if d == nil || s == "" {
		return decodeAddress(s)
	}
	sh := &d.addrs[int(s[len(s)-1])%addrShards]
	sh.mu.Lock()
	var a decodedAddress
	ok := false
	if sh.m != nil {
		a, ok = sh.m.get(s)
	}
	sh.mu.Unlock()
	if ok {
		return a.prefix, a.key, nil
	}
	prefix, key, err := decodeAddress(s)
	if err != nil {
		return "", key, err
	}
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = newFIFO[string, decodedAddress](addrShardMax)
	}
	// A copy: s shares its memory with the whole transaction.
	sh.m.add(strings.Clone(s), decodedAddress{prefix, key})
	sh.mu.Unlock()
	return prefix, key, nil
}

// decodeAddress decodes a canonical (lowercase) bech32m address of any
// valid prefix and returns the prefix and the key.
func decodeAddress(s string) (string, PubKey, error) {
	hrp := AddressPrefix(s)
	if !ValidPrefix(hrp) {
		return "", PubKey{}, ruleError(ErrBadAddress, "address %q has no valid prefix", s)
	}
	pk, err := ParseAddress(s, hrp)
	if err != nil {
		return "", pk, err
	}
	if pk.Address(hrp) != s {
		return "", pk, ruleError(ErrBadAddress, "address %q is not in canonical lowercase form", s)
	}
	return hrp, pk, nil
}

// Total returns sum(out) + burn. Decode has checked that it fits.
func (p *Parsed) Total() Amount {
	t := p.Tx.Burn
	for _, o := range p.Out {
		t += o.Amount
	}
	return t
}

// Validate checks genesis parameters.
func (pr *Params) Validate() error {
	if pr.Name == "" || len(pr.Name) > 64 || !IsPrintable(pr.Name) {
		return ruleError(ErrGenesis, "network name must be 1 to 64 printable ASCII characters")
	}
	if !ValidPrefix(pr.Prefix) {
		return ruleError(ErrGenesis, "network prefix %q must be 1-16 lowercase letters or digits, starting with a letter", pr.Prefix)
	}
	if pr.PowBits > 32 {
		return ruleError(ErrGenesis, "pow_bits %d is above 32", pr.PowBits)
	}
	if pr.MaxPrev < 1 || pr.MaxPrev > HardMaxPrev || pr.MaxOut < 1 || pr.MaxOut > HardMaxOut || pr.MaxMemo < 0 || pr.MaxMemo > HardMaxMemo {
		return ruleError(ErrGenesis, "limits out of range: max_prev 1..%d, max_out 1..%d, max_memo 0..%d", HardMaxPrev, HardMaxOut, HardMaxMemo)
	}
	return nil
}

// IsPrintable reports whether s is printable ASCII (0x20-0x7e) only: the
// one character set of tx.json's free text (memo, network name).
func IsPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
