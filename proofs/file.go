package proofs

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/anacrolix/torrent/bencode"
	"github.com/torrenttx/ttx/dag"
)

// Limits on a proof file.
const (
	// Version is the proof format version, in the "ttx version" key.
	// Version 2 added "ttx certs"; a version 1 proof (which has none) still
	// verifies, as not final.
	Version = 2
	// minVersion is the oldest proof format Verify reads.
	minVersion = 1
	// MaxSize bounds a proof file in bytes.
	MaxSize = 64 << 20
	// MaxTxs bounds the transactions in one proof.
	MaxTxs = 200_000
	// MaxNodes bounds the DHT nodes a proof carries.
	MaxNodes = 32
	// maxHostLen bounds one node's host (a DNS name is at most 253 bytes).
	maxHostLen = 253
	// maxDepth is the deepest nesting a proof has: the top dict, info, its
	// file tree, the tx.json entry and its "" file entry.
	maxDepth = 5
)

// file is a proof as bencoded. The encoder sorts keys, so a proof is
//
//	d 4:info <info dict>
//	  5:nodes l l <host> i<port>e e ... e        (absent if no nodes)
//	  9:ttx certs l <certificate> ... e          (absent if none)
//	  12:ttx checksum 32:<sha256>
//	  11:ttx network 32:<network ID>
//	  7:ttx txs l <tx.json> ... e
//	  11:ttx version i2e
//	e
//
// A certificate is a byte string holding one vote.Certificate's binary
// encoding; the list holds at most one per transaction, in the order of
// their transactions in "ttx txs".
//
// The checksum is SHA-256 of this encoding without the checksum key. It
// covers what no hash or signature does (the nodes), so that any damage to
// a proof is detected rather than silently ignored.
type file struct {
	Info     bencode.Bytes `bencode:"info"`
	Nodes    []node        `bencode:"nodes,omitempty"`
	Certs    [][]byte      `bencode:"ttx certs,omitempty"`
	Checksum []byte        `bencode:"ttx checksum,omitempty"`
	Network  []byte        `bencode:"ttx network"`
	Txs      [][]byte      `bencode:"ttx txs"`
	Version  int64         `bencode:"ttx version"`
}

// node is a BEP 5 .torrent node: a [host, port] pair.
type node struct {
	Host string
	Port int64
}

func (n node) MarshalBencode() ([]byte, error) {
	return bencode.Marshal([]any{n.Host, n.Port})
}

func (n *node) UnmarshalBencode(b []byte) error {
	var pair []bencode.Bytes
	if err := bencode.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("node is a list of %d items, want [host, port]", len(pair))
	}
	if err := bencode.Unmarshal(pair[0], &n.Host); err != nil {
		return fmt.Errorf("node host: %w", err)
	}
	if err := bencode.Unmarshal(pair[1], &n.Port); err != nil {
		return fmt.Errorf("node port: %w", err)
	}
	return n.check()
}

func (n node) check() error {
	if n.Host == "" || len(n.Host) > maxHostLen {
		return fmt.Errorf("node host must be 1 to %d bytes", maxHostLen)
	}
	for i := 0; i < len(n.Host); i++ {
		if c := n.Host[i]; c <= 0x20 || c >= 0x7f {
			return fmt.Errorf("node host %q has a byte that is not printable ASCII", n.Host)
		}
	}
	if n.Port < 1 || n.Port > 65535 {
		return fmt.Errorf("node port %d is out of range", n.Port)
	}
	return nil
}

func (n node) String() string { return net.JoinHostPort(n.Host, strconv.FormatInt(n.Port, 10)) }

// parseNode parses "host:port".
func parseNode(s string) (node, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return node{}, fmt.Errorf("node %q: %w", s, err)
	}
	p, err := strconv.ParseInt(port, 10, 64)
	if err != nil {
		return node{}, fmt.Errorf("node %q: bad port", s)
	}
	n := node{Host: host, Port: p}
	if err := n.check(); err != nil {
		return node{}, err
	}
	return n, nil
}

