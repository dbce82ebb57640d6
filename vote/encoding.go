package vote

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/torrenttx/ttx/dag"
)

// Encoding versions: the first byte of every encoding.
const (
	batchVersion       = 1
	attestationVersion = 1
	certificateVersion = 1
	pollVersion        = 1
)

// Encoded sizes.
const (
	outPointSize   = dag.TxIDSize + 4
	voteSize       = outPointSize + dag.TxIDSize
	headerSize     = 2*dag.TxIDSize + 8 + sha256.Size + ed25519.SignatureSize
	batchFixedSize = 1 + 2*dag.TxIDSize + 8 + 2 + ed25519.SignatureSize
	attestationMin = 1 + headerSize + 2 + 2 + voteSize + 1
	maxPathLen     = 10 // the depth of a tree of MaxVotes leaves
	certificateMin = 1 + 2*dag.TxIDSize + 1 + 1 + 2 + 4
	pollFixedSize  = 1 + 2
)

// MaxPollOuts bounds the outputs one Poll asks about.
const MaxPollOuts = MaxVotes

// Poll asks a peer for its preference on each of Outs. The answer is a
// Batch with one vote per output, in the poll's order.
type Poll struct {
	Outs []dag.OutPoint
}

// reader reads an encoding strictly: the first short read sets err and
// every later read returns zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return make([]byte, n)
	}
	if len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte          { return r.next(1)[0] }
func (r *reader) u16() int            { return int(binary.BigEndian.Uint16(r.next(2))) }
func (r *reader) u32() uint32         { return binary.BigEndian.Uint32(r.next(4)) }
func (r *reader) i64() int64          { return int64(binary.BigEndian.Uint64(r.next(8))) }
func (r *reader) txid() (id dag.TxID) { copy(id[:], r.next(dag.TxIDSize)); return id }

func (r *reader) outPoint() dag.OutPoint {
	id := r.txid()
	return dag.OutPoint{TxID: id, Index: r.u32()}
}

func (r *reader) vote() Vote {
	out := r.outPoint()
	return Vote{Out: out, Pref: r.txid()}
}

// count reads a u16 count of items of at least size bytes each, and
// checks it against 1..limit and the bytes left before anything is
// allocated for it.
func (r *reader) count(what string, limit, size int) int {
	n := r.u16()
	switch {
	case r.err != nil:
	case n == 0:
		r.err = fmt.Errorf("%w: no %s", ErrEmpty, what)
	case n > limit:
		r.err = fmt.Errorf("%w: %d %s, limit %d", ErrTooLarge, n, what, limit)
	case n*size > len(r.b):
		r.err = fmt.Errorf("%w: %d %s in %d bytes", ErrMalformed, n, what, len(r.b))
	}
	return n
}

// version reads the version byte.
func (r *reader) version(what string, want byte) {
	if v := r.byte(); r.err == nil && v != want {
		r.err = fmt.Errorf("%w: %s version %d, want %d", ErrMalformed, what, v, want)
	}
}

// end fails on trailing bytes and returns the first error.
func (r *reader) end() error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	return r.err
}

func appendOutPoint(b []byte, op dag.OutPoint) []byte {
	b = append(b, op.TxID[:]...)
	return binary.BigEndian.AppendUint32(b, op.Index)
}

func appendVote(b []byte, v Vote) []byte {
	return append(appendOutPoint(b, v.Out), v.Pref[:]...)
}

// VotesKey returns votes encoded as in a batch, in order: a map key that
// two lists share iff they are equal.
func VotesKey(votes []Vote) string {
	b := make([]byte, 0, voteSize*len(votes))
	for _, v := range votes {
		b = appendVote(b, v)
	}
	return string(b)
}

// BatchSize is the encoded size of a batch of n votes.
func BatchSize(n int) int { return batchFixedSize + voteSize*n }

// MarshalBinary encodes the batch (see the package doc), after checking
// its votes as Sign does.
func (b *Batch) MarshalBinary() ([]byte, error) {
	if err := checkVotes(b.Votes); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	out := make([]byte, 0, BatchSize(len(b.Votes)))
	out = append(out, batchVersion)
	out = append(out, b.Network[:]...)
	out = append(out, b.Key[:]...)
	out = binary.BigEndian.AppendUint64(out, uint64(b.Time))
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.Votes)))
	for _, v := range b.Votes {
		out = appendVote(out, v)
	}
	return append(out, b.Sig[:]...), nil
}

// UnmarshalBinary decodes a batch strictly; it does not verify the
// signature (Verify does).
func (b *Batch) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	r.version("batch", batchVersion)
	var v Batch
	v.Network = r.txid()
	copy(v.Key[:], r.next(len(v.Key)))
	v.Time = r.i64()
	n := r.count("votes", MaxVotes, voteSize)
	if r.err == nil {
		v.Votes = make([]Vote, n)
		for i := range v.Votes {
			v.Votes[i] = r.vote()
		}
	}
	copy(v.Sig[:], r.next(len(v.Sig)))
	if err := r.end(); err != nil {
		return fmt.Errorf("decode batch: %w", err)
	}
	if err := checkVotes(v.Votes); err != nil {
		return fmt.Errorf("decode batch: %w", err)
	}
	*b = v
	return nil
}

func appendHeader(b []byte, h *Header) []byte {
	b = append(b, h.Network[:]...)
	b = append(b, h.Key[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Time))
	b = append(b, h.Root[:]...)
	return append(b, h.Sig[:]...)
}

func (r *reader) header() (h Header) {
	h.Network = r.txid()
	copy(h.Key[:], r.next(len(h.Key)))
	h.Time = r.i64()
	copy(h.Root[:], r.next(len(h.Root)))
	copy(h.Sig[:], r.next(len(h.Sig)))
	return h
}

