// Package wallet holds a user's keys and builds their payments.
//
// # Keys
//
// A Key is an Ed25519 key (crypto/ed25519) derived from a 32-byte seed. Its
// address on a network is its public key in bech32m with the network's
// prefix (dag.PubKey.Address); the same key owns money on every network.
//
// # Key files
//
// Save writes a key to a JSON key file of mode 0600, atomically (temporary
// file, fsync, no-clobber link, directory fsync) and never over an
// existing file. The seed is encrypted with XChaCha20-Poly1305 under a key
// derived from the passphrase with scrypt (N=2^15, r=8, p=1; the parameters
// and salt are stored in the file), with the file's address as associated
// data. The address is in the clear, so ReadKeyFile shows it without the
// passphrase. A checksum over the file tells a damaged file (ErrCorrupt)
// from a wrong passphrase (ErrWrongPassphrase). Only when asked
// (Options.Plaintext, for devnets and tests) is the seed stored in the
// clear, and the file then says "cipher": "none". ChangePassphrase
// re-encrypts a file under a new passphrase and swaps it in atomically
// (atomicfile.Replace): the key and address stay, the old passphrase stops
// working.
//
// # Backup
//
// The backup form of a key is Key.Backup: the seed as a 68-character
// bech32m string with prefix "ttxsecret", e.g.
//
//	ttxsecret1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s6mh4ft
//
// Written on paper, it restores the key (Restore) and so every address of
// it; its checksum catches typos. Whoever reads it can spend the money.
//
// # Sending
//
// BuildSend selects coins deterministically (the smallest single coin that
// suffices, else the largest first), pays the amount to the recipient
// first and the change back to the sender, burns the network minimum for
// the transaction's final size, signs (grinding proof of work if the
// network asks) and checks the result with dag.Decode and
// Network.CheckSanity before returning it.
//
// # Invariants
//
//   - A key file on disk is complete or absent, mode 0600, and never
//     replaced by Save; only ChangePassphrase replaces one, whole.
//   - A file's key always derives to the file's address: Open and
//     ParseKeyFile check it.
//   - A transaction from BuildSend decodes canonically, passes CheckSanity,
//     and balances exactly: sum(prev) = sum(out) + burn.
//   - No floats anywhere; every sum is overflow-checked.
//
// # Errors
//
// Key files: ErrWrongPassphrase, ErrCorrupt (with what is wrong),
// ErrExists, ErrEmptyPassphrase; file system errors are wrapped as they
// come (test with errors.Is(err, fs.ErrNotExist)). Backups: ErrBadBackup.
// Sends: ErrZeroAmount, ErrMemoTooLong, ErrBadMemo, ErrTooManyInputs, and
// *InsufficientFundsError (wraps ErrInsufficientFunds) with the amount the
// coins hold and the amount needed, burn included.
package wallet
