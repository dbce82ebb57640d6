// Package ttxuri parses and formats ttx: payment URIs, which ask for a
// payment in the shape of Bitcoin's BIP 21:
//
//	ttx:<address>[?amount=<TTX>][&memo=<memo>]
//
// for example ttx:ttx1…?amount=1.5&memo=lunch%20on%20Friday. A wallet
// shows one (and its QR code) to be paid; a payer pastes or scans it and
// gets the address, the amount and the memo filled in.
//
// # Rules
//
//   - The scheme is "ttx", in any case ("TTX:" keeps a QR code in its
//     compact alphanumeric form); the address is a checksummed bech32m
//     address of any network, upper or lower case but not mixed. The
//     caller checks that it is for its own network.
//   - amount is a decimal TTX amount parsed exactly by dag.ParseAmount
//     (at most 8 decimal places, never a float) and is not zero. Absent,
//     the payer chooses the amount.
//   - memo is percent-encoded (RFC 3986: "%20" is a space, "+" is a plus)
//     and decodes to printable ASCII of at most dag.HardMaxMemo bytes; the
//     network's own, smaller limit is checked when the payment is built.
//   - As in BIP 21, a parameter this package does not know is ignored,
//     unless its name starts with "req-": then the request needs something
//     this wallet cannot do, and Parse refuses it (ErrRequired). A
//     parameter given twice is an error.
//
// String writes the canonical form: lower-case scheme and address, amount
// then memo, each only if set, the memo escaped except for RFC 3986's
// unreserved characters. Parse(r.String()) gives r back.
//
// # Errors
//
// ErrSyntax (with what is wrong, and the dag error for a bad address or
// amount) and ErrRequired (naming the parameter).
package ttxuri
