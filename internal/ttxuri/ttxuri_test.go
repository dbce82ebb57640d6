package ttxuri

import (
	"errors"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// addr is a valid address of prefix "ttx".
var addr = dag.PubKey{7, 1, 2, 3}.Address("ttx")

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Request
	}{
		{"ttx:" + addr, Request{Address: addr}},
		{"  ttx:" + addr + "\n", Request{Address: addr}},
		{"TTX:" + strings.ToUpper(addr), Request{Address: addr}},
		{"ttx:" + addr + "?amount=1.5", Request{Address: addr, Amount: 150_000_000}},
		{"ttx:" + addr + "?amount=0.00000001&memo=lunch", Request{Address: addr, Amount: 1, Memo: "lunch"}},
		{"ttx:" + addr + "?memo=lunch%20on%20Friday%2C%20thanks%21&amount=21000000", Request{Address: addr, Amount: 21_000_000 * dag.Unit, Memo: "lunch on Friday, thanks!"}},
		{"ttx:" + addr + "?memo=a+b", Request{Address: addr, Memo: "a+b"}},
		{"ttx:" + addr + "?memo=", Request{Address: addr}},
		// Unknown parameters are ignored, as BIP 21 says.
		{"ttx:" + addr + "?label=Alice&amount=2&message=hi", Request{Address: addr, Amount: 2 * dag.Unit}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if *got != tc.want {
				t.Errorf("Parse = %+v, want %+v", *got, tc.want)
			}
			again, err := Parse(got.String())
			if err != nil || *again != *got {
				t.Errorf("Parse(%q) = %+v, %v; want %+v", got.String(), again, err, *got)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		r    Request
		want string
	}{
		{Request{Address: addr}, "ttx:" + addr},
		{Request{Address: addr, Amount: 150_000_000}, "ttx:" + addr + "?amount=1.5"},
		{Request{Address: addr, Memo: "x"}, "ttx:" + addr + "?memo=x"},
		{Request{Address: addr, Amount: dag.Unit, Memo: `lunch & "tea" 100%+more?#=/~_.-`}, "ttx:" + addr +
			"?amount=1&memo=lunch%20%26%20%22tea%22%20100%25%2Bmore%3F%23%3D%2F~_.-"},
	}
	for _, tc := range tests {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("String(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	typo := addr[:10] + map[bool]string{true: "q", false: "p"}[addr[10] != 'q'] + addr[11:]
	tests := []struct {
		name, in string
		want     error
		msg      string
	}{
		{"empty", "", ErrSyntax, "does not start"},
		{"bare address", addr, ErrSyntax, "does not start"},
		{"other scheme", "bitcoin:" + addr, ErrSyntax, "does not start"},
		{"no address", "ttx:?amount=1", ErrSyntax, "no address"},
		{"slashes", "ttx://" + addr, ErrSyntax, "address"},
		{"checksum", "ttx:" + typo, ErrSyntax, "checksum"},
		{"mixed case", "ttx:" + strings.ToUpper(addr[:5]) + addr[5:], ErrSyntax, "address"},
		{"float amount", "ttx:" + addr + "?amount=1e3", dag.ErrAmountSyntax, "amount"},
		{"negative", "ttx:" + addr + "?amount=-1", dag.ErrAmountSyntax, "amount"},
		{"nine decimals", "ttx:" + addr + "?amount=0.000000001", dag.ErrAmountSyntax, "amount"},
		{"overflow", "ttx:" + addr + "?amount=184467440737.09551616", dag.ErrAmountOverflow, "amount"},
		{"zero", "ttx:" + addr + "?amount=0.0", ErrSyntax, "zero"},
		{"empty amount", "ttx:" + addr + "?amount=", dag.ErrAmountSyntax, "amount"},
		{"twice", "ttx:" + addr + "?amount=1&amount=2", ErrSyntax, "twice"},
		{"no value", "ttx:" + addr + "?amount", ErrSyntax, "name=value"},
		{"empty parameter", "ttx:" + addr + "?amount=1&", ErrSyntax, "name=value"},
		{"bad escape", "ttx:" + addr + "?memo=%zz", ErrSyntax, "percent"},
		{"control in memo", "ttx:" + addr + "?memo=a%0Ab", ErrSyntax, "printable"},
		{"utf-8 memo", "ttx:" + addr + "?memo=caf%C3%A9", ErrSyntax, "printable"},
		{"long memo", "ttx:" + addr + "?memo=" + strings.Repeat("m", dag.HardMaxMemo+1), ErrSyntax, "limit"},
		{"too long", "ttx:" + addr + "?x=" + strings.Repeat("m", MaxLen), ErrSyntax, "limit"},
		{"required", "ttx:" + addr + "?amount=1&req-expires=1700000000", ErrRequired, "req-expires"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.in)
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tc.in, r, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestIsURI(t *testing.T) {
	for s, want := range map[string]bool{"ttx:" + addr: true, " TTX:x": true, "Ttx:": true, addr: false, "ttx": false, "": false} {
		if got := IsURI(s); got != want {
			t.Errorf("IsURI(%q) = %v, want %v", s, got, want)
		}
	}
}
