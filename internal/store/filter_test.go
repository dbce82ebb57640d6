package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// TestFilter: a full epoch of IDs is all found, after a save and a load
// too, and few absent IDs pass.
func TestFilter(t *testing.T) {
	const n = 1 << DefaultEpochBits
	id := func(i int) dag.TxID { return dag.TxID(sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))) }
	f := newFilter()
	for i := range n {
		k := id(i)
		f.add(idHashes(&k))
	}
	g, err := unmarshalFilter(f.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.marshal(), f.marshal()) {
		t.Fatal("filter changed in a save and load")
	}
	for i := range n {
		if k := id(i); !g.has(idHashes(&k)) {
			t.Fatalf("ID %d was added but is not found", i)
		}
	}
	var passed int
	for i := n; i < 2*n; i++ {
		if k := id(i); g.has(idHashes(&k)) {
			passed++
		}
	}
	// 16 bits per key and 7 probes: about 0.06% pass.
	if passed > n/200 {
		t.Errorf("%d of %d absent IDs pass the filter", passed, n)
	}
	t.Logf("%d of %d absent IDs pass", passed, n)
	if _, err := unmarshalFilter(make([]byte, 100)); err == nil {
		t.Error("a filter of 100 bytes loads")
	}
}
