package gossip

import "errors"

// Sentinel errors. They are the reasons passed to Peer.Close, and what
// Engine methods return after Close.
var (
	// ErrClosed: the engine is closed.
	ErrClosed = errors.New("gossip: engine closed")
	// ErrWrongNetwork: the peer's hello names another network.
	ErrWrongNetwork = errors.New("gossip: peer is on another network")
	// ErrVersion: the peer speaks only protocol versions we do not.
	ErrVersion = errors.New("gossip: unsupported protocol version")
	// ErrBanned: the peer misbehaved (or is still banned for it).
	ErrBanned = errors.New("gossip: peer banned")
	// ErrNoPeers: a query found no peer to ask.
	ErrNoPeers = errors.New("gossip: no peers")
	// ErrUnknownPeer: no ready peer has the node key SendTo was given (or,
	// for Poll, none that speaks wire.VoteVersion).
	ErrUnknownPeer = errors.New("gossip: no peer with that node key")
	// ErrPollLimit: Poll would await too many polls from one peer, or a
	// Req awaited already.
	ErrPollLimit = errors.New("gossip: too many polls awaited")
)
