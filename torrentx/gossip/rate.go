package gossip

import "time"

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

// spend takes n tokens, going into debt if needed: the next wait is
// longer.
func (b *bucket) spend(now time.Time, n float64) {
	b.refill(now)
	b.tokens -= n
}
