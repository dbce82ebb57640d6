package dag

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

func randomIDs(r *rand.Rand, n int) []TxID {
	ids := make([]TxID, n)
	for i := range ids {
		for j := 0; j < TxIDSize; j += 8 {
			binary.LittleEndian.PutUint64(ids[i][j:], r.Uint64())
		}
	}
	return ids
}

func TestAccumulatorEmpty(t *testing.T) {
	var a Accumulator
	var zero [TxIDSize + 8]byte
	h := sha256.Sum256(zero[:])
	d := a.Digest()
	if d.Count != 0 || string(d.Fingerprint[:]) != string(h[:FingerprintSize]) {
		t.Errorf("empty Digest = %v, want 0/%x", d, h[:FingerprintSize])
	}
	if got, want := d.String(), "0/"+hex.EncodeToString(h[:FingerprintSize]); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// Adding then removing returns to the empty set.
	a.Add(testID)
	if a.Digest() == d {
		t.Error("adding an ID did not change the digest")
	}
	a.Remove(testID)
	if a.Digest() != d || a != (Accumulator{}) {
		t.Errorf("add then remove = %+v, want the zero Accumulator", a)
	}
}

func TestAccumulatorOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := randomIDs(r, 200)
	var want Accumulator
	for _, id := range ids {
		want.Add(id)
	}
	for range 20 {
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		var a Accumulator
		for _, id := range ids {
			a.Add(id)
		}
		if a.Digest() != want.Digest() {
			t.Fatalf("another order gives %v, want %v", a.Digest(), want.Digest())
		}
	}
	if want.Count != 200 {
		t.Errorf("Count = %d", want.Count)
	}
}

func TestAccumulatorAddRemove(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ids := randomIDs(r, 100)
	var small, big Accumulator
	for _, id := range ids[:50] {
		small.Add(id)
	}
	// Interleave: add all 100, then remove the last 50 in another order.
	for _, id := range ids {
		big.Add(id)
	}
	extra := ids[50:]
	r.Shuffle(len(extra), func(i, j int) { extra[i], extra[j] = extra[j], extra[i] })
	for _, id := range extra {
		big.Remove(id)
	}
	if big != small {
		t.Errorf("remove is not the inverse of add: %v != %v", big.Digest(), small.Digest())
	}
}

func TestAccumulatorCarries(t *testing.T) {
	// All-ones IDs make every 64-bit limb carry into the next; the sum wraps
	// mod 2^256, and subtraction borrows back.
	var ones TxID
	for i := range ones {
		ones[i] = 0xff
	}
	one := TxID{1}
	var a Accumulator
	a.Add(ones)
	a.Add(one)
	if a.Sum != ([TxIDSize]byte{}) || a.Count != 2 {
		t.Errorf("(2^256-1) + 1 = %x (count %d), want 0 mod 2^256", a.Sum, a.Count)
	}
	a.Remove(one)
	if a.Sum != [TxIDSize]byte(ones) || a.Count != 1 {
		t.Errorf("0 - 1 = %x, want 2^256-1", a.Sum)
	}
}

func TestDigestDistinguishes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ids := randomIDs(r, 3)
	var a, b, c Accumulator
	a.Add(ids[0])
	a.Add(ids[1])
	b.Add(ids[0])
	b.Add(ids[2])
	c.Add(ids[0])
	if a.Digest() == b.Digest() {
		t.Error("different sets, same digest")
	}
	// Same sum, different count: {x} vs {x, 0}.
	c2 := c
	c2.Add(TxID{})
	if c.Fingerprint() == c2.Fingerprint() {
		t.Error("the count is not part of the fingerprint")
	}
}
