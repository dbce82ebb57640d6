package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// dirNames lists the entries of dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteNew(t *testing.T) {
	tests := []struct {
		name string
		perm fs.FileMode
		data []byte
	}{
		{"private", 0o600, []byte(`{"secret":1}`)},
		{"public", 0o644, []byte("tx")},
		{"empty", 0o600, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if err := WriteNew(path, tc.data, tc.perm); err != nil {
				t.Fatalf("WriteNew: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.data) {
				t.Errorf("content = %q, want %q", got, tc.data)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.perm)
			}
			if names := dirNames(t, dir); len(names) != 1 || names[0] != "f" {
				t.Errorf("dir holds %q, want only the file", names)
			}
		})
	}
}

func TestWriteNewExisting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteNew(path, []byte("new"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteNew over an existing file: err = %v, want fs.ErrExist", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Errorf("existing file changed to %q", got)
	}
	// The temporary file was written and synced before the link failed: it
	// must be gone.
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("dir holds %q, want only the original file", names)
	}
}

func TestWriteNewFailure(t *testing.T) {
	tests := []struct {
		name string
		path func(dir string) string
	}{
		{"missing dir", func(dir string) string { return filepath.Join(dir, "nope", "f") }},
		{"target is a dir", func(dir string) string {
			p := filepath.Join(dir, "sub")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.path(dir)
			before := dirNames(t, dir)
			if err := WriteNew(path, []byte("x"), 0o600); err == nil {
				t.Fatal("WriteNew succeeded, want an error")
			}
			after := dirNames(t, dir)
			if len(after) != len(before) {
				t.Errorf("dir changed from %q to %q: a partial file was left", before, after)
			}
		})
	}
}

func TestReadLimited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	for limit, want := range map[int64]string{20: "0123456789", 10: "0123456789", 4: "01234"} {
		if b, err := ReadLimited(path, limit); err != nil || string(b) != want {
			t.Errorf("ReadLimited(%d) = %q, %v; want %q", limit, b, err, want)
		}
	}
	if _, err := ReadLimited(filepath.Join(t.TempDir(), "none"), 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadLimited(missing) = %v, want ErrNotExist", err)
	}
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Replace(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Errorf("content = %q, %v; want %q", got, err, "new")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "f" {
		t.Errorf("dir holds %q, want only the file", names)
	}
}

func TestReplaceFailure(t *testing.T) {
	dir := t.TempDir()
	if err := Replace(filepath.Join(dir, "none"), []byte("x"), 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Replace(missing) = %v, want fs.ErrNotExist", err)
	}
	// Renaming a file over a non-empty directory fails: the directory and
	// its contents stay, and no temporary file is left.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "inside"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Replace(sub, []byte("x"), 0o600); err == nil {
		t.Fatal("Replace over a directory succeeded, want an error")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "sub" {
		t.Errorf("dir holds %q, want only sub", names)
	}
	if got, err := os.ReadFile(filepath.Join(sub, "inside")); err != nil || string(got) != "kept" {
		t.Errorf("the directory's file: %q, %v", got, err)
	}
}
