package torrentx

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/torrenttx/ttx/dag"
)

// Extension names in the BEP 10 handshake.
const (
	// ExtensionName is the ttx gossip extension.
	ExtensionName = "ttx"
	extMetadata   = pp.ExtensionNameMetadata
)

// metaQueue bounds the ut_metadata messages waiting for the worker;
// more are dropped (the peer asks again, or another peer answers).
const metaQueue = 256

// Extension protocol maps. We handle ut_metadata
// (BEP 9) ourselves, so the library never parses an info dict we did not
// validate (a crafted dict crashes it), and we offer ttx and ut_pex (our
// own, see pex.go) on the genesis torrent only, where the gossip runs.
//
// onPeerConnAdded runs with the library lock held, before our extended
// handshake is sent.
func (c *Client) onPeerConnAdded(pc *torrent.PeerConn) {
	c.mapsOnce.Do(func() {
		m := *pc.LocalLtepProtocolMap
		m.Index = slices.Clone(m.Index)
		m.AddUserProtocol(extMetadata)
		c.txMap = &m
		g := m
		g.Index = slices.Clone(m.Index)
		g.AddUserProtocol(extPex)
		g.AddUserProtocol(ExtensionName)
		c.genesisMap = &g
	})
	pc.LocalLtepProtocolMap = c.txMap
	if !c.isGenesis(pc) {
		return
	}
	if c.cfg.Gossip != nil {
		pc.LocalLtepProtocolMap = c.genesisMap
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onSwarmConnAddedLocked(pc)
}

// isGenesis reports whether pc is on the genesis torrent. Must be called
// with the library lock held (from a callback).
func (c *Client) isGenesis(pc *torrent.PeerConn) bool {
	return pc.Torrent().InfoHash() == c.genesis.v1
}

// onExtendedHandshake runs with the library lock held. It records where a
// genesis peer listens (a candidate to dial later) and whether it takes
// PEX, and starts a gossip peer for one that speaks ttx.
func (c *Client) onExtendedHandshake(pc *torrent.PeerConn, h *pp.ExtendedHandshakeMessage) {
	if !c.isGenesis(pc) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sp := c.swarm[pc]
	if sp == nil {
		return // closed already
	}
	if host, _, err := net.SplitHostPort(pc.RemoteAddr.String()); err == nil && h.Port > 0 && h.Port < 1<<16 && sp.inbound {
		sp.dial, sp.port = net.JoinHostPort(host, strconv.Itoa(h.Port)), uint16(h.Port)
	}
	if sp.dial != "" {
		c.addCandidatesLocked([]string{sp.dial})
	}
	if pc.LocalLtepProtocolMap == c.genesisMap && h.M[extPex] != 0 && sp.sent == nil {
		sp.pex, sp.nextPex, sp.sent = true, time.Now(), make(map[string]bool)
	}
	if pc.LocalLtepProtocolMap != c.genesisMap || h.M[ExtensionName] == 0 {
		return
	}
	sp.ttx = true
	// The peer exists from now on, so that what it sends before the
	// eviction check admits it (its hello, first of all) waits in its
	// queue instead of being lost; the gossip sees it only once admitted.
	if c.peers[pc] == nil {
		c.peers[pc] = newPeer(c, pc)
	}
	if sp.admitted {
		c.startPeerLocked(pc)
	}
}

// startPeerLocked hands the ttx connection pc to the gossip Handler, once.
// It must be called with c.mu held.
func (c *Client) startPeerLocked(pc *torrent.PeerConn) {
	p := c.peers[pc]
	if p == nil || p.started {
		return
	}
	p.started = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		p.run(c.cfg.Gossip)
	}()
}

// onPeerConnClosed runs with the library lock held.
func (c *Client) onPeerConnClosed(pc *torrent.PeerConn) {
	c.mu.Lock()
	p := c.peers[pc]
	delete(c.peers, pc)
	c.onSwarmConnClosedLocked(pc)
	c.mu.Unlock()
	if p != nil {
		p.shut()
	}
}

// metaMsg is a ut_metadata message waiting for the worker.
type metaMsg struct {
	pc      *torrent.PeerConn
	ih      metainfo.Hash
	payload []byte
}

// onExtensionMessage runs with the library lock held, for every extended
// message. It copies the payload (the library reuses it) and queues it:
// ttx to its peer, ut_metadata to the metadata worker.
func (c *Client) onExtensionMessage(ev torrent.PeerConnReadExtensionMessageEvent) {
	if ev.ExtensionNumber == pp.HandshakeExtendedID {
		return
	}
	name, builtin, err := ev.PeerConn.LocalLtepProtocolMap.LookupId(ev.ExtensionNumber)
	if err != nil || builtin {
		return
	}
	switch name {
	case ExtensionName:
		c.mu.Lock()
		p := c.peers[ev.PeerConn]
		c.mu.Unlock()
		if p != nil {
			p.deliver(slices.Clone(ev.Payload))
		}
	case extPex:
		if c.isGenesis(ev.PeerConn) {
			c.onPex(ev.PeerConn, ev.Payload)
		}
	case extMetadata:
		m := metaMsg{pc: ev.PeerConn, ih: ev.PeerConn.Torrent().InfoHash(), payload: slices.Clone(ev.Payload)}
		select {
		case c.metaQ <- m:
		default:
		}
	}
}

