package wallet

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/atomicfile"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// Key file format constants.
const (
	// FileType is the "type" of every key file.
	FileType = "ttx-key"
	// FileVersion is the only key file version.
	FileVersion = 1
	// MaxFileSize bounds a key file; a real one is under 1 KiB.
	MaxFileSize = 64 << 10
	// MaxNoteLen bounds a key file's note.
	MaxNoteLen = 512

	cipherNone    = "none"
	cipherXChaCha = "xchacha20-poly1305"
	kdfScrypt     = "scrypt"

	// Scrypt cost: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s) when sealing.
	// Parsing accepts N = 2^15..2^20, r = 8..16, p = 1..4 and at most
	// 1 GiB of memory, so a key file can be stronger but cannot make a
	// reader allocate without bound.
	scryptLogN   = 15
	scryptR      = 8
	scryptP      = 1
	minScryptN   = 1 << 15
	maxScryptN   = 1 << 20
	maxScryptMem = 1 << 30
	saltSize     = 32
	checksumSize = 4
)

// fileJSON is the JSON form of a key file. Encrypted:
//
//	{"type":"ttx-key","version":1,"address":"ttx1…","cipher":"xchacha20-poly1305",
//	 "kdf":{"name":"scrypt","n":32768,"r":8,"p":1,"salt":"<64 hex>"},
//	 "nonce":"<48 hex>","ciphertext":"<96 hex>","checksum":"<8 hex>"}
//
// Plaintext: {"type":"ttx-key","version":1,"note":"…","address":"ttx1…",
// "cipher":"none","seed":"<64 hex>"}. Bytes writes it indented.
type fileJSON struct {
	Type       string   `json:"type"`
	Version    int      `json:"version"`
	Note       string   `json:"note,omitempty"`
	Address    string   `json:"address"`
	Cipher     string   `json:"cipher"`
	Seed       string   `json:"seed,omitempty"`
	KDF        *kdfJSON `json:"kdf,omitempty"`
	Nonce      string   `json:"nonce,omitempty"`
	Ciphertext string   `json:"ciphertext,omitempty"`
	Checksum   string   `json:"checksum,omitempty"`
}

type kdfJSON struct {
	Name string `json:"name"`
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
	Salt string `json:"salt"`
}

// KeyFile is a parsed key file: the address it holds a key for, in the
// clear, and the key, encrypted or (for devnets and tests) not. Its address
// can be read without the passphrase.
type KeyFile struct {
	f      fileJSON
	pub    dag.PubKey
	seed   []byte // plaintext files only
	salt   []byte
	nonce  []byte
	sealed []byte
}

// Options tune Seal and Save.
type Options struct {
	// Plaintext stores the seed unencrypted, and the file says so
	// ("cipher":"none"). Only for devnets and tests: anyone who reads the
	// file can spend.
	Plaintext bool
	// Note is stored in the clear in the file, e.g. a warning. Printable
	// ASCII, at most MaxNoteLen bytes.
	Note string
}

// Seal encrypts key under passphrase (scrypt, then XChaCha20-Poly1305 with
// the address on net as associated data) into a key file. With
// opts.Plaintext the passphrase must be empty and the seed is stored as is.
func Seal(key *Key, net *dag.Network, passphrase []byte, opts Options) (*KeyFile, error) {
	return sealAs(key, key.Address(net), passphrase, opts)
}

// sealAs is Seal for key's address written out (whose network prefix it
// carries).
func sealAs(key *Key, address string, passphrase []byte, opts Options) (*KeyFile, error) {
	if !dag.IsPrintable(opts.Note) || len(opts.Note) > MaxNoteLen {
		return nil, fmt.Errorf("seal key: note must be printable ASCII of at most %d bytes", MaxNoteLen)
	}
	kf := &KeyFile{
		f:   fileJSON{Type: FileType, Version: FileVersion, Note: opts.Note, Address: address},
		pub: key.PubKey(),
	}
	if opts.Plaintext {
		if len(passphrase) != 0 {
			return nil, errors.New("seal key: a plaintext key file takes no passphrase")
		}
		kf.seed = key.Seed()
		kf.f.Cipher = cipherNone
		kf.f.Seed = hex.EncodeToString(kf.seed)
		return kf, nil
	}
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("seal key: %w", ErrEmptyPassphrase)
	}
	kf.salt = make([]byte, saltSize)
	kf.nonce = make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := io.ReadFull(rand.Reader, kf.salt); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, kf.nonce); err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	kf.f.Cipher = cipherXChaCha
	kf.f.KDF = &kdfJSON{Name: kdfScrypt, N: 1 << scryptLogN, R: scryptR, P: scryptP, Salt: hex.EncodeToString(kf.salt)}
	aead, err := kf.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	kf.sealed = aead.Seal(nil, kf.nonce, key.Seed(), []byte(kf.f.Address))
	kf.f.Nonce = hex.EncodeToString(kf.nonce)
	kf.f.Ciphertext = hex.EncodeToString(kf.sealed)
	kf.f.Checksum = kf.checksum()
	return kf, nil
}

