package dag

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

type amountCase struct {
	name string
	s    string
	want Amount
	err  error
}

// amountCases are the ParseAmount table; FuzzParseAmount is seeded from them.
//
// Leading zeros in the whole part ("01", "00.5") are accepted on purpose: an
// amount is typed by a user, never hashed or signed as text, so "01" meaning
// 1 TTX is harmless and refusing it would only be unfriendly. Inputs longer
// than 40 bytes are a syntax error before any parsing.
var amountCases = []amountCase{
	{"zero", "0", 0, nil},
	{"zero with decimals", "0.00000000", 0, nil},
	{"one", "1", Unit, nil},
	{"one and a half", "1.5", 150_000_000, nil},
	{"one base unit", "0.00000001", 1, nil},
	{"a tenth", "0.1", 10_000_000, nil},
	{"eight decimals", "1.12345678", 112_345_678, nil},
	{"whole supply", "21000000", 2_100_000_000_000_000, nil},
	{"max", "184467440737.09551615", MaxAmount, nil},
	{"max whole", "184467440737", 184467440737 * Unit, nil},
	{"leading zero", "01", Unit, nil},
	{"leading zeros with fraction", "00.5", 50_000_000, nil},
	{"40 bytes of leading zeros", strings.Repeat("0", 39) + "1", Unit, nil},

	{"max plus one unit", "184467440737.09551616", 0, ErrAmountOverflow},
	{"max whole plus one", "184467440738", 0, ErrAmountOverflow},
	{"above uint64 before scaling", "18446744073709551616", 0, ErrAmountOverflow},
	{"20 nines", "99999999999999999999", 0, ErrAmountOverflow},

	{"empty", "", 0, ErrAmountSyntax},
	{"dot only", ".", 0, ErrAmountSyntax},
	{"no whole part", ".5", 0, ErrAmountSyntax},
	{"no fraction after dot", "5.", 0, ErrAmountSyntax},
	{"nine decimals", "1.123456789", 0, ErrAmountSyntax},
	{"nine decimals of zeros", "1.000000000", 0, ErrAmountSyntax},
	{"exponent", "1e5", 0, ErrAmountSyntax},
	{"upper exponent", "1E5", 0, ErrAmountSyntax},
	{"negative", "-1", 0, ErrAmountSyntax},
	{"plus sign", "+1", 0, ErrAmountSyntax},
	{"leading space", " 1", 0, ErrAmountSyntax},
	{"trailing space", "1 ", 0, ErrAmountSyntax},
	{"inner space", "1 000", 0, ErrAmountSyntax},
	{"trailing newline", "1\n", 0, ErrAmountSyntax},
	{"comma decimal", "1,5", 0, ErrAmountSyntax},
	{"underscore", "1_000", 0, ErrAmountSyntax},
	{"two dots", "1..5", 0, ErrAmountSyntax},
	{"two fractions", "1.5.5", 0, ErrAmountSyntax},
	{"hex", "0x10", 0, ErrAmountSyntax},
	{"infinity", "Inf", 0, ErrAmountSyntax},
	{"nan", "NaN", 0, ErrAmountSyntax},
	{"arabic-indic digit", "١", 0, ErrAmountSyntax},
	{"fullwidth digit", "１", 0, ErrAmountSyntax},
	{"unicode digit in fraction", "1.٥", 0, ErrAmountSyntax},
	{"NUL", "1\x00", 0, ErrAmountSyntax},
	{"41 bytes", strings.Repeat("0", 40) + "1", 0, ErrAmountSyntax},
	{"huge", strings.Repeat("9", 1<<16), 0, ErrAmountSyntax},
}

func TestParseAmount(t *testing.T) {
	for _, tc := range amountCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAmount(tc.s)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("ParseAmount(%.50q) error = %v, want %v", tc.s, err, tc.err)
			}
			if got != tc.want {
				t.Errorf("ParseAmount(%.50q) = %d, want %d", tc.s, got, tc.want)
			}
		})
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{0, "0"},
		{1, "0.00000001"},
		{10, "0.0000001"},
		{Unit, "1"},
		{150_000_000, "1.5"},
		{100_000_001, "1.00000001"},
		{12_345_678_900_000_000, "123456789"},
		{MaxAmount, "184467440737.09551615"},
	}
	for _, tc := range tests {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("Amount(%d).String() = %q, want %q", uint64(tc.a), got, tc.want)
		}
	}
}

func TestAmountStringRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	as := []Amount{0, 1, Unit - 1, Unit, Unit + 1, MaxAmount - 1, MaxAmount}
	for range 10000 {
		as = append(as, Amount(r.Uint64()), Amount(r.Uint64N(1e12)), Amount(r.Uint64N(1e6))*Unit)
	}
	for _, a := range as {
		s := a.String()
		got, err := ParseAmount(s)
		if err != nil || got != a {
			t.Fatalf("ParseAmount(%q) = %d, %v; want %d", s, got, err, a)
		}
		if strings.Contains(s, ".") && strings.HasSuffix(s, "0") {
			t.Fatalf("Amount(%d).String() = %q has a trailing zero", uint64(a), s)
		}
	}
}

func TestAmountArithmetic(t *testing.T) {
	add := []struct {
		name    string
		a, b    Amount
		want    Amount
		wantErr bool
	}{
		{"small", 1, 2, 3, false},
		{"max plus zero", MaxAmount, 0, MaxAmount, false},
		{"halves", MaxAmount / 2, MaxAmount/2 + 1, MaxAmount, false},
		{"max plus one", MaxAmount, 1, 0, true},
		{"max plus max", MaxAmount, MaxAmount, 0, true},
	}
	for _, tc := range add {
		got, err := tc.a.Add(tc.b)
		if (err != nil) != tc.wantErr || got != tc.want || (err != nil && !errors.Is(err, ErrAmountOverflow)) {
			t.Errorf("Add %s: %d + %d = %d, %v", tc.name, tc.a, tc.b, got, err)
		}
	}
	mul := []struct {
		name    string
		a       Amount
		n       uint64
		want    Amount
		wantErr bool
	}{
		{"small", 3, 4, 12, false},
		{"by zero", MaxAmount, 0, 0, false},
		{"zero by max", 0, math.MaxUint64, 0, false},
		{"max by one", MaxAmount, 1, MaxAmount, false},
		{"2^32 by 2^31", 1 << 32, 1 << 31, 1 << 63, false},
		{"2^32 by 2^32", 1 << 32, 1 << 32, 0, true},
		{"max by two", MaxAmount, 2, 0, true},
		{"burn of a full tx at a high rate", MaxAmount / 1000, MaxTxSize, 0, true},
	}
	for _, tc := range mul {
		got, err := tc.a.Mul(tc.n)
		if (err != nil) != tc.wantErr || got != tc.want || (err != nil && !errors.Is(err, ErrAmountOverflow)) {
			t.Errorf("Mul %s: %d * %d = %d, %v", tc.name, tc.a, tc.n, got, err)
		}
	}
	if got, err := SumAmounts(); got != 0 || err != nil {
		t.Errorf("SumAmounts() = %d, %v", got, err)
	}
	if got, err := SumAmounts(1, 2, 3); got != 6 || err != nil {
		t.Errorf("SumAmounts(1, 2, 3) = %d, %v", got, err)
	}
	if got, err := SumAmounts(MaxAmount, 0, 1); got != 0 || !errors.Is(err, ErrAmountOverflow) {
		t.Errorf("SumAmounts(max, 0, 1) = %d, %v", got, err)
	}
}
