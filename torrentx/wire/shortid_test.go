package wire

import (
	"bytes"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// Both sides of a connection derive one key from the two salts, and other
// salts give other keys.
func TestShortKey(t *testing.T) {
	k := NewShortKey(3, 99)
	if k != NewShortKey(99, 3) {
		t.Fatal("the key depends on the order of the salts")
	}
	if k == NewShortKey(3, 98) || k == NewShortKey(4, 99) {
		t.Fatal("another salt gives the same key")
	}
	// The short ID is the ID's first 4 bytes and 2 keyed bytes; over many
	// IDs the keyed bytes differ between keys about as often as random
	// 16-bit values would (equal in 1/65,536 of the pairs).
	other := NewShortKey(1, 2)
	equal := 0
	const n = 20000
	for i := range n {
		id := id(byte(i>>8), byte(i), 0xab, 0xcd, 0xef)
		s := k.Short(id)
		if !bytes.Equal(s[:4], id[:4]) {
			t.Fatalf("short ID %x of %s does not start with the ID", s, id)
		}
		if s != k.Short(id) {
			t.Fatal("Short is not deterministic")
		}
		if s == other.Short(id) {
			equal++
		}
	}
	if equal > 5 {
		t.Errorf("%d of %d short IDs equal under two keys, want about %.1f", equal, n, n/65536.0)
	}
}

// Range covers exactly the IDs that share the short ID's prefix.
func TestShortIDRange(t *testing.T) {
	k := NewShortKey(1, 2)
	for _, tc := range []struct {
		id         dag.TxID
		before, at dag.TxID // just below the range, its last ID
	}{
		{id: id(0x12, 0x34, 0x56, 0x78, 0x9a), before: id(0x12, 0x34, 0x56, 0x77, 0xff), at: id(0x12, 0x34, 0x56, 0x78, 0xff)},
		{id: id(0xff, 0xff, 0xff, 0xff, 1), before: id(0xff, 0xff, 0xff, 0xfe, 0xff), at: id(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)},
		{id: id(0, 0, 0, 0, 5), at: id(0, 0, 0, 0, 0xff)},
	} {
		from, to := k.Short(tc.id).Range()
		in := func(x dag.TxID) bool {
			return bytes.Compare(x[:], from[:]) >= 0 && (to.IsZero() || bytes.Compare(x[:], to[:]) < 0)
		}
		if !in(tc.id) || !in(tc.at) {
			t.Errorf("range [%s, %s) misses %s or %s", from, to, tc.id, tc.at)
		}
		if !tc.before.IsZero() && in(tc.before) {
			t.Errorf("range [%s, %s) holds %s", from, to, tc.before)
		}
		if tc.id[0] == 0xff && !to.IsZero() {
			t.Errorf("the last prefix's range ends at %s, want no bound", to)
		}
	}
}
