package dag

import "testing"

func TestFIFOForgetsOldest(t *testing.T) {
	m := newFIFO[int, string](3)
	for i := range 5 {
		m.add(i, "first")
		m.add(i, "second") // a second add is a no-op, not an eviction
	}
	for i := range 5 {
		v, ok := m.get(i)
		if want := i >= 2; ok != want || ok && v != "first" {
			t.Errorf("get(%d) = %q, %v; want present %v with the first value", i, v, ok, want)
		}
		if m.has(i) != ok {
			t.Errorf("has(%d) = %v, get says %v", i, m.has(i), ok)
		}
	}
	if m.len() != 3 {
		t.Errorf("map holds %d entries, want 3", m.len())
	}
	// Past a full turn of the ring the order still holds.
	for i := 5; i < 12; i++ {
		m.add(i, "x")
	}
	for i := range 12 {
		if want := i >= 9; m.has(i) != want {
			t.Errorf("after 12 adds has(%d) = %v, want %v", i, m.has(i), want)
		}
	}
}

func TestFIFOSizeAtLeastOne(t *testing.T) {
	m := newFIFO[int, int](0)
	m.add(1, 1)
	m.add(2, 2)
	if m.has(1) || !m.has(2) || m.len() != 1 {
		t.Errorf("size-0 map holds %d: has(1) %v has(2) %v", m.len(), m.has(1), m.has(2))
	}
}
