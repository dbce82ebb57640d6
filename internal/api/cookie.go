package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/torrenttx/ttx/internal/atomicfile"
)

// CookieFile is the name of the cookie file in the data dir.
const CookieFile = ".cookie"

// tokenSize is the number of random bytes in a cookie token.
const tokenSize = 32

// NewToken returns a fresh random cookie token (64 hex characters).
func NewToken() (string, error) {
	b := make([]byte, tokenSize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate cookie token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// WriteCookie writes token to <dir>/.cookie with mode 0600, replacing any
// old cookie (the node rewrites it at each start).
func WriteCookie(dir, token string) error {
	path := filepath.Join(dir, CookieFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace cookie %s: %w", path, err)
	}
	if err := atomicfile.WriteNew(path, []byte(token+"\n"), 0o600); err != nil {
		return fmt.Errorf("write cookie: %w", err)
	}
	return nil
}

// ReadCookie reads the token from <dir>/.cookie.
func ReadCookie(dir string) (string, error) {
	path := filepath.Join(dir, CookieFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read cookie: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("read cookie %s: empty file", path)
	}
	return tok, nil
}

// RemoveCookie removes <dir>/.cookie; a missing file is not an error.
func RemoveCookie(dir string) error {
	path := filepath.Join(dir, CookieFile)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove cookie: %w", err)
	}
	return nil
}
