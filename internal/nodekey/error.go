package nodekey

import "errors"

// ErrMalformed marks a key file that does not parse, has the wrong type or
// version, or whose public key does not match its seed.
var ErrMalformed = errors.New("nodekey: malformed key file")
