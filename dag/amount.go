package dag

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Amount counts base units. 1 TTX = Unit base units. Amounts are never
// floats: they are parsed from and printed as exact decimal strings.
type Amount uint64

const (
	// Unit is the number of base units in one TTX.
	Unit Amount = 100_000_000
	// Decimals is the number of decimal places of a TTX amount.
	Decimals = 8
	// MaxAmount is the largest representable amount.
	MaxAmount Amount = math.MaxUint64
)

// Errors returned by ParseAmount and the checked arithmetic.
var (
	ErrAmountSyntax   = errors.New("dag: amount must be a decimal number like 12 or 0.5, with at most 8 decimal places")
	ErrAmountOverflow = errors.New("dag: amount overflows")
)

// ParseAmount parses a decimal TTX amount such as "1.5" (= 150000000 base
// units) exactly. It accepts at most Decimals fractional digits and no sign,
// exponent, spaces, thousands separators or non-ASCII digits. Leading zeros
// are accepted ("01" is 1 TTX): an amount is typed by a user and never
// hashed or signed as text, so they are harmless. Inputs longer than 40
// bytes are a syntax error.
func ParseAmount(s string) (Amount, error) {
	if s == "" || len(s) > 40 {
		return 0, ErrAmountSyntax
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > Decimals {
		return 0, ErrAmountSyntax
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, ErrAmountSyntax
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, ErrAmountOverflow
	}
	hi, lo := bits.Mul64(w, uint64(Unit))
	if hi != 0 {
		return 0, ErrAmountOverflow
	}
	var f uint64
	if frac != "" {
		f, _ = strconv.ParseUint(frac+strings.Repeat("0", Decimals-len(frac)), 10, 64)
	}
	sum, carry := bits.Add64(lo, f, 0)
	if carry != 0 {
		return 0, ErrAmountOverflow
	}
	return Amount(sum), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats a as a decimal TTX amount with no trailing zeros:
// 150000000 -> "1.5", 1 -> "0.00000001", 0 -> "0".
func (a Amount) String() string {
	whole := uint64(a / Unit)
	frac := uint64(a % Unit)
	s := strconv.FormatUint(whole, 10)
	if frac == 0 {
		return s
	}
	fs := strconv.FormatUint(frac, 10)
	fs = strings.Repeat("0", Decimals-len(fs)) + fs
	return s + "." + strings.TrimRight(fs, "0")
}

// Add returns a+b, or ErrAmountOverflow.
func (a Amount) Add(b Amount) (Amount, error) {
	s, carry := bits.Add64(uint64(a), uint64(b), 0)
	if carry != 0 {
		return 0, ErrAmountOverflow
	}
	return Amount(s), nil
}

// Mul returns a*n, or ErrAmountOverflow.
func (a Amount) Mul(n uint64) (Amount, error) {
	hi, lo := bits.Mul64(uint64(a), n)
	if hi != 0 {
		return 0, ErrAmountOverflow
	}
	return Amount(lo), nil
}

// SumAmounts adds amounts with overflow checking.
func SumAmounts(as ...Amount) (Amount, error) {
	var total Amount
	for _, a := range as {
		var err error
		if total, err = total.Add(a); err != nil {
			return 0, err
		}
	}
	return total, nil
}
