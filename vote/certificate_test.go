package vote

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

var (
	certTx    = dag.TxID{0xc1}
	certOther = dag.TxID{0xc2} // the other side of the race
	certIns   = []dag.OutPoint{{TxID: dag.TxID{0x01}, Index: 0}, {TxID: dag.TxID{0x02}, Index: 3}}
)

// attest has key i sign one batch voting pref on every input (among
// unrelated votes) and returns the attestations of the inputs' votes.
func attest(t testing.TB, i byte, time int64, pref dag.TxID, ins []dag.OutPoint) []Attestation {
	t.Helper()
	votes := testVotes(5)
	for _, in := range ins {
		votes = append(votes, Vote{Out: in, Pref: pref})
	}
	b := mustSign(t, testKey(i), testNet, time, votes)
	var out []Attestation
	for j := 5; j < len(votes); j++ {
		a, err := b.Attestation(j)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// certFrom builds a K=20, Alpha=15 certificate for tx from keys first..last
// voting pref.
func certFrom(t testing.TB, tx dag.TxID, first, last byte, pref dag.TxID) *Certificate {
	c := &Certificate{Network: testNet, Tx: tx, Inputs: certIns, K: 20, Alpha: 15}
	for i := first; i <= last; i++ {
		c.Attestations = append(c.Attestations, attest(t, i, 1000+int64(i), pref, certIns)...)
	}
	return c
}

func TestCertificateVerify(t *testing.T) {
	keysOf := func(first, last byte) map[NodeKey]bool {
		m := map[NodeKey]bool{}
		for i := first; i <= last; i++ {
			m[nodeKey(testKey(i))] = true
		}
		return m
	}
	tests := []struct {
		name    string
		cert    func() *Certificate
		trusted map[NodeKey]bool
		want    Result
	}{
		{
			name: "alpha keys on every input",
			cert: func() *Certificate { return certFrom(t, certTx, 1, 15, certTx) },
			want: Result{Final: true, Votes: 30, Keys: 15, Weakest: 15},
		},
		{
			name: "one key short",
			cert: func() *Certificate { return certFrom(t, certTx, 1, 14, certTx) },
			want: Result{Votes: 28, Keys: 14, Weakest: 14},
		},
		{
			name: "one input short",
			cert: func() *Certificate {
				c := certFrom(t, certTx, 1, 14, certTx)
				c.Attestations = append(c.Attestations, attest(t, 15, 1, certTx, certIns[:1])...)
				return c
			},
			want: Result{Votes: 29, Keys: 15, Weakest: 14},
		},
		{
			name: "a key counted once however often it signed",
			cert: func() *Certificate {
				c := certFrom(t, certTx, 1, 14, certTx)
				c.Attestations = append(c.Attestations, c.Attestations[:2]...)                  // the same attestations again
				c.Attestations = append(c.Attestations, attest(t, 1, 5000, certTx, certIns)...) // a later batch
				return c
			},
			want: Result{Votes: 28, Keys: 14, Weakest: 14},
		},
		{
			name: "an equivocator counts nowhere",
			cert: func() *Certificate {
				c := certFrom(t, certTx, 1, 15, certTx)
				// Key 3 also signed the other side for the second input only.
				c.Attestations = append(c.Attestations, attest(t, 3, 9000, certOther, certIns[1:])...)
				return c
			},
			want: Result{Votes: 28, Keys: 14, Weakest: 14, Equivocators: 1},
		},
		{
			name: "no preference is another preference",
			cert: func() *Certificate {
				c := certFrom(t, certTx, 1, 16, certTx)
				c.Attestations = append(c.Attestations, attest(t, 16, 9000, dag.TxID{}, certIns[:1])...)
				return c
			},
			want: Result{Final: true, Votes: 30, Keys: 15, Weakest: 15, Equivocators: 1},
		},
		{
			name:    "only trusted keys count",
			cert:    func() *Certificate { return certFrom(t, certTx, 1, 20, certTx) },
			trusted: keysOf(6, 30),
			want:    Result{Final: true, Votes: 30, Keys: 15, Weakest: 15},
		},
		{
			name:    "too few trusted keys",
			cert:    func() *Certificate { return certFrom(t, certTx, 1, 20, certTx) },
			trusted: keysOf(7, 30),
			want:    Result{Votes: 28, Keys: 14, Weakest: 14},
		},
		{
			name:    "an empty trusted set counts nobody",
			cert:    func() *Certificate { return certFrom(t, certTx, 1, 20, certTx) },
			trusted: map[NodeKey]bool{},
			want:    Result{},
		},
		{
			name: "no attestations",
			cert: func() *Certificate {
				return &Certificate{Network: testNet, Tx: certTx, Inputs: certIns, K: 20, Alpha: 15}
			},
			want: Result{},
		},
		{
			// 16 honest keys voted certTx, 4 byzantine keys voted the other
			// side (and two of them equivocated): a certificate for the
			// loser, built from every vote there is, is not final.
			name: "the loser of a race",
			cert: func() *Certificate {
				c := certFrom(t, certOther, 1, 16, certTx)
				c.Attestations = append(c.Attestations, certFrom(t, certOther, 17, 20, certOther).Attestations...)
				c.Attestations = append(c.Attestations, attest(t, 17, 1, certTx, certIns)...)
				c.Attestations = append(c.Attestations, attest(t, 18, 1, certTx, certIns[:1])...)
				return c
			},
			want: Result{Votes: 4, Keys: 2, Weakest: 2, Equivocators: 2},
		},
		{
			name: "the winner of that race",
			cert: func() *Certificate {
				c := certFrom(t, certTx, 1, 16, certTx)
				c.Attestations = append(c.Attestations, certFrom(t, certTx, 17, 20, certOther).Attestations...)
				return c
			},
			want: Result{Final: true, Votes: 32, Keys: 16, Weakest: 16},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cert().Verify(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Verify = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCertificateRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Certificate)
		want error
	}{
		{"bad signature", func(c *Certificate) { c.Attestations[7].Sig[0] ^= 1 }, ErrBadSignature},
		{"signature of another key", func(c *Certificate) { c.Attestations[7].Key = nodeKey(testKey(99)) }, ErrBadSignature},
		{"other time", func(c *Certificate) { c.Attestations[7].Time++ }, ErrBadSignature},
		{"vote not in the root", func(c *Certificate) { c.Attestations[7].Vote.Pref = certOther }, ErrBadPath},
		{"path cut", func(c *Certificate) { c.Attestations[7].Path = c.Attestations[7].Path[1:] }, ErrBadPath},
		{"other network", func(c *Certificate) { c.Network[0] ^= 1 }, ErrWrongNetwork},
		{"output not an input", func(c *Certificate) { c.Inputs = c.Inputs[:1] }, ErrUnknownOutput},
		{"no inputs", func(c *Certificate) { c.Inputs = nil }, ErrEmpty},
		{"input twice", func(c *Certificate) { c.Inputs = []dag.OutPoint{certIns[0], certIns[1], certIns[0]} }, ErrDuplicate},
		{"too many inputs", func(c *Certificate) { c.Inputs = make([]dag.OutPoint, MaxCertInputs+1) }, ErrTooLarge},
		{"too many attestations", func(c *Certificate) { c.Attestations = make([]Attestation, MaxCertAttestations+1) }, ErrTooLarge},
		{"zero k", func(c *Certificate) { c.K = 0 }, ErrParams},
		{"alpha below three quarters", func(c *Certificate) { c.Alpha = 14 }, ErrParams},
		{"alpha over k", func(c *Certificate) { c.K, c.Alpha = 3, 4 }, ErrParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := certFrom(t, certTx, 1, 15, certTx)
			tc.edit(c)
			if r, err := c.Verify(nil); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %+v, %v, want %v", r, err, tc.want)
			}
		})
	}
	c := certFrom(t, certTx, 1, 15, certTx)
	c.Tx = dag.TxID{}
	if _, err := c.Verify(nil); err == nil {
		t.Error("a certificate for the zero ID verified")
	}
}

// TestCertificateNamesBadSignature checks that the batch check of a
// certificate's headers names the attestation whose signature fails, the
// first of them if several do.
func TestCertificateNamesBadSignature(t *testing.T) {
	n := len(certFrom(t, certTx, 1, 15, certTx).Attestations)
	for _, bad := range [][]int{{0}, {7}, {n - 1}, {3, 9}} {
		c := certFrom(t, certTx, 1, 15, certTx)
		for _, i := range bad {
			c.Attestations[i].Sig[5] ^= 0x40
		}
		_, err := c.Verify(nil)
		want := fmt.Sprintf("attestation %d: %v", bad[0], ErrBadSignature)
		if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), want) {
			t.Errorf("bad signatures at %v: Verify = %v, want it to name %q", bad, err, want)
		}
	}
}
