package torrentx

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"

	"github.com/torrenttx/ttx/dag"
)

// txStorage is the library's storage: piece data comes straight from the
// node's dag.Store (no second copy on disk), and downloaded bytes stay in
// memory until verified and returned by Fetch. A transaction torrent
// has one piece, the whole tx.json.
type txStorage struct{ c *Client }

var _ storage.ClientImpl = txStorage{}

// OpenTorrent is called by the library, with its lock held, when a
// torrent's info is set. Every info the library sees is one we built or
// validated (dag.ParseInfoDict), registered under its infohash first.
func (s txStorage) OpenTorrent(_ context.Context, info *metainfo.Info, ih metainfo.Hash) (storage.TorrentImpl, error) {
	e := s.c.lookup(ih)
	if e == nil || info.NumPieces() != 1 {
		return storage.TorrentImpl{}, fmt.Errorf("open torrent %s: not a loaded transaction", ih.HexString())
	}
	p := &piece{c: s.c, e: e, length: int(info.Length)}
	return storage.TorrentImpl{
		Piece: func(metainfo.Piece) storage.PieceImpl { return p },
		Close: func() error { return nil },
	}, nil
}

// piece is a transaction torrent's only piece.
type piece struct {
	c      *Client
	e      *entry
	length int
}

var (
	_ storage.PieceImpl   = (*piece)(nil)
	_ storage.SelfHashing = (*piece)(nil)
)

// errNoData is returned when a piece is read that we do not have.
var errNoData = errors.New("torrentx: no data for piece")

// bytes returns the piece's data: verified bytes held in memory, else the
// stored transaction, else the download buffer (partial is true).
func (p *piece) bytes() (b []byte, partial bool, err error) {
	p.c.mu.Lock()
	if p.e.raw != nil {
		defer p.c.mu.Unlock()
		return p.e.raw, false, nil
	}
	var buf []byte
	if f := p.e.fetch; f != nil {
		buf = f.buf
	}
	p.c.mu.Unlock()
	if buf != nil {
		return buf, true, nil
	}
	raw, err := p.c.stored(p.e.id)
	if errors.Is(err, dag.ErrNotFound) {
		err = errNoData
	}
	return raw, false, err
}

// ReadAt serves piece data to peers and to the library.
func (p *piece) ReadAt(b []byte, off int64) (int, error) {
	data, _, err := p.bytes()
	if err != nil {
		return 0, err
	}
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(b, data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt buffers downloaded data in memory. Only a running fetch writes.
func (p *piece) WriteAt(b []byte, off int64) (int, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	f := p.e.fetch
	if f == nil || p.e.raw != nil {
		// A chunk that arrives after its fetch ended (the transaction came
		// by gossip first, or the fetch gave up) is of no use. Discard it
		// quietly: an error here makes the library stop all downloads of
		// the torrent and log at ERROR.
		return len(b), nil
	}
	if off < 0 || off+int64(len(b)) > int64(p.length) {
		return 0, fmt.Errorf("write piece of %s: %d bytes at %d beyond %d", p.e.id, len(b), off, p.length)
	}
	if f.buf == nil {
		f.buf = make([]byte, p.length)
	}
	return copy(f.buf[off:], b), nil
}

// SelfHash replaces the library's hash check, which for a hybrid torrent
// is SHA-1 only: the bytes must pass dag.CheckID, whose SHA-256
// is the ID. On failure it returns a hash that cannot match, so the
// library rejects the piece and bans the peer that sent it.
func (p *piece) SelfHash() (metainfo.Hash, error) {
	data, _, err := p.bytes()
	if err != nil {
		return metainfo.Hash{}, err
	}
	if dag.CheckID(data, p.e.id) != nil {
		return metainfo.Hash{}, nil
	}
	return sha1.Sum(data), nil
}

// MarkComplete is called, without the library lock, once the piece passed
// SelfHash: the verified bytes become the fetch's result.
func (p *piece) MarkComplete() error {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	f := p.e.fetch
	if f == nil || f.buf == nil {
		return nil // stored already
	}
	if dag.CheckID(f.buf, p.e.id) != nil {
		return nil // SelfHash failed it; the library does not get here
	}
	p.e.raw, f.buf = f.buf, nil
	f.finish(nil)
	return nil
}

// MarkNotComplete drops a buffer that failed its check.
func (p *piece) MarkNotComplete() error {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if f := p.e.fetch; f != nil {
		f.buf = nil
	}
	return nil
}

// Completion reports the piece complete when we hold verified bytes or
// the Store has the transaction. The state is always known, so the library
// never hashes a stored transaction.
func (p *piece) Completion() storage.Completion {
	data, partial, err := p.bytes()
	switch {
	case errors.Is(err, errNoData):
		return storage.Completion{Ok: true}
	case err != nil:
		return storage.Completion{Err: err}
	}
	return storage.Completion{Ok: true, Complete: !partial && data != nil}
}