// appendAttestation appends a's encoding, after checking that its index,
// count and path length agree.
func appendAttestation(b []byte, a *Attestation) ([]byte, error) {
	if _, err := a.root(); err != nil {
		return nil, err
	}
	b = append(b, attestationVersion)
	b = appendHeader(b, &a.Header)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Count))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Index))
	b = appendVote(b, a.Vote)
	b = append(b, byte(len(a.Path)))
	for _, h := range a.Path {
		b = append(b, h[:]...)
	}
	return b, nil
}

// attestation reads one attestation and checks that its index, count and
// path length agree.
func (r *reader) attestation() Attestation {
	r.version("attestation", attestationVersion)
	a := Attestation{Header: r.header()}
	a.Count = r.u16()
	a.Index = r.u16()
	a.Vote = r.vote()
	n := int(r.byte())
	if r.err != nil {
		return a
	}
	if n > maxPathLen || n != pathLen(a.Index, a.Count) || a.Index >= a.Count || a.Count > MaxVotes {
		r.err = fmt.Errorf("%w: %d hashes for vote %d of %d", ErrBadPath, n, a.Index, a.Count)
		return a
	}
	a.Path = make([][sha256.Size]byte, n)
	for i := range a.Path {
		copy(a.Path[i][:], r.next(sha256.Size))
	}
	return a
}

// MarshalBinary encodes the attestation (see the package doc).
func (a *Attestation) MarshalBinary() ([]byte, error) {
	b, err := appendAttestation(make([]byte, 0, attestationMin+sha256.Size*len(a.Path)), a)
	if err != nil {
		return nil, fmt.Errorf("encode attestation: %w", err)
	}
	return b, nil
}

// UnmarshalBinary decodes an attestation strictly; it does not verify it.
func (a *Attestation) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	v := r.attestation()
	if err := r.end(); err != nil {
		return fmt.Errorf("decode attestation: %w", err)
	}
	*a = v
	return nil
}

// MarshalBinary encodes the certificate (see the package doc), after
// checking its fields as Verify does (not its signatures).
func (c *Certificate) MarshalBinary() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	b := make([]byte, 0, certificateMin+outPointSize*len(c.Inputs)+(attestationMin+4*sha256.Size)*len(c.Attestations))
	b = append(b, certificateVersion)
	b = append(b, c.Network[:]...)
	b = append(b, c.Tx[:]...)
	b = append(b, byte(c.K), byte(c.Alpha))
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Inputs)))
	for _, in := range c.Inputs {
		b = appendOutPoint(b, in)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Attestations)))
	for i := range c.Attestations {
		var err error
		if b, err = appendAttestation(b, &c.Attestations[i]); err != nil {
			return nil, fmt.Errorf("encode certificate: attestation %d: %w", i, err)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a certificate strictly; it does not verify its
// attestations (Verify does).
func (c *Certificate) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	r.version("certificate", certificateVersion)
	var v Certificate
	v.Network = r.txid()
	v.Tx = r.txid()
	v.K = int(r.byte())
	v.Alpha = int(r.byte())
	n := r.count("inputs", MaxCertInputs, outPointSize)
	if r.err == nil {
		v.Inputs = make([]dag.OutPoint, n)
		for i := range v.Inputs {
			v.Inputs[i] = r.outPoint()
		}
	}
	na := r.u32()
	switch {
	case r.err != nil:
	case na > MaxCertAttestations:
		r.err = fmt.Errorf("%w: %d attestations, limit %d", ErrTooLarge, na, MaxCertAttestations)
	case int(na)*attestationMin > len(r.b):
		r.err = fmt.Errorf("%w: %d attestations in %d bytes", ErrMalformed, na, len(r.b))
	default:
		if na > 0 {
			v.Attestations = make([]Attestation, na)
		}
		for i := range v.Attestations {
			if v.Attestations[i] = r.attestation(); r.err != nil {
				break
			}
		}
	}
	if err := r.end(); err != nil {
		return fmt.Errorf("decode certificate: %w", err)
	}
	if err := v.check(); err != nil {
		return fmt.Errorf("decode certificate: %w", err)
	}
	*c = v
	return nil
}

// checkOuts checks a poll's outputs: 1..MaxPollOuts, each once.
func checkOuts(outs []dag.OutPoint) error {
	return checkOutputs(outs, MaxPollOuts, "outputs", func(o dag.OutPoint) dag.OutPoint { return o })
}

// MarshalBinary encodes the poll (see the package doc).
func (p *Poll) MarshalBinary() ([]byte, error) {
	if err := checkOuts(p.Outs); err != nil {
		return nil, fmt.Errorf("encode poll: %w", err)
	}
	b := make([]byte, 0, pollFixedSize+outPointSize*len(p.Outs))
	b = append(b, pollVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Outs)))
	for _, o := range p.Outs {
		b = appendOutPoint(b, o)
	}
	return b, nil
}

// UnmarshalBinary decodes a poll strictly.
func (p *Poll) UnmarshalBinary(data []byte) error {
	r := reader{b: data}
	r.version("poll", pollVersion)
	n := r.count("outputs", MaxPollOuts, outPointSize)
	var outs []dag.OutPoint
	if r.err == nil {
		outs = make([]dag.OutPoint, n)
		for i := range outs {
			outs[i] = r.outPoint()
		}
	}
	if err := r.end(); err != nil {
		return fmt.Errorf("decode poll: %w", err)
	}
	if err := checkOuts(outs); err != nil {
		return fmt.Errorf("decode poll: %w", err)
	}
	p.Outs = outs
	return nil
}
