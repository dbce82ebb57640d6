package vote

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// MaxVotes bounds the votes in one Batch (and the outputs in one Poll).
const MaxVotes = 1024

// signDomain starts every signed vote message, so a vote signature can
// never be taken for any other signature made with a node key.
const signDomain = "ttx-vote-v1"

// Merkle node prefixes: a leaf can never be taken for an inner node.
const (
	leafPrefix  = 0x00
	innerPrefix = 0x01
)

// Vote is one node's answer for one output: the transaction it prefers
// among those spending Out, or the zero ID for no preference (the node
// knows no spend of Out, or does not know Out).
type Vote struct {
	Out  dag.OutPoint
	Pref dag.TxID
}

// Batch is one signed answer covering many votes: the signature is over
// the Merkle root of the votes, so any one vote can later be shown alone
// with its Merkle path (Attestation).
type Batch struct {
	Network dag.TxID // the network's genesis ID
	Key     NodeKey
	Time    int64 // when it was signed, Unix milliseconds
	Votes   []Vote
	Sig     [ed25519.SignatureSize]byte
}

// Header is what a Batch's signature covers, less the votes: shared by
// every Attestation cut from one Batch.
type Header struct {
	Network dag.TxID
	Key     NodeKey
	Time    int64
	Root    [sha256.Size]byte
	Sig     [ed25519.SignatureSize]byte
}

// leafHash is SHA-256(0x00 || out txid || out index u32 BE || pref).
func leafHash(v Vote) [sha256.Size]byte {
	var b [1 + dag.TxIDSize + 4 + dag.TxIDSize]byte
	b[0] = leafPrefix
	copy(b[1:], v.Out.TxID[:])
	binary.BigEndian.PutUint32(b[1+dag.TxIDSize:], v.Out.Index)
	copy(b[1+dag.TxIDSize+4:], v.Pref[:])
	return sha256.Sum256(b[:])
}

// innerHash is SHA-256(0x01 || left || right).
func innerHash(l, r [sha256.Size]byte) [sha256.Size]byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = innerPrefix
	copy(b[1:], l[:])
	copy(b[1+sha256.Size:], r[:])
	return sha256.Sum256(b[:])
}

// merkleLevels returns every level of the tree over votes, leaves first,
// root last. On each level, pairs are hashed left to right and an odd last
// node is carried up unchanged.
func merkleLevels(votes []Vote) [][][sha256.Size]byte {
	level := make([][sha256.Size]byte, len(votes))
	for i, v := range votes {
		level[i] = leafHash(v)
	}
	levels := [][][sha256.Size]byte{level}
	for len(level) > 1 {
		next := make([][sha256.Size]byte, (len(level)+1)/2)
		for i := range next {
			if 2*i+1 < len(level) {
				next[i] = innerHash(level[2*i], level[2*i+1])
			} else {
				next[i] = level[2*i]
			}
		}
		levels = append(levels, next)
		level = next
	}
	return levels
}

// pathLen returns the number of siblings on the path of leaf i in a tree
// of n leaves: one per level on which the node has a sibling.
func pathLen(i, n int) int {
	l := 0
	for ; n > 1; i, n = i/2, (n+1)/2 {
		if i^1 < n {
			l++
		}
	}
	return l
}

