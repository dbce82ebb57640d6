package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteNew atomically creates path holding data, with mode perm exactly
// (the umask does not apply). It fails with an error wrapping fs.ErrExist if
// path already exists. When it returns nil, the file and its directory entry
// are durable.
//
// The no-clobber step is a hard link from the fsynced temporary file, which
// is atomic on POSIX file systems; file systems without hard links (FAT) are
// not supported.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmpName, err := writeTemp(path, data, perm)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	linkErr := os.Link(tmpName, path)
	if err := os.Remove(tmpName); err != nil && linkErr == nil {
		return fmt.Errorf("remove %s: %w", tmpName, err)
	}
	if linkErr != nil {
		if errors.Is(linkErr, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("create %s: %w", path, linkErr)
	}
	return syncDir(dir)
}

// Replace atomically replaces the file at path with data, mode perm
// exactly: the temporary file is fsynced, renamed over path and the
// directory fsynced, so after a crash path holds either its old or its new
// contents in full. path must already exist (an error wrapping
// fs.ErrNotExist otherwise): Replace changes a file, WriteNew creates one.
func Replace(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	tmpName, err := writeTemp(path, data, perm)
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data with mode perm to a new temporary file next to
// path, fsynced, and returns its name; on an error it leaves no file.
func writeTemp(path string, data []byte, perm fs.FileMode) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	if err := writeSync(tmp, data, perm); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// writeSync sets f's mode, writes data, fsyncs and closes f.
func writeSync(f *os.File, data []byte, perm fs.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return nil
}

// syncDir makes the directory entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// ReadLimited reads the file at path, but no more than limit+1 bytes, so
// that a parser of the result can reject an oversized file without the
// whole of it in memory.
func ReadLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
