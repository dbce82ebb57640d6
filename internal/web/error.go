package web

import "errors"

// ErrQRTooLong means the text does not fit the largest QR code the encoder
// makes (213 bytes).
var ErrQRTooLong = errors.New("web: text too long for a QR code")
