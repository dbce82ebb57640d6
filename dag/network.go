package dag

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// sigDomain starts the signing bytes, so a ttx signature can never be
// mistaken for a signature over anything else.
const sigDomain = "ttx-sig-v1\x00"

// sigSuffixLen is the length of `,"sig":"<128 hex>"}` that ends a signed
// canonical tx.json.
const sigSuffixLen = len(`,"sig":"`) + 2*ed25519.SignatureSize + len(`"}`)

// Network is a ttx network: its genesis transaction, whose ID is the
// network ID, and the parameters the genesis carries.
type Network struct {
	ID      TxID
	Params  Params
	Genesis *Parsed
}

// NewNetwork loads a network from its genesis tx.json.
func NewNetwork(genesisRaw []byte) (*Network, error) {
	p, err := Decode(genesisRaw)
	if err != nil {
		return nil, fmt.Errorf("load genesis: %w", err)
	}
	if !p.IsGenesis() {
		return nil, fmt.Errorf("load genesis: %w", ruleError(ErrGenesis, "transaction %s has no genesis parameters", p.ID))
	}
	return &Network{ID: p.ID, Params: *p.Tx.Genesis, Genesis: p}, nil
}

// Address encodes pk with the network's address prefix.
func (n *Network) Address(pk PubKey) string { return pk.Address(n.Params.Prefix) }

// ParseAddress decodes an address of this network.
func (n *Network) ParseAddress(s string) (PubKey, error) { return ParseAddress(s, n.Params.Prefix) }

// Supply returns the amount the genesis mints.
func (n *Network) Supply() Amount { return n.Genesis.Total() }

// SigningBytes returns what a transaction's signature covers: a domain tag,
// the network ID, and the canonical encoding of every field but sig.
func SigningBytes(netID TxID, tx *Tx) ([]byte, error) {
	unsigned := *tx
	unsigned.Sig = ""
	body, err := Encode(&unsigned)
	if err != nil {
		return nil, err
	}
	return signingBytes(netID, body), nil
}

func signingBytes(netID TxID, body []byte) []byte {
	b := make([]byte, 0, len(sigDomain)+TxIDSize+len(body))
	b = append(b, sigDomain...)
	b = append(b, netID[:]...)
	return append(b, body...)
}

// parsedSigningBytes derives the signing bytes from a decoded, signed tx
// without re-encoding: canonical form puts sig last.
func (n *Network) parsedSigningBytes(p *Parsed) []byte {
	body := make([]byte, 0, len(p.Raw)-sigSuffixLen+1)
	body = append(body, p.Raw[:len(p.Raw)-sigSuffixLen]...)
	body = append(body, '}')
	return signingBytes(n.ID, body)
}

// workBits returns the number of leading zero bits of SHA-256(msg).
func workBits(msg []byte) int {
	h := sha256.Sum256(msg)
	return leadingZeros(h[:])
}

// Sign completes tx for this network with key: it sets From, finds a proof
// of work nonce if the network asks for one (nonce 0, which canonical form
// omits, then 1, 2, ...), signs, and returns the canonical bytes. It stops
// early when ctx is done (only proof of work takes long).
func (n *Network) Sign(ctx context.Context, tx *Tx, key ed25519.PrivateKey) ([]byte, error) {
	var pk PubKey
	copy(pk[:], key.Public().(ed25519.PublicKey))
	tx.From = n.Address(pk)
	tx.Sig = ""
	tx.Nonce = 0
	msg, err := SigningBytes(n.ID, tx)
	if err != nil {
		return nil, err
	}
	if need := int(n.Params.PowBits); workBits(msg) < need {
		tx.Nonce = 1
		body, err := Encode(tx)
		if err != nil {
			return nil, err
		}
		if tx.Nonce, err = n.solve(ctx, body, need); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		if msg, err = SigningBytes(n.ID, tx); err != nil {
			return nil, err
		}
	}
	tx.Sig = hex.EncodeToString(ed25519.Sign(key, msg))
	return Encode(tx)
}

// CheckSanity applies every rule that needs the network but not the ledger:
// address prefixes, limits, burn, proof of work and the signature (VerifySig).
// A genesis passes only if it is this network's own. Errors are RuleErrors.
func (n *Network) CheckSanity(p *Parsed) error {
	msg, err := n.checkUnsigned(p)
	if err != nil || msg == nil {
		return err
	}
	if !VerifySig(p.From, msg, p.Sig) {
		return n.badSignature(p)
	}
	return nil
}

// badSignature is CheckSanity's error for p's signature.
func (n *Network) badSignature(p *Parsed) error {
	return ruleError(ErrBadSignature, "signature does not verify for %s on network %s", p.Tx.From, n.ID)
}

// checkUnsigned is CheckSanity but the signature: it returns the signing
// bytes to verify it over, or nil for this network's genesis, which is not
// signed.
func (n *Network) checkUnsigned(p *Parsed) ([]byte, error) {
	pr := &n.Params
	if p.IsGenesis() {
		if p.ID != n.ID {
			return nil, ruleError(ErrGenesis, "genesis %s is not this network's (%s)", p.ID, n.ID)
		}
		return nil, nil
	}
	if p.Prefix != pr.Prefix {
		return nil, ruleError(ErrBadAddress, "addresses use prefix %q, this network uses %q", p.Prefix, pr.Prefix)
	}
	if len(p.Prev) > pr.MaxPrev || len(p.Out) > pr.MaxOut || len(p.Tx.Memo) > pr.MaxMemo {
		return nil, ruleError(ErrBadField, "limits: %d prev (max %d), %d out (max %d), memo %d bytes (max %d)",
			len(p.Prev), pr.MaxPrev, len(p.Out), pr.MaxOut, len(p.Tx.Memo), pr.MaxMemo)
	}
	minBurn, err := pr.BurnPerByte.Mul(uint64(len(p.Raw)))
	if err != nil || p.Tx.Burn < minBurn {
		return nil, ruleError(ErrBurnTooLow, "burn %d is below %d bytes x %d per byte", p.Tx.Burn, len(p.Raw), pr.BurnPerByte)
	}
	msg := n.parsedSigningBytes(p)
	if pr.PowBits > 0 && workBits(msg) < int(pr.PowBits) {
		return nil, ruleError(ErrInsufficientWork, "proof of work has %d bits, network needs %d", workBits(msg), pr.PowBits)
	}
	return msg, nil
}

// MinBurn returns the smallest burn a transaction of size bytes needs.
func (n *Network) MinBurn(size int) (Amount, error) {
	return n.Params.BurnPerByte.Mul(uint64(size))
}
