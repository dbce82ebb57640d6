package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/bits"

	"github.com/torrenttx/ttx/dag"
)

// Layout of a value in the txs bucket (integers big-endian):
//
//	state u8 | code u8 | firstSeen i64 | id [32] | kind u8 | body
//
// Kind kindRaw: body is the exact tx.json. Kind kindCompact: body holds
// the fields of a signed transaction in binary, with public keys replaced
// by account numbers and parents by their seqs:
//
//	from acct u32 | sig [64] | nprev u16 | nout u16 |
//	(parent seq u64 | index u16) x nprev | (owner acct u32 | amount u64) x nout |
//	burn uvarint | time uvarint | nonce uvarint | len u8 | prefix | memo
//
// The memo is the rest of the value; varints are minimal. The canonical
// tx.json is rebuilt from it byte for byte, and every read checks that the
// rebuilt bytes hash to the stored ID.
const (
	offState     = 0
	offCode      = 1
	offFirstSeen = 2
	offID        = 10
	offKind      = offID + dag.TxIDSize
	recHeader    = offKind + 1

	kindRaw     = 0
	kindCompact = 1

	prevRefSize = seqSize + idxSize
	outRefSize  = acctSize + 8
	// compactFixed is the size of from, sig and the two counts.
	compactFixed = acctSize + ed25519.SignatureSize + 4
)

// record is a parsed txs value. body aliases the bytes it was parsed from.
type record struct {
	state     dag.State
	code      dag.ErrorCode
	firstSeen int64
	id        dag.TxID
	kind      byte
	body      []byte
}

// parseRecord checks a txs value's header and the shape of its body
// without copying it.
func parseRecord(b []byte) (record, error) {
	var r record
	if len(b) <= recHeader {
		return r, corruptf("tx record of %d bytes", len(b))
	}
	r.state = dag.State(b[offState])
	if !r.state.Accepted() && r.state != dag.StateRejected {
		return r, corruptf("tx record has state %d", b[offState])
	}
	r.code = dag.ErrorCode(b[offCode])
	r.firstSeen = int64(binary.BigEndian.Uint64(b[offFirstSeen:]))
	copy(r.id[:], b[offID:])
	r.kind = b[offKind]
	r.body = b[recHeader:]
	switch r.kind {
	case kindRaw:
		if len(r.body) > dag.MaxTxSize {
			return r, corruptf("tx record %s holds %d bytes", r.id, len(r.body))
		}
	case kindCompact:
		if _, _, err := compactCounts(r.body); err != nil {
			return r, fmt.Errorf("tx record %s: %w", r.id, err)
		}
	default:
		return r, corruptf("tx record %s has kind %d", r.id, r.kind)
	}
	return r, nil
}

// appendRecord appends the encoding of r to dst.
func appendRecord(dst []byte, r *record) []byte {
	dst = append(dst, byte(r.state), byte(r.code))
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.firstSeen))
	dst = append(dst, r.id[:]...)
	dst = append(dst, r.kind)
	return append(dst, r.body...)
}

// resolver maps the references in a compact body back to keys and IDs.
type resolver interface {
	pubKey(acct uint32) (dag.PubKey, error)
	idAt(seq uint64) (dag.TxID, error)
}

// compactable reports whether p fits the compact form. Put does not
// re-encode p to check that the form rebuilds p.Raw (that would cost about
// as much as the rest of Put): it holds for every Parsed that dag.Decode
// returns, since Decode only accepts the canonical encoding of the fields.
// Every read checks the rebuilt bytes against the ID instead.
func compactable(p *dag.Parsed) bool {
	if p.IsGenesis() || p.Tx.Version != dag.TxVersion || len(p.Sig) != ed25519.SignatureSize ||
		len(p.Out) > math.MaxUint16 || len(p.Prev) > math.MaxUint16 || len(p.Prefix) > math.MaxUint8 || p.Tx.Time < 0 {
		return false
	}
	for _, op := range p.Prev {
		if op.Index > math.MaxUint16 {
			return false
		}
	}
	return true
}

