// Package nodekey holds a node's identity: an Ed25519 key of its own,
// separate from the wallet, kept in the data dir as node.key. Peers learn
// its public key from the node's ttx hello; it signs what the node states
// to the network (votes), never money.
//
// # File
//
// The key file is one JSON object, written once with mode 0600 through
// internal/atomicfile (a crash leaves no file or a whole one):
//
//	{"type":"ttx-node-key","version":1,"public":"<64 hex>","seed":"<64 hex>"}
//
// The seed is the 32-byte Ed25519 secret; public is the key it derives,
// stored to catch a damaged file: Parse rejects a file whose public key does
// not match its seed.
//
// # Invariants
//
//   - LoadOrCreate never replaces or rewrites an existing file: a file that
//     does not parse is an error, and the node does not start with another
//     identity behind the user's back.
//   - Parse never panics and returns a key or an error, never both.
//
// # Errors
//
// Parse and LoadOrCreate wrap ErrMalformed for a file that is not a node
// key file; other errors of LoadOrCreate are I/O errors.
package nodekey
