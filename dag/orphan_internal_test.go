package dag

import "testing"

func TestOrphanPoolBookkeeping(t *testing.T) {
	pl := newOrphanPool(OrphanLimits{}.withDefaults())
	mk := func(id byte, src string, waits ...TxID) *entry {
		return &entry{p: &Parsed{TxIDs: TxIDs{ID: TxID{id}}, Raw: make([]byte, 100)}, src: src, waits: waits}
	}
	p1, p2 := TxID{0xa1}, TxID{0xa2}
	a, b := mk(1, "x", p1, p2), mk(2, "x", p1)
	pl.add(a)
	pl.add(b)
	if got := pl.waitingFor(p1); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("waitingFor(p1) = %v, want a then b", got)
	}
	if pl.perSource["x"] != 2 || pl.bytes != 200 {
		t.Errorf("counters %d orphans, %d bytes; want 2, 200", pl.perSource["x"], pl.bytes)
	}
	pl.remove(a)
	pl.remove(b)
	if len(pl.byID) != 0 || len(pl.waiting) != 0 || len(pl.perSource) != 0 || pl.bytes != 0 {
		t.Errorf("empty pool keeps state: %d ids, %d waiting, %v sources, %d bytes", len(pl.byID), len(pl.waiting), pl.perSource, pl.bytes)
	}
}
