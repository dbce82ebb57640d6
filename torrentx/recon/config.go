package recon

import "fmt"

// Defaults for Config.
const (
	DefaultMessageSize = 60000
	DefaultBuckets     = 8
	DefaultIDListMax   = 4
	DefaultMaxIDs      = 1 << 17
	DefaultMaxRounds   = 512
	// minMessageSize leaves room for a split or a full ID list plus the
	// closing remainder, so every message makes progress.
	minMessageSize = 4096
)

// Config tunes the messages a side builds. The two sides of a session may
// use different values: every choice here is the sender's own.
type Config struct {
	// MaxMessageSize bounds each encoded message built (default
	// DefaultMessageSize, 4,096 to MaxMessageSize).
	MaxMessageSize int
	// Buckets is how many ranges a mismatching range is split into
	// (default 8, 2 to 32). With IDListMax these trade bytes for round
	// trips: 8 and 4 send about half the bytes of negentropy's 16 and 32
	// for 1% of 100,000 IDs (BenchmarkReconcile), in 8 round trips.
	Buckets int
	// IDListMax: a side holding at most this many IDs in a mismatching
	// range sends them rather than splitting it (default 4, 1 to 64).
	IDListMax int
	// MaxIDs bounds the IDs a Session keeps (needed, had and the peer's
	// listed IDs); at the cap the session ends incomplete (default 131,072).
	MaxIDs int
	// MaxRounds bounds the replies a Session processes (default 512).
	MaxRounds int
}

func (c Config) withDefaults() (Config, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxMessageSize, DefaultMessageSize)
	def(&c.Buckets, DefaultBuckets)
	def(&c.IDListMax, DefaultIDListMax)
	def(&c.MaxIDs, DefaultMaxIDs)
	def(&c.MaxRounds, DefaultMaxRounds)
	switch {
	case c.MaxMessageSize < minMessageSize || c.MaxMessageSize > MaxMessageSize:
		return c, fmt.Errorf("recon: MaxMessageSize %d is outside %d..%d", c.MaxMessageSize, minMessageSize, MaxMessageSize)
	case c.Buckets < 2 || c.Buckets > 32:
		return c, fmt.Errorf("recon: Buckets %d is outside 2..32", c.Buckets)
	case c.IDListMax < 1 || c.IDListMax > 64:
		return c, fmt.Errorf("recon: IDListMax %d is outside 1..64", c.IDListMax)
	case c.MaxIDs < 1 || c.MaxRounds < 1:
		return c, fmt.Errorf("recon: MaxIDs and MaxRounds must be positive")
	}
	return c, nil
}
