package wallet

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/torrenttx/ttx/dag"
)

// SeedSize is the size of the secret a Key is derived from.
const SeedSize = ed25519.SeedSize

// BackupPrefix is the bech32m human-readable part of a backup string.
const BackupPrefix = "ttxsecret"

// Key is an Ed25519 signing key: the owner of outputs on any ttx network.
// Its String form shows only the public key, so logging a Key leaks nothing.
type Key struct {
	priv ed25519.PrivateKey
}

// NewKey generates a key from rand (crypto/rand.Reader if nil).
func NewKey(r io.Reader) (*Key, error) {
	if r == nil {
		r = rand.Reader
	}
	seed := make([]byte, SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return KeyFromSeed(seed)
}

// KeyFromSeed returns the key derived from a 32-byte Ed25519 seed.
func KeyFromSeed(seed []byte) (*Key, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("wallet: seed is %d bytes, want %d", len(seed), SeedSize)
	}
	return &Key{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// PubKey returns the key's public key, the owner of its outputs.
func (k *Key) PubKey() dag.PubKey {
	var pk dag.PubKey
	copy(pk[:], k.priv[SeedSize:])
	return pk
}

// Address returns the key's address on net.
func (k *Key) Address(net *dag.Network) string { return net.Address(k.PubKey()) }

// PrivateKey returns the Ed25519 private key, for dag.Network.Sign. The
// caller must not modify it.
func (k *Key) PrivateKey() ed25519.PrivateKey { return k.priv }

// Seed returns a copy of the 32-byte secret the key derives from.
func (k *Key) Seed() []byte { return k.priv.Seed() }

// Equal reports whether k and o are the same key.
func (k *Key) Equal(o *Key) bool { return k.priv.Equal(o.priv) }

// String identifies the key by its public key only.
func (k *Key) String() string {
	pk := k.PubKey()
	return "wallet.Key(pub " + hex.EncodeToString(pk[:]) + ")"
}

// GoString is String, so %#v does not print the secret either.
func (k *Key) GoString() string { return k.String() }

// Backup returns the key's backup form: its 32-byte seed as a bech32m string
// with prefix "ttxsecret" (68 characters, e.g. "ttxsecret1…"). Whoever holds
// it holds the money on every network. Its checksum catches typos when it is
// typed back in; Restore reverses it.
func (k *Key) Backup() string {
	conv, err := bech32.ConvertBits(k.priv.Seed(), 8, 5, true)
	if err != nil {
		panic(err) // cannot happen for 32 bytes
	}
	s, err := bech32.EncodeM(BackupPrefix, conv)
	if err != nil {
		panic(err) // cannot happen: the prefix is valid and the data short
	}
	return s
}

// Restore returns the key whose Backup is s. Surrounding white space and
// an all-upper-case string are accepted. A typo fails the checksum; errors
// wrap ErrBadBackup.
func Restore(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return nil, fmt.Errorf("restore key: %w: %v", ErrBadBackup, err)
	}
	if hrp != BackupPrefix {
		return nil, fmt.Errorf("restore key: %w: prefix is %q, want %q", ErrBadBackup, hrp, BackupPrefix)
	}
	if version != bech32.VersionM {
		return nil, fmt.Errorf("restore key: %w: bech32, not bech32m", ErrBadBackup)
	}
	seed, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || len(seed) != SeedSize {
		return nil, fmt.Errorf("restore key: %w: does not hold a %d-byte seed", ErrBadBackup, SeedSize)
	}
	return KeyFromSeed(seed)
}
