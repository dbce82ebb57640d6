package ttxuri

import (
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts formats to a canonical
// URI that parses back to the same request and formats to itself.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"ttx:" + addr,
		"ttx:" + addr + "?amount=1.5&memo=lunch%20on%20Friday",
		"TTX:" + strings.ToUpper(addr) + "?amount=01&label=x&memo=a+b",
		"ttx:" + addr + "?req-x=1",
		"ttx:" + addr + "?memo=%zz",
		"ttx:?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse(%q) returned a request and %v", s, err)
			}
			return
		}
		u := r.String()
		again, err := Parse(u)
		if err != nil || *again != *r {
			t.Fatalf("Parse(%q) = %+v; its String %q parses to %+v, %v", s, *r, u, again, err)
		}
		if again.String() != u {
			t.Fatalf("String is not canonical: %q then %q", u, again.String())
		}
	})
}
