package nodekey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/atomicfile"
)

// Key file format constants.
const (
	// FileType is the "type" of a node key file.
	FileType = "ttx-node-key"
	// FileVersion is the only node key file version.
	FileVersion = 1
	// MaxFileSize bounds a key file; a real one is under 200 bytes.
	MaxFileSize = 4 << 10
	// FileMode is the mode a key file is created with.
	FileMode fs.FileMode = 0o600
)

// Key is a node's Ed25519 identity key. Its String form shows only the
// public key, so logging a Key leaks nothing.
type Key struct {
	priv ed25519.PrivateKey
}

// fileJSON is the JSON form of a key file.
type fileJSON struct {
	Type    string `json:"type"`
	Version int    `json:"version"`
	Public  string `json:"public"`
	Seed    string `json:"seed"`
}

// Generate returns a fresh key from r (crypto/rand.Reader if nil).
func Generate(r io.Reader) (*Key, error) {
	if r == nil {
		r = rand.Reader
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, fmt.Errorf("generate node key: %w", err)
	}
	return &Key{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// LoadOrCreate returns the key in the file at path, creating the file with
// a fresh key (mode 0600) if there is none. An existing file that does not
// parse is an error wrapping ErrMalformed; it is never replaced.
func LoadOrCreate(path string) (*Key, error) {
	k, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if k, err = Generate(nil); err != nil {
		return nil, err
	}
	err = atomicfile.WriteNew(path, k.Bytes(), FileMode)
	if errors.Is(err, fs.ErrExist) {
		return Load(path) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("create node key: %w", err)
	}
	return k, nil
}

// Load reads the key file at path. A missing file is an error wrapping
// fs.ErrNotExist.
func Load(path string) (*Key, error) {
	b, err := atomicfile.ReadLimited(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	k, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("read node key %s: %w", path, err)
	}
	return k, nil
}

// Parse decodes a key file. Unknown fields, a wrong type or version, bad
// hex, and a public key that is not the seed's are errors wrapping
// ErrMalformed.
func Parse(b []byte) (*Key, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the key", ErrMalformed)
	}
	if f.Type != FileType || f.Version != FileVersion {
		return nil, fmt.Errorf("%w: type %q version %d, want %q version %d", ErrMalformed, f.Type, f.Version, FileType, FileVersion)
	}
	seed, err := hex.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed is not %d bytes of hex", ErrMalformed, ed25519.SeedSize)
	}
	k := &Key{priv: ed25519.NewKeyFromSeed(seed)}
	if pub := k.Public(); f.Public != hex.EncodeToString(pub[:]) {
		return nil, fmt.Errorf("%w: public key does not match the seed", ErrMalformed)
	}
	return k, nil
}

// Bytes returns the key file form of k.
func (k *Key) Bytes() []byte {
	pub := k.Public()
	b, err := json.Marshal(fileJSON{Type: FileType, Version: FileVersion,
		Public: hex.EncodeToString(pub[:]), Seed: hex.EncodeToString(k.priv.Seed())})
	if err != nil {
		panic(err) // cannot happen: strings and an int
	}
	return append(b, '\n')
}

// Public returns the key's public key, the node's identity on the network.
func (k *Key) Public() dag.PubKey {
	var pk dag.PubKey
	copy(pk[:], k.priv.Public().(ed25519.PublicKey))
	return pk
}

// PrivateKey returns the Ed25519 key itself, which signs the node's votes
// (package vote).
func (k *Key) PrivateKey() ed25519.PrivateKey { return k.priv }

// String identifies the key by its public key only.
func (k *Key) String() string {
	pk := k.Public()
	return "nodekey.Key(pub " + hex.EncodeToString(pk[:]) + ")"
}

// GoString is String, so %#v does not print the secret either.
func (k *Key) GoString() string { return k.String() }