// aead derives the file key from passphrase with the file's scrypt
// parameters.
func (kf *KeyFile) aead(passphrase []byte) (cipher.AEAD, error) {
	k := kf.f.KDF
	fk, err := scrypt.Key(passphrase, kf.salt, k.N, k.R, k.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive file key: %w", err)
	}
	return chacha20poly1305.NewX(fk)
}

// checksum returns the hex checksum of an encrypted file: the first bytes
// of SHA-256 over its canonical form without the checksum. It tells a
// damaged file from a wrong passphrase; it authenticates nothing (the AEAD
// does).
func (kf *KeyFile) checksum() string {
	f := kf.f
	f.Checksum = ""
	b, err := json.Marshal(&f)
	if err != nil {
		panic(err) // cannot happen: plain strings and ints
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:checksumSize])
}

// Address returns the address the file holds the key for.
func (kf *KeyFile) Address() string { return kf.f.Address }

// PubKey returns the public key of the file's address.
func (kf *KeyFile) PubKey() dag.PubKey { return kf.pub }

// Note returns the file's clear-text note ("" if none).
func (kf *KeyFile) Note() string { return kf.f.Note }

// Encrypted reports whether the key needs a passphrase.
func (kf *KeyFile) Encrypted() bool { return kf.f.Cipher != cipherNone }

// Open returns the key. A plaintext file ignores passphrase. A passphrase
// that does not decrypt gives ErrWrongPassphrase; the checksum checked by
// ParseKeyFile has already ruled out a damaged file.
func (kf *KeyFile) Open(passphrase []byte) (*Key, error) {
	if !kf.Encrypted() {
		return KeyFromSeed(kf.seed)
	}
	aead, err := kf.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err)
	}
	seed, err := aead.Open(nil, kf.nonce, kf.sealed, []byte(kf.f.Address))
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", ErrWrongPassphrase)
	}
	key, err := KeyFromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("open key file: %w", err) // cannot happen: ParseKeyFile checked the length
	}
	if key.PubKey() != kf.pub {
		return nil, fmt.Errorf("open key file: %w", corrupt("key does not match address %s", kf.f.Address))
	}
	return key, nil
}

// Bytes returns the file's contents: indented JSON and a newline.
func (kf *KeyFile) Bytes() []byte {
	b, err := json.MarshalIndent(&kf.f, "", "  ")
	if err != nil {
		panic(err) // cannot happen: plain strings and ints
	}
	return append(b, '\n')
}