// signedMessage is "ttx-vote-v1" || network || time i64 BE || root.
func signedMessage(network dag.TxID, time int64, root [sha256.Size]byte) []byte {
	b := make([]byte, 0, len(signDomain)+dag.TxIDSize+8+sha256.Size)
	b = append(b, signDomain...)
	b = append(b, network[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(time))
	return append(b, root[:]...)
}

// checkVotes checks the count (1..MaxVotes) and that no output is named
// twice.
func checkVotes(votes []Vote) error {
	return checkOutputs(votes, MaxVotes, "votes", func(v Vote) dag.OutPoint { return v.Out })
}

// checkOutputs checks a list of 1..limit items, each naming an output, no
// output twice.
func checkOutputs[T any](items []T, limit int, what string, out func(T) dag.OutPoint) error {
	if len(items) == 0 {
		return fmt.Errorf("%w: no %s", ErrEmpty, what)
	}
	if len(items) > limit {
		return fmt.Errorf("%w: %d %s, limit %d", ErrTooLarge, len(items), what, limit)
	}
	seen := make(map[dag.OutPoint]bool, len(items))
	for _, it := range items {
		o := out(it)
		if seen[o] {
			return fmt.Errorf("%w: %s", ErrDuplicate, o)
		}
		seen[o] = true
	}
	return nil
}

// Sign signs votes (1..MaxVotes, each output once) for network at time
// (Unix milliseconds) with a node's private key. The Batch keeps its own
// copy of votes.
func Sign(priv ed25519.PrivateKey, network dag.TxID, time int64, votes []Vote) (*Batch, error) {
	if err := checkVotes(votes); err != nil {
		return nil, fmt.Errorf("sign votes: %w", err)
	}
	b := &Batch{Network: network, Time: time, Votes: append([]Vote(nil), votes...)}
	copy(b.Key[:], priv.Public().(ed25519.PublicKey))
	levels := merkleLevels(b.Votes)
	copy(b.Sig[:], ed25519.Sign(priv, signedMessage(network, time, levels[len(levels)-1][0])))
	return b, nil
}

// Root returns the Merkle root of the batch's votes, after checking them
// as Sign does.
func (b *Batch) Root() ([sha256.Size]byte, error) {
	if err := checkVotes(b.Votes); err != nil {
		return [sha256.Size]byte{}, err
	}
	levels := merkleLevels(b.Votes)
	return levels[len(levels)-1][0], nil
}

// Header returns the batch's signed header.
func (b *Batch) Header() (Header, error) {
	root, err := b.Root()
	if err != nil {
		return Header{}, err
	}
	return Header{Network: b.Network, Key: b.Key, Time: b.Time, Root: root, Sig: b.Sig}, nil
}

// Verify checks the votes as Sign does and the signature over their root.
func (b *Batch) Verify() error {
	h, err := b.Header()
	if err != nil {
		return fmt.Errorf("verify batch: %w", err)
	}
	if err := h.Verify(); err != nil {
		return fmt.Errorf("verify batch: %w", err)
	}
	return nil
}

// VerifyAll checks each of bs as Verify does, their signatures verified
// together (dag.SigBatch): good[i] reports whether bs[i] is. It costs less
// than a Verify of each when most are good, and finds the same bad ones.
func VerifyAll(bs []*Batch) (good []bool) {
	good = make([]bool, len(bs))
	sb := dag.NewSigBatch(len(bs))
	added := make([]int, 0, len(bs)) // bs index of each signature added
	for i, b := range bs {
		h, err := b.Header()
		if err != nil {
			continue
		}
		sb.Add(dag.PubKey(h.Key), h.signed(), b.Sig[:])
		added = append(added, i)
	}
	ok, valid := sb.Verify()
	for k, i := range added {
		good[i] = ok || valid[k]
	}
	return good
}

// Path returns the Merkle path of vote i: the sibling hashes from the leaf
// up to the root, skipping the levels on which the node is carried up.
func (b *Batch) Path(i int) ([][sha256.Size]byte, error) {
	if err := checkVotes(b.Votes); err != nil {
		return nil, err
	}
	if i < 0 || i >= len(b.Votes) {
		return nil, fmt.Errorf("vote: path of vote %d of %d", i, len(b.Votes))
	}
	return pathOf(merkleLevels(b.Votes), i), nil
}

// Attestation cuts vote i out of the batch, with what it takes to verify it
// alone.
func (b *Batch) Attestation(i int) (Attestation, error) {
	as, err := b.Attestations([]int{i})
	if err != nil {
		return Attestation{}, err
	}
	return as[0], nil
}

// Attestations cuts the votes with indexes is out of the batch, building
// its tree once.
func (b *Batch) Attestations(is []int) ([]Attestation, error) {
	if err := checkVotes(b.Votes); err != nil {
		return nil, err
	}
	levels := merkleLevels(b.Votes)
	h := Header{Network: b.Network, Key: b.Key, Time: b.Time, Root: levels[len(levels)-1][0], Sig: b.Sig}
	out := make([]Attestation, len(is))
	for k, i := range is {
		if i < 0 || i >= len(b.Votes) {
			return nil, fmt.Errorf("vote: path of vote %d of %d", i, len(b.Votes))
		}
		out[k] = Attestation{Header: h, Count: len(b.Votes), Index: i, Vote: b.Votes[i], Path: pathOf(levels, i)}
	}
	return out, nil
}

// pathOf returns the Merkle path of leaf i in levels.
func pathOf(levels [][][sha256.Size]byte, i int) [][sha256.Size]byte {
	var path [][sha256.Size]byte
	for _, level := range levels[:len(levels)-1] {
		if j := i ^ 1; j < len(level) {
			path = append(path, level[j])
		}
		i /= 2
	}
	return path
}

// Verify checks the signature of h over its root, under ttx's signature
// rule (dag.VerifySig).
func (h *Header) Verify() error {
	if !dag.VerifySig(dag.PubKey(h.Key), h.signed(), h.Sig[:]) {
		return ErrBadSignature
	}
	return nil
}

// signed returns the message h's signature covers.
func (h *Header) signed() []byte { return signedMessage(h.Network, h.Time, h.Root) }

// Attestation is one signed vote shown alone: the header of its batch, the
// vote, its position in the batch and its Merkle path to the header's root.
// Index and Count only shape the path (they tell on which levels the node
// has a sibling, and on which side); the leaf itself commits to the vote.
type Attestation struct {
	Header
	Count int // votes in the batch, 1..MaxVotes
	Index int // the vote's position in the batch, 0..Count-1
	Vote  Vote
	Path  [][sha256.Size]byte
}

// root returns the root that the vote and its path lead to.
func (a *Attestation) root() ([sha256.Size]byte, error) {
	if a.Count < 1 || a.Count > MaxVotes || a.Index < 0 || a.Index >= a.Count {
		return [sha256.Size]byte{}, fmt.Errorf("%w: vote %d of %d", ErrBadPath, a.Index, a.Count)
	}
	if want := pathLen(a.Index, a.Count); len(a.Path) != want {
		return [sha256.Size]byte{}, fmt.Errorf("%w: %d hashes for vote %d of %d, want %d", ErrBadPath, len(a.Path), a.Index, a.Count, want)
	}
	h := leafHash(a.Vote)
	p := a.Path
	for i, n := a.Index, a.Count; n > 1; i, n = i/2, (n+1)/2 {
		switch {
		case i^1 >= n: // carried up
		case i%2 == 0:
			h, p = innerHash(h, p[0]), p[1:]
		default:
			h, p = innerHash(p[0], h), p[1:]
		}
	}
	return h, nil
}

// Verify checks that the vote's path leads to the header's root and that
// the header's signature is good.
func (a *Attestation) Verify() error {
	if err := a.checkPath(); err != nil {
		return fmt.Errorf("verify attestation: %w", err)
	}
	if err := a.Header.Verify(); err != nil {
		return fmt.Errorf("verify attestation: %w", err)
	}
	return nil
}

// checkPath checks that the vote's path leads to the header's root.
func (a *Attestation) checkPath() error {
	root, err := a.root()
	if err != nil {
		return err
	}
	if root != a.Root {
		return fmt.Errorf("%w: leads to another root", ErrBadPath)
	}
	return nil
}
