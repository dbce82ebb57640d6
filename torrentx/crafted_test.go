package torrentx

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/torrenttx/ttx/dag"
)

// startMetadataPeer runs a raw BitTorrent peer on loopback that offers
// ut_metadata and answers every metadata request with dict, whatever
// infohash it was asked for: a peer that serves a dict it crafted.
func startMetadataPeer(t *testing.T, dict []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serveMetadata(conn, dict) })
		}
	})
	return ln.Addr().String()
}

func serveMetadata(conn net.Conn, dict []byte) {
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var bits pp.PeerExtensionBits
	bits.SetBit(pp.ExtensionBitLtep, true)
	var id [20]byte
	copy(id[:], "-XX0001-craftedpeer0")
	if _, err := pp.Handshake(ctx, conn, nil, id, bits); err != nil {
		return
	}
	write := func(m pp.Message) bool {
		b, err := m.MarshalBinary()
		if err == nil {
			_, err = conn.Write(b)
		}
		return err == nil
	}
	hs := pp.ExtendedHandshakeMessage{M: map[pp.ExtensionName]pp.ExtensionNumber{extMetadata: 1}, MetadataSize: len(dict)}
	if !write(pp.Message{Type: pp.Extended, ExtendedPayload: bencode.MustMarshal(hs)}) {
		return
	}
	dec := pp.Decoder{R: bufio.NewReader(conn), MaxLength: 1 << 20, Pool: &sync.Pool{New: func() any {
		b := make([]byte, 1<<14)
		return &b
	}}}
	var theirs pp.ExtensionNumber
	for {
		var m pp.Message
		if dec.Decode(&m) != nil {
			return
		}
		if m.Keepalive || m.Type != pp.Extended {
			continue
		}
		switch m.ExtendedID {
		case pp.HandshakeExtendedID:
			var h pp.ExtendedHandshakeMessage
			if bencode.Unmarshal(m.ExtendedPayload, &h) != nil {
				return
			}
			theirs = h.M[extMetadata]
		case 1:
			reply := pp.ExtendedMetadataRequestMsg{Type: pp.DataMetadataExtensionMsgType, TotalSize: len(dict)}
			if !write(pp.Message{Type: pp.Extended, ExtendedID: theirs, ExtendedPayload: append(bencode.MustMarshal(reply), dict...)}) {
				return
			}
		}
	}
}

// root31 returns the info dict of raw with a 31-byte pieces root, the dict
// that crashes anacrolix v1.59.1 when it parses it.
func root31(raw []byte) []byte {
	d := dag.InfoDict(raw)
	i := bytes.Index(d, []byte("11:pieces root32:"))
	out := append([]byte(nil), d[:i]...)
	out = append(out, "11:pieces root31:"...)
	return append(out, d[i+len("11:pieces root32:")+1:]...)
}

// TestCraftedInfoDict: peers serve dicts the library must never parse. The
// node does not crash, fails the fetch of an ID that names no transaction,
// and drops a peer that sends another transaction's dict.
func TestCraftedInfoDict(t *testing.T) {
	tn := newTestNet(t, 2)
	crafted := root31(tn.txs[0].Raw)
	craftedID := dag.TxID(sha256.Sum256(crafted))
	cases := []struct {
		name    string
		serve   []byte   // what the peer answers with
		id      dag.TxID // what we fetch
		timeout time.Duration
		wantErr func(error) bool
	}{
		{"id of a 31-byte pieces root", crafted, craftedID, 10 * time.Second, func(err error) bool {
			re, ok := dag.IsRuleError(err)
			return ok && re.Code == dag.ErrMalformed
		}},
		{"dict of another id", dag.InfoDict(tn.txs[1].Raw), tn.txs[0].ID, time.Second, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}},
		{"crafted dict under a real id", crafted, tn.txs[0].ID, time.Second, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded)
		}},
	}
	var r txRecv
	c := newTestClient(t, testConfig(tn.net, tn.store(t, 0), &r))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := startMetadataPeer(t, tc.serve)
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			got, err := c.Fetch(ctx, tc.id, []string{addr})
			if !tc.wantErr(err) {
				t.Errorf("Fetch = %q, %v; want another error", got, err)
			}
		})
	}
	if _, err := c.FetchInfo(context.Background(), crafted, nil); err == nil {
		t.Error("FetchInfo accepted a crafted dict")
	}
	// The node is still up: it fetches a real transaction afterwards.
	a := newTestClient(t, testConfig(tn.net, tn.store(t, 1), &r))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got, err := c.Fetch(ctx, tn.txs[0].ID, []string{a.ListenAddr()}); err != nil || !bytes.Equal(got, tn.txs[0].Raw) {
		t.Errorf("Fetch after the crafted dicts = %q, %v", got, err)
	}
}
