package store

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"

	"github.com/torrenttx/ttx/dag"
)

// Layout of a value in the txs bucket (integers big-endian):
//
//	state u8 | code u8 | firstSeen i64 | id [32] | kind u8 | body
//
// Kind kindRaw: body is the exact tx.json. Kind kindCompact: body holds
// the fields of a signed transaction in binary, from which the canonical
// tx.json is rebuilt byte for byte (Put checks that before it chooses
// this form):
//
//	from [32] | sig [64] | nprev u16 | nout u16 |
//	(txid [32] | index u32) x nprev | (owner [32] | amount u64) x nout |
//	burn uvarint | time uvarint | nonce uvarint | len u8 | prefix | memo
//
// The memo is the rest of the value. Varints are minimal.
const (
	offState     = 0
	offCode      = 1
	offFirstSeen = 2
	offID        = 10
	offKind      = offID + dag.TxIDSize
	recHeader    = offKind + 1

	kindRaw     = 0
	kindCompact = 1

	prevSize = dag.TxIDSize + 4
	outSize  = len(dag.PubKey{}) + 8
	// compactFixed is the size of from, sig and the two counts.
	compactFixed = len(dag.PubKey{}) + ed25519.SignatureSize + 4
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
	if r.state != dag.StateAccepted && r.state != dag.StateConflicted && r.state != dag.StateRejected {
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

// newRecord builds the record of p, compact if the compact form rebuilds
// p.Raw exactly.
func newRecord(p *dag.Parsed, rec *dag.Record) *record {
	r := &record{state: rec.State, code: rec.Code, firstSeen: rec.FirstSeen, id: p.ID, kind: kindRaw, body: p.Raw}
	if p.IsGenesis() || len(p.Sig) != ed25519.SignatureSize || len(p.Out) > 0xffff || len(p.Prev) > 0xffff ||
		len(p.Prefix) > 0xff || p.Tx.Time < 0 {
		return r
	}
	c := compactTx{From: p.From, Prev: p.Prev, Out: p.Out, Burn: p.Tx.Burn, Time: p.Tx.Time,
		Nonce: p.Tx.Nonce, Prefix: p.Prefix, Memo: p.Tx.Memo}
	copy(c.Sig[:], p.Sig)
	if raw, err := dag.Encode(c.tx()); err != nil || !bytes.Equal(raw, p.Raw) {
		return r
	}
	r.kind, r.body = kindCompact, appendCompact(nil, &c)
	return r
}

// raw returns the exact tx.json bytes of r and checks that they hash to
// its ID.
func (r *record) raw() ([]byte, error) {
	var raw []byte
	switch r.kind {
	case kindCompact:
		c, err := parseCompact(r.body)
		if err != nil {
			return nil, fmt.Errorf("tx record %s: %w", r.id, err)
		}
		if raw, err = dag.Encode(c.tx()); err != nil {
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

// out returns output i of r; ok is false if r has no output i.
func (r *record) out(i uint32) (out dag.TxOut, ok bool, err error) {
	if r.kind == kindRaw {
		p, err := dag.Decode(r.body)
		if err != nil {
			return out, false, corruptf("tx record %s: %v", r.id, err)
		}
		if i >= uint32(len(p.Out)) {
			return out, false, nil
		}
		return p.Out[i], true, nil
	}
	nprev, nout, err := compactCounts(r.body)
	if err != nil {
		return out, false, err
	}
	if i >= uint32(nout) {
		return out, false, nil
	}
	b := r.body[compactFixed+nprev*prevSize+int(i)*outSize:]
	copy(out.Owner[:], b)
	out.Amount = dag.Amount(binary.BigEndian.Uint64(b[len(out.Owner):]))
	return out, true, nil
}

// compactTx is the binary form of a signed transaction (kindCompact).
type compactTx struct {
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

// tx rebuilds the tx.json fields of c.
func (c *compactTx) tx() *dag.Tx {
	tx := &dag.Tx{
		Version: dag.TxVersion,
		From:    c.From.Address(c.Prefix),
		Prev:    make([]string, len(c.Prev)),
		Out:     make([]dag.Output, len(c.Out)),
		Burn:    c.Burn,
		Memo:    c.Memo,
		Time:    c.Time,
		Nonce:   c.Nonce,
		Sig:     hex.EncodeToString(c.Sig[:]),
	}
	for i, op := range c.Prev {
		tx.Prev[i] = op.String()
	}
	for i, o := range c.Out {
		tx.Out[i] = dag.Output{To: o.Owner.Address(c.Prefix), Amount: o.Amount}
	}
	return tx
}

func appendCompact(dst []byte, c *compactTx) []byte {
	dst = append(dst, c.From[:]...)
	dst = append(dst, c.Sig[:]...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Prev)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(c.Out)))
	for _, op := range c.Prev {
		dst = append(dst, op.TxID[:]...)
		dst = binary.BigEndian.AppendUint32(dst, op.Index)
	}
	for _, o := range c.Out {
		dst = append(dst, o.Owner[:]...)
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
	if need := compactFixed + nprev*prevSize + nout*outSize; len(b) < need {
		return 0, 0, corruptf("compact tx of %d bytes with %d prev and %d outputs", len(b), nprev, nout)
	}
	return nprev, nout, nil
}

func parseCompact(b []byte) (*compactTx, error) {
	nprev, nout, err := compactCounts(b)
	if err != nil {
		return nil, err
	}
	c := &compactTx{Prev: make([]dag.OutPoint, nprev), Out: make([]dag.TxOut, nout)}
	copy(c.From[:], b)
	copy(c.Sig[:], b[len(c.From):])
	b = b[compactFixed:]
	for i := range c.Prev {
		copy(c.Prev[i].TxID[:], b)
		c.Prev[i].Index = binary.BigEndian.Uint32(b[dag.TxIDSize:])
		b = b[prevSize:]
	}
	for i := range c.Out {
		copy(c.Out[i].Owner[:], b)
		c.Out[i].Amount = dag.Amount(binary.BigEndian.Uint64(b[len(c.Out[i].Owner):]))
		b = b[outSize:]
	}
	var burn, t uint64
	for _, v := range []*uint64{&burn, &t, &c.Nonce} {
		if *v, b, err = uvarint(b); err != nil {
			return nil, err
		}
	}
	if t > 1<<62 {
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
