package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/recon"
)

// frame is the CBOR map every message is: key 0 is the type, the other
// keys are shared by the types that carry the field. Zero fields are left
// out, so each message has one encoding.
type frame struct {
	Type        Type           `cbor:"0,keyasint"`
	Version     uint64         `cbor:"1,keyasint,omitempty"`
	Network     []byte         `cbor:"2,keyasint,omitempty"`
	Count       uint64         `cbor:"3,keyasint,omitempty"`
	Fingerprint []byte         `cbor:"4,keyasint,omitempty"`
	Agent       string         `cbor:"5,keyasint,omitempty"`
	Port        uint16         `cbor:"6,keyasint,omitempty"`
	IDs         []byte         `cbor:"7,keyasint,omitempty"`
	Txs         []txItem       `cbor:"8,keyasint,omitempty"`
	Nonce       uint64         `cbor:"9,keyasint,omitempty"`
	Statuses    []statusItem   `cbor:"10,keyasint,omitempty"`
	Session     uint64         `cbor:"11,keyasint,omitempty"`
	Recon       *recon.Message `cbor:"12,keyasint,omitempty"`
	NodeKey     []byte         `cbor:"13,keyasint,omitempty"`
	Outs        []byte         `cbor:"14,keyasint,omitempty"`
	Raws        [][]byte       `cbor:"15,keyasint,omitempty"`
	Batch       []byte         `cbor:"16,keyasint,omitempty"`
	Salt        uint64         `cbor:"17,keyasint,omitempty"`
	Short       []byte         `cbor:"18,keyasint,omitempty"`
}

// txItem is a TxEntry on the wire: [id, raw].
type txItem struct {
	_   struct{} `cbor:",toarray"`
	ID  []byte
	Raw []byte
}

// statusItem is a Status on the wire: [id, state, code, conflicts].
type statusItem struct {
	_         struct{} `cbor:",toarray"`
	ID        []byte
	State     uint8
	Code      uint8
	Conflicts []byte
}

// header reads only a message's type.
type header struct {
	Type uint64 `cbor:"0,keyasint"`
}

var (
	encMode    cbor.EncMode
	decMode    cbor.DecMode // strict: unknown fields are errors
	headerMode cbor.DecMode // the same limits, unknown fields skipped
)

func init() {
	var err error
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	opts := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  6,
		MaxArrayElements: recon.MaxRanges,
		MaxMapPairs:      16,
	}
	if headerMode, err = opts.DecMode(); err != nil {
		panic(err)
	}
	opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	if decMode, err = opts.DecMode(); err != nil {
		panic(err)
	}
}

// Encode returns the canonical encoding of m, after checking every limit.
func Encode(m Message) ([]byte, error) {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return nil, fmt.Errorf("encode: %w: nil message", ErrInvalid)
	}
	if err := check(m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type(), err)
	}
	b, err := encMode.Marshal(m.frame())
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type(), err)
	}
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("encode %s: %w: %d bytes, limit %d", m.Type(), ErrTooLarge, len(b), MaxMessageSize)
	}
	return b, nil
}

// Decode parses an untrusted message. It accepts only the canonical
// encoding of a message of a known type that passes every limit, so a
// message has exactly one byte form.
func Decode(b []byte) (Message, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("decode: %w: %d bytes, limit %d", ErrTooLarge, len(b), MaxMessageSize)
	}
	var h header
	if err := headerMode.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("decode: %w: %w", ErrMalformed, err)
	}
	if h.Type == 0 || h.Type >= uint64(maxType) {
		return nil, fmt.Errorf("decode: %w: %d", ErrUnknownType, h.Type)
	}
	t := Type(h.Type)
	var f frame
	if err := decMode.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode %s: %w: %w", t, ErrMalformed, err)
	}
	m, err := parse(&f)
	if err == nil {
		err = check(m)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", t, err)
	}
	canon, err := encMode.Marshal(m.frame())
	if err != nil {
		return nil, fmt.Errorf("decode %s: re-encode: %w", t, err)
	}
	if !bytes.Equal(canon, b) {
		return nil, fmt.Errorf("decode %s: %w: not the canonical encoding, or a field this type does not carry", t, ErrMalformed)
	}
	return m, nil
}

