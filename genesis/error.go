package genesis

import "errors"

// ErrExists: NewNetwork refuses to overwrite an existing network definition.
var ErrExists = errors.New("genesis: network files already exist")