// ParseKeyFile parses and checks a key file without decrypting it: shape,
// address, parameter bounds, lengths and checksum. Errors wrap ErrCorrupt.
func ParseKeyFile(b []byte) (*KeyFile, error) {
	if len(b) > MaxFileSize {
		return nil, corrupt("%d bytes, limit %d", len(b), MaxFileSize)
	}
	kf := &KeyFile{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf.f); err != nil {
		return nil, corrupt("not a key file: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, corrupt("data after the key file")
	}
	f := &kf.f
	if f.Type != FileType {
		return nil, corrupt("type %q, want %q", f.Type, FileType)
	}
	if f.Version != FileVersion {
		return nil, corrupt("version %d, want %d", f.Version, FileVersion)
	}
	if !dag.IsPrintable(f.Note) || len(f.Note) > MaxNoteLen {
		return nil, corrupt("note must be printable ASCII of at most %d bytes", MaxNoteLen)
	}
	prefix := dag.AddressPrefix(f.Address)
	pub, err := dag.ParseAddress(f.Address, prefix)
	if err != nil || !dag.ValidPrefix(prefix) || pub.Address(prefix) != f.Address {
		return nil, corrupt("bad address %q", f.Address)
	}
	kf.pub = pub
	switch f.Cipher {
	case cipherNone:
		if f.KDF != nil || f.Nonce != "" || f.Ciphertext != "" || f.Checksum != "" {
			return nil, corrupt("a plaintext key file has no kdf, nonce, ciphertext or checksum")
		}
		if kf.seed, err = parseHex("seed", f.Seed, SeedSize); err != nil {
			return nil, err
		}
		key, _ := KeyFromSeed(kf.seed)
		if key.PubKey() != pub {
			return nil, corrupt("seed does not match address %s", f.Address)
		}
	case cipherXChaCha:
		if f.Seed != "" {
			return nil, corrupt("an encrypted key file has no seed")
		}
		if err := checkKDF(f.KDF); err != nil {
			return nil, err
		}
		if kf.salt, err = parseHex("salt", f.KDF.Salt, saltSize); err != nil {
			return nil, err
		}
		if kf.nonce, err = parseHex("nonce", f.Nonce, chacha20poly1305.NonceSizeX); err != nil {
			return nil, err
		}
		if kf.sealed, err = parseHex("ciphertext", f.Ciphertext, SeedSize+chacha20poly1305.Overhead); err != nil {
			return nil, err
		}
		if f.Checksum != kf.checksum() {
			return nil, corrupt("checksum mismatch: the file is damaged")
		}
	default:
		return nil, corrupt("unknown cipher %q", f.Cipher)
	}
	return kf, nil
}

func checkKDF(k *kdfJSON) error {
	if k == nil || k.Name != kdfScrypt {
		return corrupt("kdf must be scrypt")
	}
	if k.N < minScryptN || k.N > maxScryptN || bits.OnesCount(uint(k.N)) != 1 {
		return corrupt("scrypt n %d must be a power of 2 from %d to %d", k.N, minScryptN, maxScryptN)
	}
	if k.R < scryptR || k.R > 2*scryptR || k.P < 1 || k.P > 4 || 128*k.N*k.R > maxScryptMem {
		return corrupt("scrypt r %d, p %d out of range (r %d..%d, p 1..4, at most %d MiB)",
			k.R, k.P, scryptR, 2*scryptR, maxScryptMem>>20)
	}
	return nil
}

// parseHex decodes a lowercase hex field of exactly n bytes.
func parseHex(name, s string, n int) ([]byte, error) {
	if len(s) != 2*n {
		return nil, corrupt("%s must be %d hex characters, has %d", name, 2*n, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil || hex.EncodeToString(b) != s {
		return nil, corrupt("%s is not lowercase hex", name)
	}
	return b, nil
}

// Save writes key to a new key file at path with mode 0600, atomically: the
// file is either absent or complete. It never overwrites an existing file
// (ErrExists). See Seal for the encryption and opts.
func Save(path string, key *Key, net *dag.Network, passphrase []byte, opts Options) error {
	kf, err := Seal(key, net, passphrase, opts)
	if err != nil {
		return fmt.Errorf("save key file %s: %w", path, err)
	}
	if err := atomicfile.WriteNew(path, kf.Bytes(), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("save key file %s: %w", path, ErrExists)
		}
		return fmt.Errorf("save key file: %w", err)
	}
	return nil
}

// ReadKeyFile reads and parses the key file at path without decrypting it.
func ReadKeyFile(path string) (*KeyFile, error) {
	b, err := atomicfile.ReadLimited(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	kf, err := ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	return kf, nil
}

// Load reads the key file at path and decrypts its key with passphrase.
// Errors wrap ErrWrongPassphrase or ErrCorrupt (or an fs error).
func Load(path string, passphrase []byte) (*Key, error) {
	kf, err := ReadKeyFile(path)
	if err != nil {
		return nil, err
	}
	key, err := kf.Open(passphrase)
	if err != nil {
		return nil, fmt.Errorf("load key file %s: %w", path, err)
	}
	return key, nil
}

// ChangePassphrase re-encrypts the key file at path under newPass, after
// opening it with oldPass (ErrWrongPassphrase if it does not open; a
// plaintext file ignores oldPass and is encrypted from then on). The file
// keeps its key, address and, if it was encrypted, its note; it is
// replaced atomically (atomicfile.Replace), so a crash leaves the old file
// or the new one, and from then on only newPass opens it.
func ChangePassphrase(path string, oldPass, newPass []byte) error {
	kf, err := ReadKeyFile(path)
	if err != nil {
		return err
	}
	key, err := kf.Open(oldPass)
	if err != nil {
		return fmt.Errorf("change passphrase of %s: %w", path, err)
	}
	opts := Options{}
	if kf.Encrypted() {
		opts.Note = kf.Note()
	}
	nf, err := sealAs(key, kf.Address(), newPass, opts)
	if err != nil {
		return fmt.Errorf("change passphrase of %s: %w", path, err)
	}
	if err := atomicfile.Replace(path, nf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("change passphrase: %w", err)
	}
	return nil
}

// OpenPlaintext parses a plaintext key file (as the public faucet key of a
// test network ships) and opens it.
func OpenPlaintext(keyFile []byte) (*Key, error) {
	kf, err := ParseKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	return kf.Open(nil)
}
