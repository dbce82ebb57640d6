package wallet

import (
	"errors"
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// Sentinel errors. Functions wrap them with context; test with errors.Is.
var (
	// ErrWrongPassphrase: the passphrase does not decrypt an intact key file.
	ErrWrongPassphrase = errors.New("wallet: wrong passphrase")
	// ErrCorrupt: a key file or backup string is damaged or not one at all.
	ErrCorrupt = errors.New("wallet: corrupt key file")
	// ErrBadBackup: a backup string does not decode (typo, wrong prefix or
	// length); its checksum catches typos.
	ErrBadBackup = errors.New("wallet: invalid backup string")
	// ErrExists: Save refuses to overwrite an existing key file.
	ErrExists = errors.New("wallet: key file already exists")
	// ErrEmptyPassphrase: an encrypted key file needs a passphrase.
	ErrEmptyPassphrase = errors.New("wallet: empty passphrase")

	// ErrInsufficientFunds is wrapped by InsufficientFundsError.
	ErrInsufficientFunds = errors.New("wallet: insufficient funds")
	// ErrZeroAmount: a send of nothing.
	ErrZeroAmount = errors.New("wallet: amount is zero: nothing to send")
	// ErrMemoTooLong: the memo is longer than the network's max_memo.
	ErrMemoTooLong = errors.New("wallet: memo too long")
	// ErrBadMemo: the memo has a byte outside printable ASCII.
	ErrBadMemo = errors.New("wallet: memo must be printable ASCII")
	// ErrTooManyInputs: the funds exist but spending the amount needs more
	// coins than one transaction may list (max_prev or the size limit).
	ErrTooManyInputs = errors.New("wallet: too many inputs")
)

// InsufficientFundsError says how much a send needs (amount plus burn) and
// how much the offered coins hold. It wraps ErrInsufficientFunds.
type InsufficientFundsError struct {
	Have dag.Amount
	Need dag.Amount
}

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("wallet: insufficient funds: have %s TTX, need %s TTX (amount plus burn)", e.Have, e.Need)
}

// Unwrap returns ErrInsufficientFunds.
func (e *InsufficientFundsError) Unwrap() error { return ErrInsufficientFunds }

// corrupt returns an error wrapping ErrCorrupt with a description.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