// raw returns the exact tx.json bytes of r and checks that they hash to
// its ID.
func (r *record) raw(res resolver) ([]byte, error) {
	var raw []byte
	switch r.kind {
	case kindCompact:
		c, err := parseCompact(r.body)
		if err != nil {
			return nil, fmt.Errorf("tx record %s: %w", r.id, err)
		}
		f, err := c.resolve(res)
		if err != nil {
			return nil, fmt.Errorf("tx record %s: %w", r.id, err)
		}
		if raw, err = dag.Encode(f.tx()); err != nil {
			return nil, corruptf("tx record %s: %v", r.id, err)
		}
	default:
		raw = bytes.Clone(r.body)
	}
	if err := dag.CheckID(raw, r.id); err != nil {
		return nil, corruptf("tx record %s: %v", r.id, err)
	}
	return raw, nil
}

// out returns output i of r; ok is false if r has no output i. For a
// compact record the owner is an account number (acct); for a raw one it
// is the key itself (out.Owner) and acct is 0.
func (r *record) out(i uint32) (out dag.TxOut, acct uint32, ok bool, err error) {
	if r.kind == kindRaw {
		p, err := dag.Decode(r.body)
		if err != nil {
			return out, 0, false, corruptf("tx record %s: %v", r.id, err)
		}
		if i >= uint32(len(p.Out)) {
			return out, 0, false, nil
		}
		return p.Out[i], 0, true, nil
	}
	nprev, nout, err := compactCounts(r.body)
	if err != nil {
		return out, 0, false, err
	}
	if i >= uint32(nout) {
		return out, 0, false, nil
	}
	b := r.body[compactFixed+nprev*prevRefSize+int(i)*outRefSize:]
	out.Amount = dag.Amount(binary.BigEndian.Uint64(b[acctSize:]))
	return out, binary.BigEndian.Uint32(b), true, nil
}

// txFields are the fields of a signed transaction in binary form.
type txFields struct {
	From   dag.PubKey
	Sig    [ed25519.SignatureSize]byte
	Prev   []dag.OutPoint
	Out    []dag.TxOut
	Burn   dag.Amount
	Time   int64
	Nonce  uint64
	Prefix string
	Memo   string
}

// tx rebuilds the tx.json fields of f.
func (f *txFields) tx() *dag.Tx {
	tx := &dag.Tx{
		Version: dag.TxVersion,
		From:    f.From.Address(f.Prefix),
		Prev:    make([]string, len(f.Prev)),
		Out:     make([]dag.Output, len(f.Out)),
		Burn:    f.Burn,
		Memo:    f.Memo,
		Time:    f.Time,
		Nonce:   f.Nonce,
		Sig:     hex.EncodeToString(f.Sig[:]),
	}
	for i, op := range f.Prev {
		tx.Prev[i] = op.String()
	}
	for i, o := range f.Out {
		tx.Out[i] = dag.Output{To: o.Owner.Address(f.Prefix), Amount: o.Amount}
	}
	return tx
}

// compactTx is a kindCompact body: txFields with references.
type compactTx struct {
	From   uint32
	Sig    [ed25519.SignatureSize]byte
	Prev   []prevRef
	Out    []outRef
	Burn   dag.Amount
	Time   int64
	Nonce  uint64
	Prefix string
	Memo   string
}

type prevRef struct {
	Seq   uint64
	Index uint16
}

type outRef struct {
	Acct   uint32
	Amount dag.Amount
}