// metaWorker answers and consumes ut_metadata messages, outside the
// library lock.
func (c *Client) metaWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case m := <-c.metaQ:
			c.handleMetadata(m)
		}
	}
}

func (c *Client) handleMetadata(m metaMsg) {
	msg, data, err := parseMetadataMsg(m.payload)
	if err != nil {
		c.dropPeer(m.pc, err)
		return
	}
	e := c.lookup(m.ih)
	switch msg.Type {
	case pp.RequestMetadataExtensionMsgType:
		var info []byte
		if e != nil {
			c.mu.Lock()
			info = e.info
			c.mu.Unlock()
		}
		reply := pp.ExtendedMetadataRequestMsg{Piece: msg.Piece, Type: pp.RejectMetadataExtensionMsgType}
		var piece []byte
		if info != nil && msg.Piece == 0 {
			reply.Type, reply.TotalSize, piece = pp.DataMetadataExtensionMsgType, len(info), info
		}
		if err := m.pc.WriteExtendedMessage(extMetadata, append(bencode.MustMarshal(reply), piece...)); err != nil {
			c.log.Debug("answer metadata request", "peer", m.pc.RemoteAddr.String(), "err", err)
		}
	case pp.DataMetadataExtensionMsgType:
		if e != nil {
			c.gotInfo(e, m.pc, msg, data)
		}
	}
}

// gotInfo takes an info dict a peer sent for a fetch by ID. It must be
// exactly the dict of a transaction (dag.ParseInfoDict) and hash to the
// ID; only then does the library see it. The torrent, added by the
// truncated ID, is then replaced by one added as {InfoHash: v1, InfoBytes}
// that downloads at once: setting the info on the first would change its
// infohash under dials in flight (a data race in the library).
func (c *Client) gotInfo(e *entry, pc *torrent.PeerConn, msg pp.ExtendedMetadataRequestMsg, data []byte) {
	c.mu.Lock()
	f, known := e.fetch, e.info != nil
	c.mu.Unlock()
	if f == nil || known {
		return
	}
	if msg.Piece != 0 || msg.TotalSize != len(data) {
		c.dropPeer(pc, errors.New("metadata piece out of range"))
		return
	}
	ids, err := dag.ParseInfoDict(data)
	switch {
	case err != nil && sha256.Sum256(data) == e.id:
		// The ID itself names a dict that is no transaction's.
		f.finish(err)
		return
	case err != nil:
		c.dropPeer(pc, err)
		return
	case ids.ID != e.id:
		c.dropPeer(pc, fmt.Errorf("info dict hashes to %s", ids.ID))
		return
	}
	c.addMu.Lock()
	defer c.addMu.Unlock()
	c.mu.Lock()
	current := !c.closed && c.byID[e.id] == e && e.info == nil
	if current {
		c.setInfo(e, data, ids.V1)
	}
	old, addrs := e.t, append(slices.Clone(f.addrs), pc.RemoteAddr.String())
	c.mu.Unlock()
	if !current {
		return
	}
	old.Drop()
	t, err := c.addTorrent(e)
	if err != nil {
		f.finish(err)
		return
	}
	t.DownloadAll()
	t.AddPeers(peerInfos(addrs))
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// dropPeer closes a connection that broke the protocol.
func (c *Client) dropPeer(pc *torrent.PeerConn, reason error) {
	c.log.Debug("drop peer", "peer", pc.RemoteAddr.String(), "err", reason)
	pc.Close()
}

// parseMetadataMsg parses a ut_metadata message (BEP 9): a bencoded dict,
// followed by the piece data in a data message.
func parseMetadataMsg(b []byte) (msg pp.ExtendedMetadataRequestMsg, data []byte, err error) {
	err = bencode.Unmarshal(b, &msg)
	var trailing bencode.ErrUnusedTrailingBytes
	if errors.As(err, &trailing) {
		data, err = b[len(b)-trailing.NumUnusedBytes:], nil
	}
	if err != nil {
		return msg, nil, fmt.Errorf("parse ut_metadata message: %w", err)
	}
	if msg.Piece < 0 || msg.TotalSize < 0 {
		return msg, nil, errors.New("parse ut_metadata message: negative field")
	}
	if (msg.Type == pp.DataMetadataExtensionMsgType) != (data != nil) {
		return msg, nil, errors.New("parse ut_metadata message: data on a non-data message, or none on a data message")
	}
	return msg, data, nil
}
