package ttxuri

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/torrenttx/ttx/dag"
)

// Scheme is the URI scheme of a payment request.
const Scheme = "ttx"

// MaxLen bounds a URI: a memo of dag.HardMaxMemo bytes, every byte
// escaped, plus room for the rest.
const MaxLen = 3*dag.HardMaxMemo + 256

// Request is a payment request.
type Request struct {
	// Address is the payee's address, in lower case.
	Address string
	// Amount is the amount asked for; 0 leaves it to the payer.
	Amount dag.Amount
	// Memo is the memo the payment should carry ("" for none).
	Memo string
}

// IsURI reports whether s looks like a ttx: URI rather than a bare
// address: whether it starts with the scheme and a colon, in any case.
func IsURI(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > len(Scheme) && strings.EqualFold(s[:len(Scheme)+1], Scheme+":")
}

// Parse parses a ttx: URI; surrounding white space is ignored.
func Parse(s string) (*Request, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLen {
		return nil, syntax("%d bytes, limit %d", len(s), MaxLen)
	}
	if !IsURI(s) {
		return nil, syntax("it does not start with %q", Scheme+":")
	}
	rest := s[len(Scheme)+1:]
	addr, query, hasQuery := strings.Cut(rest, "?")
	if addr == "" {
		return nil, syntax("no address after %q", Scheme+":")
	}
	if _, err := dag.ParseAddress(addr, dag.AddressPrefix(addr)); err != nil {
		return nil, fmt.Errorf("%w: address: %w", ErrSyntax, err)
	}
	r := &Request{Address: strings.ToLower(addr)}
	if !hasQuery {
		return r, nil
	}
	seen := make(map[string]bool)
	for _, kv := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, syntax("parameter %q is not name=value", kv)
		}
		if seen[k] {
			return nil, syntax("parameter %q given twice", k)
		}
		seen[k] = true
		val, err := url.PathUnescape(v)
		if err != nil {
			return nil, syntax("parameter %s: bad percent-encoding %q", k, v)
		}
		switch {
		case k == "amount":
			a, err := dag.ParseAmount(val)
			if err != nil {
				return nil, fmt.Errorf("%w: amount %q: %w", ErrSyntax, val, err)
			}
			if a == 0 {
				return nil, syntax("amount is zero")
			}
			r.Amount = a
		case k == "memo":
			if err := CheckMemo(val); err != nil {
				return nil, err
			}
			r.Memo = val
		case strings.HasPrefix(k, "req-"):
			return nil, fmt.Errorf("%w %q: this wallet cannot honour it", ErrRequired, k)
		}
	}
	return r, nil
}

// String returns the request's canonical URI.
func (r *Request) String() string {
	var b strings.Builder
	b.WriteString(Scheme + ":" + r.Address)
	sep := "?"
	if r.Amount != 0 {
		b.WriteString(sep + "amount=" + r.Amount.String())
		sep = "&"
	}
	if r.Memo != "" {
		b.WriteString(sep + "memo=" + escape(r.Memo))
	}
	return b.String()
}

// escape percent-encodes every byte of s but RFC 3986's unreserved
// characters.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// CheckMemo applies the protocol's memo rule to a request's memo:
// printable ASCII of at most dag.HardMaxMemo bytes (a network may allow
// fewer; the node checks that when the payment is sent).
func CheckMemo(m string) error {
	if !dag.IsPrintable(m) {
		return syntax("memo must be printable ASCII")
	}
	if len(m) > dag.HardMaxMemo {
		return syntax("memo is %d bytes, limit %d", len(m), dag.HardMaxMemo)
	}
	return nil
}
