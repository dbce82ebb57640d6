package torrentx

import "errors"

// Sentinel errors.
var (
	// ErrClosed is returned by a Client, or a peer, used after Close.
	ErrClosed = errors.New("torrentx: closed")
	// ErrMessageTooLarge is returned by a peer's Send for a payload above
	// MaxMessageSize: BitTorrent peers drop the connection on such messages.
	ErrMessageTooLarge = errors.New("torrentx: message too large")
	// ErrQueueFull is returned by a peer's Send when the peer's outgoing queue
	// is full: the peer reads slower than we write.
	ErrQueueFull = errors.New("torrentx: peer queue full")
	// ErrBusy is returned by Fetch when Config.MaxFetches downloads run.
	ErrBusy = errors.New("torrentx: too many fetches running")
	// ErrPeerFlood is the reason a peer is closed when its incoming queue
	// is full: it sends faster than the gossip handler keeps up.
	ErrPeerFlood = errors.New("torrentx: peer sends too fast")
)
