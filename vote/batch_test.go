package vote

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

var testNet = dag.TxID{0x7e, 0x57}

// testKey returns the node key made from seed byte i.
func testKey(i byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0], seed[1] = i, 0x5e
	return ed25519.NewKeyFromSeed(seed)
}

func nodeKey(priv ed25519.PrivateKey) NodeKey {
	var k NodeKey
	copy(k[:], priv.Public().(ed25519.PublicKey))
	return k
}

// testVotes returns n votes on distinct outputs, with varied preferences.
func testVotes(n int) []Vote {
	votes := make([]Vote, n)
	for i := range votes {
		votes[i] = Vote{
			Out:  dag.OutPoint{TxID: dag.TxID{byte(i), byte(i >> 8), 0x0f}, Index: uint32(i % 3)},
			Pref: dag.TxID{byte(i*7 + 1), 0xaa},
		}
		if i%5 == 4 {
			votes[i].Pref = dag.TxID{} // no preference
		}
	}
	return votes
}

func mustSign(t testing.TB, priv ed25519.PrivateKey, network dag.TxID, time int64, votes []Vote) *Batch {
	t.Helper()
	b, err := Sign(priv, network, time, votes)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMerkleRootByHand(t *testing.T) {
	v := testVotes(3)
	l0, l1, l2 := leafHash(v[0]), leafHash(v[1]), leafHash(v[2])
	// The leaf is SHA-256 of the documented 69 bytes.
	raw := append([]byte{0}, v[1].Out.TxID[:]...)
	raw = append(raw, 0, 0, 0, 1)
	raw = append(raw, v[1].Pref[:]...)
	if l1 != sha256.Sum256(raw) {
		t.Fatal("leaf hash is not SHA-256(0x00 || txid || index BE || pref)")
	}
	inner := func(l, r [32]byte) [32]byte {
		return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
	}
	for n, want := range map[int][32]byte{
		1: l0,
		2: inner(l0, l1),
		3: inner(inner(l0, l1), l2), // the odd third leaf is carried up
	} {
		b := Batch{Votes: v[:n]}
		if got, err := b.Root(); err != nil || got != want {
			t.Errorf("root of %d votes = %x, %v, want %x", n, got[:4], err, want[:4])
		}
	}
}

func TestSignVerifyAndPaths(t *testing.T) {
	priv := testKey(1)
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 100} {
		b := mustSign(t, priv, testNet, 1_700_000_000_000, testVotes(n))
		if err := b.Verify(); err != nil {
			t.Fatalf("%d votes: Verify = %v", n, err)
		}
		if b.Key != nodeKey(priv) {
			t.Fatal("batch key is not the signer's")
		}
		for i := range n {
			a, err := b.Attestation(i)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Verify(); err != nil {
				t.Fatalf("%d votes: attestation %d: %v", n, i, err)
			}
			if a.Vote != b.Votes[i] || len(a.Path) != pathLen(i, n) {
				t.Fatalf("%d votes: attestation %d has vote %v, path %d", n, i, a.Vote, len(a.Path))
			}
			// The vote cannot be claimed at another position, nor another vote at this one.
			if n > 1 {
				moved := a
				moved.Index = (i + 1) % n
				if moved.Verify() == nil {
					t.Fatalf("%d votes: vote %d verifies at index %d", n, i, moved.Index)
				}
				other := a
				other.Vote = b.Votes[(i+1)%n]
				if err := other.Verify(); !errors.Is(err, ErrBadPath) {
					t.Fatalf("%d votes: vote %d's path proves another vote: %v", n, i, err)
				}
			}
			for _, bad := range []Attestation{
				func() Attestation { c := a; c.Count = 0; return c }(),
				func() Attestation { c := a; c.Index = n; return c }(),
				func() Attestation { c := a; c.Index = -1; return c }(),
				func() Attestation { c := a; c.Path = append(c.Path[:len(c.Path):len(c.Path)], [32]byte{}); return c }(),
			} {
				if err := bad.Verify(); !errors.Is(err, ErrBadPath) {
					t.Fatalf("%d votes: bad attestation %d %+v verified: %v", n, i, bad.Path, err)
				}
			}
		}
	}
}