// parse builds the message of f's type from f's fields, checking their
// lengths.
func parse(f *frame) (Message, error) {
	switch f.Type {
	case TypeHello:
		net, err := parseID(f.Network, "network")
		if err != nil {
			return nil, err
		}
		d, err := parseDigest(f)
		if err != nil {
			return nil, err
		}
		m := &Hello{Version: f.Version, Network: net, Digest: d, Agent: f.Agent, ListenPort: f.Port, Salt: f.Salt}
		if f.NodeKey != nil {
			if len(f.NodeKey) != len(m.NodeKey) {
				return nil, fmt.Errorf("%w: node key is %d bytes, want %d", ErrMalformed, len(f.NodeKey), len(m.NodeKey))
			}
			copy(m.NodeKey[:], f.NodeKey)
		}
		return m, nil
	case TypeInv, TypeWant, TypeNotFound, TypeQuery:
		ids, err := parseIDs(f.IDs)
		if err != nil {
			return nil, err
		}
		short, err := parseShortIDs(f.Short)
		if err != nil {
			return nil, err
		}
		switch f.Type {
		case TypeInv:
			return &Inv{IDs: ids, Short: short}, nil
		case TypeWant:
			return &Want{IDs: ids, Short: short}, nil
		case TypeNotFound:
			return &NotFound{IDs: ids, Short: short}, nil
		}
		return &Query{Nonce: f.Nonce, IDs: ids}, nil
	case TypeTx:
		m := &Tx{Txs: make([]TxEntry, len(f.Txs))}
		for i, it := range f.Txs {
			id, err := parseID(it.ID, "tx id")
			if err != nil {
				return nil, err
			}
			m.Txs[i] = TxEntry{ID: id, Raw: it.Raw}
		}
		return m, nil
	case TypeAnswer:
		m := &Answer{Nonce: f.Nonce, Statuses: make([]Status, len(f.Statuses))}
		for i, it := range f.Statuses {
			id, err := parseID(it.ID, "status id")
			if err != nil {
				return nil, err
			}
			conflicts, err := parseIDs(it.Conflicts)
			if err != nil {
				return nil, err
			}
			m.Statuses[i] = Status{ID: id, State: dag.State(it.State), Code: dag.ErrorCode(it.Code), Conflicts: conflicts}
		}
		return m, nil
	case TypePing, TypePong:
		d, err := parseDigest(f)
		if err != nil {
			return nil, err
		}
		if f.Type == TypePing {
			return &Ping{Nonce: f.Nonce, Digest: d}, nil
		}
		return &Pong{Nonce: f.Nonce, Digest: d}, nil
	case TypeReconQuery, TypeReconReply:
		if f.Recon == nil {
			return nil, fmt.Errorf("%w: no recon message", ErrMalformed)
		}
		if f.Type == TypeReconQuery {
			return &ReconQuery{Session: f.Session, Msg: *f.Recon}, nil
		}
		return &ReconReply{Session: f.Session, Msg: *f.Recon}, nil
	case TypePoll:
		outs, err := parseOutPoints(f.Outs)
		if err != nil {
			return nil, err
		}
		ids, err := parseIDs(f.IDs)
		if err != nil {
			return nil, err
		}
		return &Poll{Req: f.Nonce, Outs: outs, IDs: ids, Txs: f.Raws}, nil
	case TypeVotes:
		return &Votes{Req: f.Nonce, Batch: f.Batch}, nil
	}
	return nil, fmt.Errorf("%w: %d", ErrUnknownType, f.Type)
}

func parseID(b []byte, what string) (dag.TxID, error) {
	var id dag.TxID
	if len(b) != dag.TxIDSize {
		return id, fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(b), dag.TxIDSize)
	}
	copy(id[:], b)
	return id, nil
}

// splitFixed splits b into items of size bytes, what naming them in
// errors, each made by item. It checks the count against limit before
// allocating.
func splitFixed[T any](b []byte, size, limit int, what string, item func([]byte) T) ([]T, error) {
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%w: %s list of %d bytes is not a multiple of %d", ErrMalformed, what, len(b), size)
	}
	n := len(b) / size
	if n > limit {
		return nil, fmt.Errorf("%w: %d %ss, limit %d", ErrInvalid, n, what, limit)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]T, n)
	for i := range out {
		out[i] = item(b[i*size : (i+1)*size])
	}
	return out, nil
}

// parseIDs splits a byte string of concatenated IDs, at most MaxIDs.
func parseIDs(b []byte) ([]dag.TxID, error) {
	return splitFixed(b, dag.TxIDSize, MaxIDs, "ID", func(e []byte) dag.TxID { return dag.TxID(e) })
}

