package gossip

import (
	"time"

	"github.com/torrenttx/ttx/dag"
)

// bucket is a token bucket: it refills at rate tokens per second up to
// burst. It must be used with Engine.mu held.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newBucket(rate, burst float64, now time.Time) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

// take spends n tokens if there are that many.
func (b *bucket) take(now time.Time, n float64) bool {
	b.refill(now)
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// wait returns how long until n tokens are there (0: now). n must not
// exceed burst.
func (b *bucket) wait(now time.Time, n float64) time.Duration {
	b.refill(now)
	if b.tokens >= n {
		return 0
	}
	return time.Duration((n - b.tokens) / b.rate * float64(time.Second))
}

// idSet is a set of IDs that forgets its oldest entries past a size.
type idSet struct {
	m    map[dag.TxID]struct{}
	ring []dag.TxID
	next int
}

func newIDSet(size int) *idSet {
	return &idSet{m: make(map[dag.TxID]struct{}, size), ring: make([]dag.TxID, 0, size)}
}

func (s *idSet) has(id dag.TxID) bool {
	_, ok := s.m[id]
	return ok
}

func (s *idSet) add(id dag.TxID) {
	if s.has(id) {
		return
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, id)
	} else {
		delete(s.m, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.m[id] = struct{}{}
}

// spend takes n tokens, going into debt if needed: the next wait is
// longer.
func (b *bucket) spend(now time.Time, n float64) {
	b.refill(now)
	b.tokens -= n
}
