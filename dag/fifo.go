package dag

// IDSet is a set of transaction IDs that holds at most a fixed number and
// forgets the oldest first (what a peer has, for example). It is not safe
// for concurrent use.
type IDSet struct{ f *fifo[TxID, struct{}] }

// NewIDSet returns an empty IDSet for at most size IDs (at least 1).
func NewIDSet(size int) *IDSet { return &IDSet{newFIFO[TxID, struct{}](size)} }

// Has reports whether s holds id.
func (s *IDSet) Has(id TxID) bool { return s.f.has(id) }

// Add puts id in s, forgetting the oldest ID if s is full.
func (s *IDSet) Add(id TxID) { s.f.add(id, struct{}{}) }

// fifo maps keys to values and holds at most its size of keys, forgetting
// the oldest first. It is not safe for concurrent use.
type fifo[K comparable, V any] struct {
	m    map[K]V
	ring []K // insertion order; ring[next] is the oldest once full
	next int
	size int
}

// newFIFO returns an empty fifo for at most size keys (at least 1). It
// grows as keys come rather than taking room for size at once: a peer's
// set of known IDs is one per connection.
func newFIFO[K comparable, V any](size int) *fifo[K, V] {
	return &fifo[K, V]{m: make(map[K]V), size: max(size, 1)}
}

// get returns k's value.
func (m *fifo[K, V]) get(k K) (V, bool) {
	v, ok := m.m[k]
	return v, ok
}

// has reports whether m holds k.
func (m *fifo[K, V]) has(k K) bool {
	_, ok := m.m[k]
	return ok
}

// add puts k with v, forgetting the oldest key if m is full. A key m holds
// already keeps its value and its age.
func (m *fifo[K, V]) add(k K, v V) {
	if m.has(k) {
		return
	}
	if len(m.ring) < m.size {
		m.ring = append(m.ring, k)
	} else {
		delete(m.m, m.ring[m.next])
		m.ring[m.next] = k
		m.next = (m.next + 1) % len(m.ring)
	}
	m.m[k] = v
}

// retain forgets the keys for which keep returns false.
func (m *fifo[K, V]) retain(keep func(K, V) bool) {
	ring := m.ring[:0]
	for _, k := range m.orderedKeys() {
		if keep(k, m.m[k]) {
			ring = append(ring, k)
		} else {
			delete(m.m, k)
		}
	}
	m.ring, m.next = ring, 0
}

// orderedKeys returns the keys oldest first.
func (m *fifo[K, V]) orderedKeys() []K {
	if len(m.ring) < m.size {
		return append([]K(nil), m.ring...)
	}
	return append(append([]K(nil), m.ring[m.next:]...), m.ring[:m.next]...)
}

// len returns how many keys m holds.
func (m *fifo[K, V]) len() int { return len(m.m) }
