package dag

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// PubKey is an Ed25519 public key: the owner of outputs and the signer of
// transactions.
type PubKey [ed25519.PublicKeySize]byte

// Address encodes pk as a bech32m string with the network's prefix as the
// human-readable part, e.g. "ttx1…". The checksum catches typos. It panics
// if prefix is not a ValidPrefix (a programmer error: bech32.EncodeM would
// silently lower-case it or accept an empty one).
func (pk PubKey) Address(prefix string) string {
	if !ValidPrefix(prefix) {
		panic(fmt.Sprintf("dag: bad address prefix %q", prefix))
	}
	conv, err := bech32.ConvertBits(pk[:], 8, 5, true)
	if err != nil {
		panic(err) // cannot happen for 32 bytes
	}
	s, err := bech32.EncodeM(prefix, conv)
	if err != nil {
		panic(err) // cannot happen: every 5-bit value is in the alphabet
	}
	return s
}

// ValidPrefix reports whether p can be a network's address prefix: 1 to 16
// characters of lowercase letters and digits, starting with a letter.
func ValidPrefix(p string) bool {
	if len(p) < 1 || len(p) > 16 || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ParseAddress decodes a bech32m address and checks that its prefix is
// prefix. Upper-case input is accepted (as BIP 173 allows); mixed case is not.
// Errors are RuleErrors with code ErrBadAddress and say what is wrong in
// words: they never show the checksum a corrected address would have, so
// pasting from an error cannot turn a typo into someone else's address.
func ParseAddress(s, prefix string) (PubKey, error) {
	var pk PubKey
	if len(s) > 100 {
		return pk, ruleError(ErrBadAddress, "address is too long (%d characters)", len(s))
	}
	shown := s
	if strings.ToUpper(s) == s {
		shown = strings.ToLower(s)
	}
	if hrp := AddressPrefix(s); hrp != "" && hrp != prefix {
		return pk, ruleError(ErrBadAddress, "address %q is for network prefix %q, not %q", shown, hrp, prefix)
	}
	hrp, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		return pk, ruleError(ErrBadAddress, "address %q %s", shown, addressFault(err))
	}
	if version != bech32.VersionM {
		return pk, ruleError(ErrBadAddress, "address %q is bech32, not bech32m", shown)
	}
	if hrp != prefix {
		return pk, ruleError(ErrBadAddress, "address %q is for network prefix %q, not %q", shown, hrp, prefix)
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || len(b) != len(pk) {
		return pk, ruleError(ErrBadAddress, "address %q does not hold a %d-byte key", shown, len(pk))
	}
	copy(pk[:], b)
	return pk, nil
}

// addressFault says what a bech32 decoding error means, without the
// library's detail (its checksum error prints the correct checksum).
func addressFault(err error) string {
	var (
		char    bech32.ErrNonCharsetChar
		invalid bech32.ErrInvalidCharacter
	)
	switch {
	case errors.As(err, new(bech32.ErrInvalidChecksum)):
		return "has a typo: its checksum does not match"
	case errors.As(err, new(bech32.ErrMixedCase)):
		return "mixes upper and lower case"
	case errors.As(err, &char):
		return fmt.Sprintf("holds %q, which no address does (after the prefix, addresses hold no 1, b, i or o)", rune(char))
	case errors.As(err, &invalid):
		return fmt.Sprintf("holds the character %q, which no address does", rune(invalid))
	case errors.As(err, new(bech32.ErrInvalidSeparatorIndex)), errors.As(err, new(bech32.ErrInvalidLength)):
		return "is incomplete: too short, or no \"1\" after the network prefix"
	}
	return "is not a bech32m address"
}

// AddressPrefix returns the prefix (human-readable part) of an address
// without checking the rest; it lets errors say which network an address
// belongs to.
func AddressPrefix(s string) string {
	i := strings.LastIndexByte(s, '1')
	if i < 0 {
		return ""
	}
	return strings.ToLower(s[:i])
}
