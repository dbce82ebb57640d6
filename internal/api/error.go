package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/wallet"
	"github.com/torrenttx/ttx/proofs"
)

// Error codes of this package. Rule violations use their dag.ErrorCode name
// instead ("ErrBadAddress", "ErrDoubleSpend", ...).
const (
	CodeBadRequest        = "ErrBadRequest"        // malformed request
	CodeUnauthorized      = "ErrUnauthorized"      // spending without (the right) cookie
	CodeNotFound          = "ErrNotFound"          // unknown transaction or endpoint
	CodeTooLarge          = "ErrTooLarge"          // request body too large
	CodeInsufficientFunds = "ErrInsufficientFunds" // the wallet cannot pay
	CodeInvalidProof      = "ErrInvalidProof"      // a proof that does not verify
	CodeNotAccepted       = "ErrNotAccepted"       // a proof asked of a transaction that is not accepted
	CodeTooManyInputs     = "ErrTooManyInputs"     // the funds exist but need too many coins for one tx
	CodeUnavailable       = "ErrUnavailable"       // the node cannot do it now (no wallet, no faucet key)
	CodeTimeout           = "ErrTimeout"           // the request ran out of time
	CodeInternal          = "ErrInternal"          // the node's own fault
)

// ErrNotRunning is wrapped by NotRunningError.
var ErrNotRunning = errors.New("api: node not running")

// Error is an error with an HTTP status and a stable code. A Backend
// returns one to choose the response; the Client returns one for every
// error response it gets.
type Error struct {
	Status  int
	Code    string
	Message string
	Err     error // the cause, on the server side; nil in the Client
}

// NewError returns an *Error with the given status and code whose message
// is err's.
func NewError(status int, code string, err error) *Error {
	return &Error{Status: status, Code: code, Message: err.Error(), Err: err}
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NotRunningError reports that nothing answers at the node's API address.
type NotRunningError struct {
	URL string
	Err error
}

func (e *NotRunningError) Error() string {
	return "node not running at " + e.URL + ": start it with `ttx start`"
}

// Unwrap returns ErrNotRunning, and the dial error via Is/As on it.
func (e *NotRunningError) Unwrap() []error { return []error{ErrNotRunning, e.Err} }

// toError maps an error from a Backend (or a handler) to an *Error.
func toError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var pe *proofs.ProofError
	switch {
	case errors.As(err, &pe):
		return NewError(http.StatusBadRequest, CodeInvalidProof, err)
	case errors.Is(err, proofs.ErrNotAccepted):
		return NewError(http.StatusConflict, CodeNotAccepted, err)
	case errors.Is(err, wallet.ErrInsufficientFunds):
		return walletError(http.StatusUnprocessableEntity, CodeInsufficientFunds, err, wallet.ErrInsufficientFunds)
	case errors.Is(err, wallet.ErrTooManyInputs):
		return walletError(http.StatusUnprocessableEntity, CodeTooManyInputs, err, wallet.ErrTooManyInputs)
	case errors.Is(err, wallet.ErrZeroAmount):
		return walletError(http.StatusBadRequest, dag.ErrBadAmount.String(), err, wallet.ErrZeroAmount)
	case errors.Is(err, wallet.ErrMemoTooLong):
		return walletError(http.StatusBadRequest, dag.ErrBadField.String(), err, wallet.ErrMemoTooLong)
	case errors.Is(err, wallet.ErrBadMemo):
		return walletError(http.StatusBadRequest, dag.ErrBadField.String(), err, wallet.ErrBadMemo)
	}
	if re, ok := dag.IsRuleError(err); ok {
		status := http.StatusBadRequest
		if re.Code == dag.ErrDoubleSpend {
			status = http.StatusConflict
		}
		return &Error{Status: status, Code: re.Code.String(), Message: err.Error(), Err: err}
	}
	switch {
	case errors.Is(err, dag.ErrNotFound):
		return NewError(http.StatusNotFound, CodeNotFound, err)
	case errors.Is(err, context.DeadlineExceeded):
		return NewError(http.StatusGatewayTimeout, CodeTimeout, err)
	case errors.Is(err, context.Canceled):
		return NewError(http.StatusServiceUnavailable, CodeUnavailable, err)
	}
	return NewError(http.StatusInternalServerError, CodeInternal, err)
}

// walletError is the answer to a send the wallet refused. Its message
// starts at the wallet's own words (sentinel and detail), without the
// layers that wrapped it or the package prefix: the user reads "insufficient
// funds: have …, need …", not "build transaction: build send: wallet: …".
func walletError(status int, code string, err, sentinel error) *Error {
	msg := err.Error()
	if i := strings.Index(msg, sentinel.Error()); i >= 0 {
		msg = strings.TrimPrefix(msg[i:], "wallet: ")
	}
	return &Error{Status: status, Code: code, Message: msg, Err: err}
}