// resolve replaces c's references by keys and IDs.
func (c *compactTx) resolve(res resolver) (*txFields, error) {
	f := &txFields{Sig: c.Sig, Prev: make([]dag.OutPoint, len(c.Prev)), Out: make([]dag.TxOut, len(c.Out)),
		Burn: c.Burn, Time: c.Time, Nonce: c.Nonce, Prefix: c.Prefix, Memo: c.Memo}
	var err error
	if f.From, err = res.pubKey(c.From); err != nil {
		return nil, err
	}
	for i, pr := range c.Prev {
		if f.Prev[i].TxID, err = res.idAt(pr.Seq); err != nil {
			return nil, err
		}
		f.Prev[i].Index = uint32(pr.Index)
	}
	for i, o := range c.Out {
		if f.Out[i].Owner, err = res.pubKey(o.Acct); err != nil {
			return nil, err
		}
		f.Out[i].Amount = o.Amount
	}
	return f, nil
}

func appendCompact(dst []byte, c *compactTx) []byte {
	dst = binary.BigEndian.AppendUint32(dst, c.From)
	dst = append(dst, c.Sig[:]...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Prev)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Out)))
	for _, pr := range c.Prev {
		dst = binary.BigEndian.AppendUint64(dst, pr.Seq)
		dst = binary.BigEndian.AppendUint16(dst, pr.Index)
	}
	for _, o := range c.Out {
		dst = binary.BigEndian.AppendUint32(dst, o.Acct)
		dst = binary.BigEndian.AppendUint64(dst, uint64(o.Amount))
	}
	dst = binary.AppendUvarint(dst, uint64(c.Burn))
	dst = binary.AppendUvarint(dst, uint64(c.Time))
	dst = binary.AppendUvarint(dst, c.Nonce)
	dst = append(dst, byte(len(c.Prefix)))
	dst = append(dst, c.Prefix...)
	return append(dst, c.Memo...)
}

// compactCounts returns the prev and output counts of a compact body and
// checks that the fixed-size part fits.
func compactCounts(b []byte) (nprev, nout int, err error) {
	if len(b) < compactFixed {
		return 0, 0, corruptf("compact tx of %d bytes", len(b))
	}
	nprev = int(binary.BigEndian.Uint16(b[compactFixed-4:]))
	nout = int(binary.BigEndian.Uint16(b[compactFixed-2:]))
	if need := compactFixed + nprev*prevRefSize + nout*outRefSize; len(b) < need {
		return 0, 0, corruptf("compact tx of %d bytes with %d prev and %d outputs", len(b), nprev, nout)
	}
	return nprev, nout, nil
}

func parseCompact(b []byte) (*compactTx, error) {
	nprev, nout, err := compactCounts(b)
	if err != nil {
		return nil, err
	}
	c := &compactTx{From: binary.BigEndian.Uint32(b), Prev: make([]prevRef, nprev), Out: make([]outRef, nout)}
	copy(c.Sig[:], b[acctSize:])
	b = b[compactFixed:]
	for i := range c.Prev {
		c.Prev[i] = prevRef{Seq: binary.BigEndian.Uint64(b), Index: binary.BigEndian.Uint16(b[seqSize:])}
		b = b[prevRefSize:]
	}
	for i := range c.Out {
		c.Out[i] = outRef{Acct: binary.BigEndian.Uint32(b), Amount: dag.Amount(binary.BigEndian.Uint64(b[acctSize:]))}
		b = b[outRefSize:]
	}
	var burn, t uint64
	for _, v := range []*uint64{&burn, &t, &c.Nonce} {
		if *v, b, err = uvarint(b); err != nil {
			return nil, err
		}
	}
	if t > math.MaxInt64 {
		return nil, corruptf("compact tx time %d", t)
	}
	c.Burn, c.Time = dag.Amount(burn), int64(t)
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, corruptf("compact tx has no prefix")
	}
	c.Prefix, c.Memo = string(b[1:1+b[0]]), string(b[1+b[0]:])
	if !dag.ValidPrefix(c.Prefix) {
		return nil, corruptf("compact tx prefix %q", c.Prefix)
	}
	return c, nil
}

// uvarint reads a minimal unsigned varint from the front of b.
func uvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, corruptf("bad varint")
	}
	if n != max(1, (bits.Len64(v)+6)/7) {
		return 0, nil, corruptf("non-minimal varint")
	}
	return v, b[n:], nil
}
