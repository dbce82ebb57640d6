package ttxuri

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrSyntax: the text is not a well-formed ttx: URI.
	ErrSyntax = errors.New("ttxuri: not a valid ttx: payment URI")
	// ErrRequired: the URI has a "req-" parameter this wallet does not
	// implement, so it must not be paid as if it were not there.
	ErrRequired = errors.New("ttxuri: unsupported required parameter")
)

// syntax returns an error wrapping ErrSyntax.
func syntax(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSyntax, fmt.Sprintf(format, args...))
}
