// Package atomicfile creates files that are either absent or complete.
//
// WriteNew writes the data to a temporary file in the target's directory,
// fsyncs it, links it into place only if no file of that name exists, and
// fsyncs the directory. A crash or an error at any step leaves either no
// file or the whole file, never a partial one, and never replaces an
// existing file (wallet keys and network definitions are never clobbered).
//
// # Invariants
//
//   - The target path never holds partial data written by this package.
//   - An existing file at the target path is never modified or replaced.
//   - On return, no temporary file is left behind in the directory.
//
// # Errors
//
// WriteNew returns an error wrapping fs.ErrExist when the target exists;
// any other error is an I/O failure and leaves nothing behind.
package atomicfile
