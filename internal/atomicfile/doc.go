// Package atomicfile creates files that are either absent or complete.
//
// WriteNew writes the data to a temporary file in the target's directory,
// fsyncs it, links it into place only if no file of that name exists, and
// fsyncs the directory. A crash or an error at any step leaves either no
// file or the whole file, never a partial one, and never replaces an
// existing file (wallet keys and network definitions are never clobbered).
//
// Replace is the one way to change an existing file (a wallet's new
// passphrase): the fsynced temporary file is renamed over the target, so a
// crash leaves the old contents or the new, never a mix.
//
// # Invariants
//
//   - The target path never holds partial data written by this package.
//   - WriteNew never modifies or replaces an existing file; Replace
//     swaps in the new contents whole.
//   - On return, no temporary file is left behind in the directory.
//
// # Errors
//
// WriteNew returns an error wrapping fs.ErrExist when the target exists;
// Replace one wrapping fs.ErrNotExist when it does not. Any other error is
// an I/O failure and leaves nothing behind (and the target as it was).
package atomicfile