func TestBatchTamper(t *testing.T) {
	b := mustSign(t, testKey(1), testNet, 1_700_000_000_000, testVotes(5))
	tampers := map[string]func(*Batch){
		"network":   func(b *Batch) { b.Network[31] ^= 1 },
		"key":       func(b *Batch) { b.Key = nodeKey(testKey(2)) },
		"time":      func(b *Batch) { b.Time++ },
		"out txid":  func(b *Batch) { b.Votes[2].Out.TxID[0] ^= 0x80 },
		"out index": func(b *Batch) { b.Votes[4].Out.Index ^= 1 },
		"pref":      func(b *Batch) { b.Votes[0].Pref[5] ^= 1 },
		"no pref":   func(b *Batch) { b.Votes[1].Pref = dag.TxID{} },
		"sig":       func(b *Batch) { b.Sig[63] ^= 1 },
		"order":     func(b *Batch) { b.Votes[0], b.Votes[1] = b.Votes[1], b.Votes[0] },
		"dropped":   func(b *Batch) { b.Votes = b.Votes[:4] },
	}
	for name, tamper := range tampers {
		c := *b
		c.Votes = append([]Vote(nil), b.Votes...)
		tamper(&c)
		if err := c.Verify(); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	if err := b.Verify(); err != nil {
		t.Fatalf("the tampering changed the original: %v", err)
	}
}

func TestSignRejects(t *testing.T) {
	dup := testVotes(3)
	dup[2].Out = dup[0].Out
	for _, tc := range []struct {
		name  string
		votes []Vote
		want  error
	}{
		{"none", nil, ErrEmpty},
		{"too many", testVotes(MaxVotes + 1), ErrTooLarge},
		{"one output twice", dup, ErrDuplicate},
	} {
		if _, err := Sign(testKey(1), testNet, 1, tc.votes); !errors.Is(err, tc.want) {
			t.Errorf("%s: Sign = %v, want %v", tc.name, err, tc.want)
		}
		b := Batch{Votes: tc.votes}
		if err := b.Verify(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := Sign(testKey(1), testNet, 1, testVotes(MaxVotes)); err != nil {
		t.Errorf("Sign of MaxVotes votes: %v", err)
	}
}

// TestVerifyAll: checked together, batches are found good or bad exactly as
// Verify finds each alone, whether all are good, one is bad or malformed.
func TestVerifyAll(t *testing.T) {
	if good := VerifyAll(nil); len(good) != 0 {
		t.Errorf("VerifyAll(nil) = %v", good)
	}
	fresh := func() []*Batch {
		var bs []*Batch
		for i := range 6 {
			bs = append(bs, mustSign(t, testKey(byte(i)), testNet, int64(i), testVotes(i+1)))
		}
		return bs
	}
	tampers := map[string]func([]*Batch){
		"none":     func([]*Batch) {},
		"sig":      func(bs []*Batch) { bs[2].Sig[0] ^= 1 },
		"key":      func(bs []*Batch) { bs[0].Key = nodeKey(testKey(9)) },
		"pref":     func(bs []*Batch) { bs[5].Votes[3].Pref[0] ^= 1 },
		"no votes": func(bs []*Batch) { bs[3].Votes = nil },
		"two bad":  func(bs []*Batch) { bs[1].Time++; bs[4].Sig[63] ^= 0x40 },
		"one, bad": func(bs []*Batch) { bs[0].Sig[1] ^= 1 },
		"every one": func(bs []*Batch) {
			bs[0].Sig[1] ^= 1
			bs[1].Sig[1] ^= 1
			bs[2].Sig[1] ^= 1
			bs[3].Sig[1] ^= 1
			bs[4].Sig[1] ^= 1
			bs[5].Sig[1] ^= 1
		},
		"one, good":  func([]*Batch) {},
		"two, first": func(bs []*Batch) { bs[0].Sig[1] ^= 1 },
	}
	for name, tamper := range tampers {
		bs := fresh()
		switch name {
		case "one, bad", "one, good":
			bs = bs[:1]
		case "two, first":
			bs = bs[:2]
		}
		tamper(bs)
		good := VerifyAll(bs)
		if len(good) != len(bs) {
			t.Fatalf("%s: %d results for %d batches", name, len(good), len(bs))
		}
		for i, b := range bs {
			if want := b.Verify() == nil; good[i] != want {
				t.Errorf("%s: batch %d good = %v, Verify says %v", name, i, good[i], want)
			}
		}
	}
}