// checksum returns the checksum of f: SHA-256 of its encoding without the
// checksum key.
func (f *file) checksum() ([]byte, error) {
	c := *f
	c.Checksum = nil
	b, err := bencode.Marshal(&c)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// encode sets the checksum and returns the proof file's bytes.
func (f *file) encode() ([]byte, error) {
	sum, err := f.checksum()
	if err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}
	f.Checksum = sum
	b, err := bencode.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("encode proof: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxSize)
	}
	return b, nil
}

// parse decodes a proof file strictly: b must be exactly the encoding that
// encode produces for the decoded value (so key order, integer form,
// unknown keys and trailing bytes are all rejected), and the checksum must
// hold. Errors wrap ErrMalformed or ErrTooLarge.
func parse(b []byte) (*file, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxSize)
	}
	if err := checkShape(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	f := new(file)
	d := bencode.NewDecoder(bytes.NewReader(b))
	d.MaxStrLen = int64(len(b))
	if err := d.Decode(f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := d.ReadEOF(); err != nil {
		return nil, fmt.Errorf("%w: data after the proof", ErrMalformed)
	}
	if len(f.Nodes) > MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes, limit %d", ErrTooLarge, len(f.Nodes), MaxNodes)
	}
	if len(f.Txs) > MaxTxs {
		return nil, fmt.Errorf("%w: %d transactions, limit %d", ErrTooLarge, len(f.Txs), MaxTxs)
	}
	if f.Version < minVersion || f.Version > Version {
		return nil, fmt.Errorf("%w: version %d, want %d to %d", ErrMalformed, f.Version, minVersion, Version)
	}
	if f.Version < 2 && len(f.Certs) > 0 {
		return nil, fmt.Errorf("%w: a version %d proof carries certificates", ErrMalformed, f.Version)
	}
	if len(f.Certs) > len(f.Txs) {
		return nil, fmt.Errorf("%w: %d certificates for %d transactions", ErrMalformed, len(f.Certs), len(f.Txs))
	}
	if len(f.Checksum) != sha256.Size || len(f.Network) != dag.TxIDSize || len(f.Info) == 0 || len(f.Txs) == 0 {
		return nil, fmt.Errorf("%w: missing or short info, checksum, network or txs", ErrMalformed)
	}
	again, err := bencode.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not in canonical form", ErrMalformed)
	}
	sum, err := f.checksum()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !bytes.Equal(sum, f.Checksum) {
		return nil, fmt.Errorf("%w: checksum does not match: the file is damaged", ErrMalformed)
	}
	return f, nil
}

// checkShape walks b as bencode without allocating, so that the decoder
// never meets nesting deeper than maxDepth (its recursion is unbounded) or
// a string longer than the input.
func checkShape(b []byte) error {
	if len(b) == 0 || b[0] != 'd' {
		return errors.New("not a bencoded dict")
	}
	depth, i := 0, 0
	for i < len(b) {
		switch c := b[i]; {
		case c == 'd' || c == 'l':
			if depth++; depth > maxDepth {
				return fmt.Errorf("nesting deeper than %d at byte %d", maxDepth, i)
			}
			i++
		case c == 'e':
			if depth--; depth < 0 {
				return fmt.Errorf("unexpected end at byte %d", i)
			}
			i++
		case c == 'i':
			j := bytes.IndexByte(b[i:], 'e')
			if j < 0 {
				return errors.New("unterminated integer")
			}
			i += j + 1
		case '0' <= c && c <= '9':
			j := bytes.IndexByte(b[i:], ':')
			if j < 0 || j > 8 {
				return fmt.Errorf("bad string length at byte %d", i)
			}
			n, err := strconv.Atoi(string(b[i : i+j]))
			if err != nil || n > len(b)-i-j-1 {
				return fmt.Errorf("bad string length at byte %d", i)
			}
			i += j + 1 + n
		default:
			return fmt.Errorf("unexpected byte 0x%02x at byte %d", c, i)
		}
		if depth == 0 {
			if i != len(b) {
				return fmt.Errorf("data after the proof at byte %d", i)
			}
			return nil
		}
	}
	return errors.New("unexpected end of file")
}