func packIDs(ids []dag.TxID) []byte {
	if len(ids) == 0 {
		return nil
	}
	b := make([]byte, 0, len(ids)*dag.TxIDSize)
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	return b
}

// parseOutPoints splits a byte string of concatenated outputs (ID, then
// index as a big-endian uint32), at most MaxPollOuts.
func parseOutPoints(b []byte) ([]dag.OutPoint, error) {
	return splitFixed(b, OutPointSize, MaxPollOuts, "output", func(e []byte) dag.OutPoint {
		return dag.OutPoint{TxID: dag.TxID(e[:dag.TxIDSize]), Index: binary.BigEndian.Uint32(e[dag.TxIDSize:])}
	})
}

func packOutPoints(outs []dag.OutPoint) []byte {
	if len(outs) == 0 {
		return nil
	}
	b := make([]byte, 0, len(outs)*OutPointSize)
	for _, op := range outs {
		b = binary.BigEndian.AppendUint32(append(b, op.TxID[:]...), op.Index)
	}
	return b
}

func parseDigest(f *frame) (dag.Digest, error) {
	d := dag.Digest{Count: f.Count}
	if len(f.Fingerprint) != dag.FingerprintSize {
		return d, fmt.Errorf("%w: fingerprint is %d bytes, want %d", ErrMalformed, len(f.Fingerprint), dag.FingerprintSize)
	}
	copy(d.Fingerprint[:], f.Fingerprint)
	return d, nil
}

func (m *Hello) frame() *frame {
	f := &frame{Type: TypeHello, Version: m.Version, Network: bytes.Clone(m.Network[:]),
		Count: m.Digest.Count, Fingerprint: bytes.Clone(m.Digest.Fingerprint[:]), Agent: m.Agent, Port: m.ListenPort, Salt: m.Salt}
	if m.NodeKey != (dag.PubKey{}) {
		f.NodeKey = bytes.Clone(m.NodeKey[:])
	}
	return f
}

func (m *Inv) frame() *frame {
	return &frame{Type: TypeInv, IDs: packIDs(m.IDs), Short: packShortIDs(m.Short)}
}

func (m *Want) frame() *frame {
	return &frame{Type: TypeWant, IDs: packIDs(m.IDs), Short: packShortIDs(m.Short)}
}

func (m *NotFound) frame() *frame {
	return &frame{Type: TypeNotFound, IDs: packIDs(m.IDs), Short: packShortIDs(m.Short)}
}

func (m *Query) frame() *frame {
	return &frame{Type: TypeQuery, Nonce: m.Nonce, IDs: packIDs(m.IDs)}
}

func (m *Tx) frame() *frame {
	f := &frame{Type: TypeTx, Txs: make([]txItem, len(m.Txs))}
	for i, e := range m.Txs {
		f.Txs[i] = txItem{ID: bytes.Clone(e.ID[:]), Raw: e.Raw}
	}
	return f
}

func (m *Answer) frame() *frame {
	f := &frame{Type: TypeAnswer, Nonce: m.Nonce, Statuses: make([]statusItem, len(m.Statuses))}
	for i, s := range m.Statuses {
		f.Statuses[i] = statusItem{ID: bytes.Clone(s.ID[:]), State: uint8(s.State), Code: uint8(s.Code), Conflicts: packIDs(s.Conflicts)}
	}
	return f
}

func (m *Ping) frame() *frame {
	return &frame{Type: TypePing, Nonce: m.Nonce, Count: m.Digest.Count, Fingerprint: bytes.Clone(m.Digest.Fingerprint[:])}
}

func (m *Pong) frame() *frame {
	return &frame{Type: TypePong, Nonce: m.Nonce, Count: m.Digest.Count, Fingerprint: bytes.Clone(m.Digest.Fingerprint[:])}
}

func (m *ReconQuery) frame() *frame {
	return &frame{Type: TypeReconQuery, Session: m.Session, Recon: &m.Msg}
}

func (m *ReconReply) frame() *frame {
	return &frame{Type: TypeReconReply, Session: m.Session, Recon: &m.Msg}
}

func (m *Poll) frame() *frame {
	return &frame{Type: TypePoll, Nonce: m.Req, Outs: packOutPoints(m.Outs), IDs: packIDs(m.IDs), Raws: m.Txs}
}

func (m *Votes) frame() *frame { return &frame{Type: TypeVotes, Nonce: m.Req, Batch: m.Batch} }
