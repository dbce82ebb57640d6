package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/torrentx/recon"
)

func id(b ...byte) dag.TxID {
	var x dag.TxID
	copy(x[:], b)
	x[31] |= 1 // never zero
	return x
}

func ids(n int) []dag.TxID {
	out := make([]dag.TxID, n)
	for i := range out {
		out[i] = id(byte(i>>8), byte(i))
	}
	return out
}

func shorts(n int) []ShortID {
	out := make([]ShortID, n)
	for i := range out {
		out[i] = ShortID{byte(i >> 8), byte(i), 0, 0, 0, 1}
	}
	return out
}

func outs(n int) []dag.OutPoint {
	out := make([]dag.OutPoint, n)
	for i := range out {
		out[i] = dag.OutPoint{TxID: id(byte(i>>8), byte(i)), Index: uint32(i % dag.HardMaxOut)}
	}
	return out
}

var digest = dag.Digest{Count: 12345, Fingerprint: [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1}}

// validMessages are messages within every limit, by type; they also seed
// the fuzz targets.
func validMessages() map[Type][]Message {
	return map[Type][]Message{
		TypeHello: {
			&Hello{Version: 1, Network: id(1), Digest: digest, Agent: "ttx/0.1", ListenPort: 42069},
			&Hello{Version: PollIDsVersion, Network: id(1), Digest: digest, Agent: "ttx/0.2", ListenPort: 42069, NodeKey: dag.PubKey(id(7))},
			&Hello{Version: ProtocolVersion, Network: id(1), Digest: digest, Agent: "ttx/0.3", NodeKey: dag.PubKey(id(7)), Salt: 1},
			&Hello{Version: math.MaxUint64, Network: id(2), Agent: strings.Repeat("a", MaxAgentSize), NodeKey: dag.PubKey(id(0xff)), Salt: math.MaxUint64},
		},
		TypeInv: {&Inv{IDs: ids(1)}, &Inv{IDs: ids(MaxIDs)}, &Inv{Short: shorts(1)},
			&Inv{IDs: ids(2), Short: shorts(MaxIDs - 2)}},
		TypeWant:     {&Want{IDs: ids(3)}, &Want{Short: shorts(4)}},
		TypeNotFound: {&NotFound{IDs: ids(2)}, &NotFound{IDs: ids(1), Short: shorts(1)}},
		TypeTx: {
			&Tx{Txs: []TxEntry{{ID: id(1), Raw: []byte(`{"v":1}`)}}},
			&Tx{Txs: []TxEntry{{ID: id(1), Raw: bytes.Repeat([]byte{'x'}, dag.MaxTxSize)}, {ID: id(2), Raw: []byte("y")}}},
		},
		TypeQuery: {&Query{Nonce: 7, IDs: ids(MaxIDs)}, &Query{IDs: ids(1)}},
		TypeAnswer: {&Answer{Nonce: 7, Statuses: []Status{
			{ID: id(1), State: dag.StateAccepted},
			{ID: id(2), State: dag.StateRejected, Code: dag.ErrDoubleSpend, Conflicts: ids(MaxConflicts)},
			{ID: id(3), State: dag.StateUnknown},
		}}},
		TypePing: {&Ping{Nonce: 1, Digest: digest}, &Ping{}},
		TypePong: {&Pong{Nonce: math.MaxUint64, Digest: digest}},
		TypeReconQuery: {&ReconQuery{Session: 3, Msg: recon.Message{Ranges: []recon.Range{
			{Upper: id(0x80), Mode: recon.ModeFingerprint, Count: 4, Fingerprint: [16]byte{1}},
			{Mode: recon.ModeIDList, IDs: []dag.TxID{id(0x90)}},
		}}}},
		TypeReconReply: {&ReconReply{Session: 3}},
		TypePoll: {
			&Poll{Req: 1, Outs: outs(1)},
			&Poll{Req: 2, Outs: outs(2), IDs: []dag.TxID{id(1), id(2)}},
			&Poll{Outs: []dag.OutPoint{{TxID: id(1), Index: dag.HardMaxOut - 1}, {TxID: id(1)}}, Txs: [][]byte{[]byte(`{"v":1}`), []byte("y")}},
			&Poll{Req: math.MaxUint64, Outs: outs(MaxPollOuts), Txs: [][]byte{bytes.Repeat([]byte{'x'}, dag.MaxTxSize)}},
		},
		TypeVotes: {
			&Votes{Req: 9, Batch: []byte{1}},
			&Votes{Req: math.MaxUint64, Batch: bytes.Repeat([]byte{0xaa}, MaxBatchSize)},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for typ, ms := range validMessages() {
		for i, m := range ms {
			t.Run(typ.String(), func(t *testing.T) {
				if m.Type() != typ {
					t.Fatalf("message %d has type %s", i, m.Type())
				}
				b, err := Encode(m)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				got, err := Decode(b)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(got, m) {
					t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
				}
			})
		}
	}
}

func TestEncodeLimits(t *testing.T) {
	big := bytes.Repeat([]byte{'x'}, dag.MaxTxSize)
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"hello version 0", &Hello{Network: id(1)}, ErrInvalid},
		{"hello zero network", &Hello{Version: 1}, ErrInvalid},
		{"hello agent too long", &Hello{Version: 1, Network: id(1), Agent: strings.Repeat("a", MaxAgentSize+1)}, ErrInvalid},
		{"hello agent not ascii", &Hello{Version: 1, Network: id(1), Agent: "é"}, ErrInvalid},
		{"hello agent control", &Hello{Version: 1, Network: id(1), Agent: "a\nb"}, ErrInvalid},
		{"hello v2 without node key", &Hello{Version: NodeKeyVersion, Network: id(1)}, ErrInvalid},
		{"hello v1 with node key", &Hello{Version: 1, Network: id(1), NodeKey: dag.PubKey(id(7))}, ErrInvalid},
		{"hello v5 without salt", &Hello{Version: ShortIDVersion, Network: id(1), NodeKey: dag.PubKey(id(7))}, ErrInvalid},
		{"hello v4 with salt", &Hello{Version: PollIDsVersion, Network: id(1), NodeKey: dag.PubKey(id(7)), Salt: 1}, ErrInvalid},
		{"inv empty", &Inv{}, ErrInvalid},
		{"inv too many short", &Inv{Short: shorts(MaxIDs + 1)}, ErrInvalid},
		{"inv too many in all", &Inv{IDs: ids(1), Short: shorts(MaxIDs)}, ErrInvalid},
		{"want too many in all", &Want{IDs: ids(MaxIDs), Short: shorts(1)}, ErrInvalid},
		{"inv too many", &Inv{IDs: ids(MaxIDs + 1)}, ErrInvalid},
		{"want too many", &Want{IDs: ids(MaxIDs + 1)}, ErrInvalid},
		{"want empty", &Want{}, ErrInvalid},
		{"notfound too many", &NotFound{IDs: ids(MaxIDs + 1)}, ErrInvalid},
		{"query too many", &Query{IDs: ids(MaxIDs + 1)}, ErrInvalid},
		{"query empty", &Query{Nonce: 1}, ErrInvalid},
		{"tx empty", &Tx{}, ErrInvalid},
		{"tx empty raw", &Tx{Txs: []TxEntry{{ID: id(1)}}}, ErrInvalid},
		{"tx raw too large", &Tx{Txs: []TxEntry{{ID: id(1), Raw: append(big, 'x')}}}, ErrInvalid},
		{"tx message too large", &Tx{Txs: []TxEntry{{ID: id(1), Raw: big}, {ID: id(2), Raw: big}, {ID: id(3), Raw: big}, {ID: id(4), Raw: big}}}, ErrTooLarge},
		{"answer empty", &Answer{Nonce: 1}, ErrInvalid},
		{"answer too many", &Answer{Statuses: make([]Status, MaxIDs+1)}, ErrInvalid},
		{"answer bad state", &Answer{Statuses: []Status{{ID: id(1), State: dag.StateRejected + 1}}}, ErrInvalid},
		{"answer too many conflicts", &Answer{Statuses: []Status{{ID: id(1), Conflicts: ids(MaxConflicts + 1)}}}, ErrInvalid},
		{"poll empty", &Poll{Req: 1}, ErrInvalid},
		{"poll only txs", &Poll{Req: 1, Txs: [][]byte{[]byte("x")}}, ErrInvalid},
		{"poll too many outs", &Poll{Outs: outs(MaxPollOuts + 1)}, ErrInvalid},
		{"poll duplicate id", &Poll{Outs: outs(1), IDs: []dag.TxID{id(1), id(2), id(1)}}, ErrInvalid},
		{"poll duplicate out", &Poll{Outs: []dag.OutPoint{{TxID: id(1), Index: 2}, {TxID: id(3)}, {TxID: id(1), Index: 2}}}, ErrInvalid},
		{"poll index too big", &Poll{Outs: []dag.OutPoint{{TxID: id(1), Index: dag.HardMaxOut}}}, ErrInvalid},
		{"poll too many txs", &Poll{Outs: outs(1), Txs: make([][]byte, MaxPollTxs+1)}, ErrInvalid},
		{"poll empty tx", &Poll{Outs: outs(1), Txs: [][]byte{[]byte("x"), {}}}, ErrInvalid},
		{"poll tx too large", &Poll{Outs: outs(1), Txs: [][]byte{append(big, 'x')}}, ErrInvalid},
		{"poll message too large", &Poll{Outs: outs(1), Txs: [][]byte{big, big, big, big}}, ErrTooLarge},
		{"votes empty", &Votes{Req: 1}, ErrInvalid},
		{"votes batch too large", &Votes{Batch: make([]byte, MaxBatchSize+1)}, ErrInvalid},
		{"recon bad message", &ReconQuery{Msg: recon.Message{Ranges: []recon.Range{{Upper: id(2)}, {Upper: id(1)}}}}, recon.ErrMalformed},
		{"nil", nil, ErrInvalid},
		{"nil hello", (*Hello)(nil), ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Encode(tc.m)
			if !errors.Is(err, tc.want) {
				t.Errorf("Encode = %d bytes, %v; want %v", len(b), err, tc.want)
			}
		})
	}
}

// The size helpers are upper bounds: messages packed with them fit.
func TestSizeHelpers(t *testing.T) {
	t.Run("tx", func(t *testing.T) {
		for _, size := range []int{1, 23, 24, 255, 256, 700, dag.MaxTxSize} {
			m := &Tx{}
			used := TxOverhead
			for i := 0; used+TxEntrySize(size) <= MaxMessageSize; i++ {
				m.Txs = append(m.Txs, TxEntry{ID: id(byte(i)), Raw: bytes.Repeat([]byte{'a'}, size)})
				used += TxEntrySize(size)
			}
			b, err := Encode(m)
			if err != nil {
				t.Fatalf("%d entries of %d bytes: %v", len(m.Txs), size, err)
			}
			if len(b) > used {
				t.Errorf("%d entries of %d bytes encode to %d, helpers said at most %d", len(m.Txs), size, len(b), used)
			}
		}
	})
	t.Run("answer", func(t *testing.T) {
		for _, n := range []int{0, 1, MaxConflicts} {
			m := &Answer{Nonce: math.MaxUint64}
			used := AnswerOverhead
			for used+StatusSize(n) <= MaxMessageSize && len(m.Statuses) < MaxIDs {
				m.Statuses = append(m.Statuses, Status{ID: id(1), State: dag.StateRejected, Code: 255, Conflicts: ids(n)})
				used += StatusSize(n)
			}
			b, err := Encode(m)
			if err != nil || len(b) > used {
				t.Errorf("%d statuses of %d conflicts: %d bytes (bound %d), %v", len(m.Statuses), n, len(b), used, err)
			}
		}
	})
	t.Run("poll", func(t *testing.T) {
		for _, n := range []int{1, 100, MaxPollOuts} {
			for _, size := range []int{1, 23, 24, 255, 256, dag.MaxTxSize} {
				m := &Poll{Req: math.MaxUint64, Outs: outs(n)}
				used := PollOverhead + n*OutPointSize
				for used+PollTxSize(size) <= MaxMessageSize && len(m.Txs) < MaxPollTxs {
					m.Txs = append(m.Txs, bytes.Repeat([]byte{'a'}, size))
					used += PollTxSize(size)
				}
				b, err := Encode(m)
				if err != nil || len(b) > used {
					t.Errorf("%d outputs, %d txs of %d bytes: %d bytes (bound %d), %v", n, len(m.Txs), size, len(b), used, err)
				}
			}
		}
	})
	t.Run("recon", func(t *testing.T) {
		// The biggest ID list a recon writer may build within MaxReconSize.
		list := recon.Range{Mode: recon.ModeIDList}
		for {
			next := append(list.IDs, ids(len(list.IDs) + 1)[len(list.IDs)])
			m := &recon.Message{Ranges: []recon.Range{{Upper: id(0xff, 0xff, 0xff), Mode: recon.ModeSkip}, {Mode: recon.ModeIDList, IDs: next}}}
			b, err := recon.Encode(m)
			if err != nil || len(b) > MaxReconSize {
				break
			}
			list.IDs = next
		}
		msg := recon.Message{Ranges: []recon.Range{{Upper: id(0xff, 0xff, 0xff), Mode: recon.ModeSkip}, list}}
		for _, m := range []Message{&ReconQuery{Session: math.MaxUint64, Msg: msg}, &ReconReply{Session: math.MaxUint64, Msg: msg}} {
			if b, err := Encode(m); err != nil {
				t.Errorf("%s with a %d-ID list: %d bytes, %v", m.Type(), len(list.IDs), len(b), err)
			}
		}
	})
}

// raw encodes a frame as a generic map, for crafting inputs.
func raw(t *testing.T, kv map[int]any) []byte {
	t.Helper()
	b, err := encMode.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	net := bytes.Repeat([]byte{1}, 32)
	key := bytes.Repeat([]byte{2}, 32)
	fp := make([]byte, 16)
	hello := func(kv map[int]any) map[int]any {
		m := map[int]any{0: 1, 1: 1, 2: net, 4: fp}
		for k, v := range kv {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	inv := append([]byte{0xa2, 0x00, 0x02, 0x07, 0x58, 0x20}, net...) // {0: 2, 7: id}
	invReordered := append(append([]byte{0xa2, 0x07, 0x58, 0x20}, net...), 0x00, 0x02)
	invNonMinimal := append([]byte{0xa2, 0x00, 0x18, 0x02, 0x07, 0x58, 0x20}, net...)
	op := append(bytes.Clone(net), 0, 0, 0, 1) // output 1 of net
	pollTxs := make([]any, MaxPollTxs+1)
	for i := range pollTxs {
		pollTxs[i] = []byte("x")
	}
	statuses := make([]any, MaxIDs+1)
	for i := range statuses {
		statuses[i] = []any{net, 1, 0, []byte{}}
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"valid inv", inv, nil},
		{"empty input", nil, ErrMalformed},
		{"not cbor", []byte{0xff}, ErrMalformed},
		{"not a map", []byte{0x01}, ErrMalformed},
		{"array", []byte{0x80}, ErrMalformed},
		{"trailing bytes", append(raw(t, hello(nil)), 0), ErrMalformed},
		{"no type", raw(t, map[int]any{7: net}), ErrUnknownType},
		{"type 0", raw(t, map[int]any{0: 0}), ErrUnknownType},
		{"type 14", raw(t, map[int]any{0: 14}), ErrUnknownType},
		{"type 255", raw(t, map[int]any{0: 255}), ErrUnknownType},
		{"unknown field", raw(t, hello(map[int]any{19: 1})), ErrMalformed},
		{"valid v5 hello", raw(t, hello(map[int]any{1: 5, 13: key, 17: 9})), nil},
		{"salt missing in v5", raw(t, hello(map[int]any{1: 5, 13: key})), ErrInvalid},
		{"salt in v4", raw(t, hello(map[int]any{1: 4, 13: key, 17: 9})), ErrInvalid},
		{"salt as bytes", raw(t, hello(map[int]any{1: 5, 13: key, 17: []byte{9}})), ErrMalformed},
		{"valid short inv", raw(t, map[int]any{0: 2, 18: make([]byte, 12)}), nil},
		{"short ID list of 7 bytes", raw(t, map[int]any{0: 2, 18: make([]byte, 7)}), ErrMalformed},
		{"short IDs empty", raw(t, map[int]any{0: 3, 7: net, 18: []byte{}}), ErrMalformed},
		{"too many short IDs", raw(t, map[int]any{0: 3, 18: make([]byte, ShortIDSize*(MaxIDs+1))}), ErrInvalid},
		{"too many IDs in all", raw(t, map[int]any{0: 5, 7: make([]byte, 32), 18: make([]byte, ShortIDSize*MaxIDs)}), ErrInvalid},
		{"short IDs in a query", raw(t, map[int]any{0: 6, 7: net, 18: make([]byte, 6)}), ErrMalformed},
		{"short IDs in a ping", raw(t, map[int]any{0: 8, 4: fp, 18: make([]byte, 6)}), ErrMalformed},
		{"valid v2 hello", raw(t, hello(map[int]any{1: 2, 13: key})), nil},
		{"node key 31 bytes", raw(t, hello(map[int]any{1: 2, 13: key[:31]})), ErrMalformed},
		{"node key 33 bytes", raw(t, hello(map[int]any{1: 2, 13: append(key, 0)})), ErrMalformed},
		{"node key as text", raw(t, hello(map[int]any{1: 2, 13: string(key)})), ErrMalformed},
		{"node key empty", raw(t, hello(map[int]any{1: 2, 13: []byte{}})), ErrMalformed},
		{"node key zero", raw(t, hello(map[int]any{1: 2, 13: make([]byte, 32)})), ErrInvalid},
		{"node key missing in v2", raw(t, hello(map[int]any{1: 2})), ErrInvalid},
		{"node key in v1", raw(t, hello(map[int]any{13: key})), ErrInvalid},
		{"field of another type", raw(t, hello(map[int]any{9: 5})), ErrMalformed},
		{"zero field present", raw(t, hello(map[int]any{6: 0})), ErrMalformed},
		{"duplicate key", []byte{0xa2, 0x00, 0x08, 0x00, 0x08}, ErrMalformed},
		{"keys out of order", invReordered, ErrMalformed},
		{"non-minimal integer", invNonMinimal, ErrMalformed},
		{"indefinite map", []byte{0xbf, 0x00, 0x08, 0xff}, ErrMalformed},
		{"tag", []byte{0xc1, 0xa1, 0x00, 0x08}, ErrMalformed},
		{"string key", []byte{0xa2, 0x00, 0x02, 0x61, 'a', 0x01}, ErrMalformed},
		{"network 31 bytes", raw(t, hello(map[int]any{2: net[:31]})), ErrMalformed},
		{"network missing", raw(t, hello(map[int]any{2: nil})), ErrMalformed},
		{"network as text", raw(t, hello(map[int]any{2: string(net)})), ErrMalformed},
		{"fingerprint 15 bytes", raw(t, hello(map[int]any{4: fp[:15]})), ErrMalformed},
		{"fingerprint missing", raw(t, hello(map[int]any{4: nil})), ErrMalformed},
		{"port too big", raw(t, hello(map[int]any{6: 70000})), ErrMalformed},
		{"negative version", raw(t, hello(map[int]any{1: -1})), ErrMalformed},
		{"version 0", raw(t, hello(map[int]any{1: nil})), ErrInvalid},
		{"zero network", raw(t, hello(map[int]any{2: make([]byte, 32)})), ErrInvalid},
		{"agent invalid utf-8", raw(t, hello(map[int]any{5: "\xff"})), ErrMalformed},
		{"agent control", raw(t, hello(map[int]any{5: "\x01"})), ErrInvalid},
		{"inv empty", raw(t, map[int]any{0: 2}), ErrInvalid},
		{"inv ragged", raw(t, map[int]any{0: 2, 7: make([]byte, 33)}), ErrMalformed},
		{"inv too many", raw(t, map[int]any{0: 2, 7: make([]byte, 32*(MaxIDs+1))}), ErrInvalid},
		{"want too many", raw(t, map[int]any{0: 3, 7: make([]byte, 32*(MaxIDs+1))}), ErrInvalid},
		{"query too many", raw(t, map[int]any{0: 6, 7: make([]byte, 32*(MaxIDs+1))}), ErrInvalid},
		{"tx item not array", raw(t, map[int]any{0: 4, 8: []any{net}}), ErrMalformed},
		{"tx item short", raw(t, map[int]any{0: 4, 8: []any{[]any{net}}}), ErrMalformed},
		{"tx id short", raw(t, map[int]any{0: 4, 8: []any{[]any{net[:5], []byte("x")}}}), ErrMalformed},
		{"tx raw too large", raw(t, map[int]any{0: 4, 8: []any{[]any{net, make([]byte, dag.MaxTxSize+1)}}}), ErrInvalid},
		{"tx raw empty", raw(t, map[int]any{0: 4, 8: []any{[]any{net, []byte{}}}}), ErrInvalid},
		{"answer state too big", raw(t, map[int]any{0: 7, 10: []any{[]any{net, 5, 0, []byte{}}}}), ErrInvalid},
		{"answer state 256", raw(t, map[int]any{0: 7, 10: []any{[]any{net, 256, 0, []byte{}}}}), ErrMalformed},
		{"answer conflicts", raw(t, map[int]any{0: 7, 10: []any{[]any{net, 1, 0, make([]byte, 32*(MaxConflicts+1))}}}), ErrInvalid},
		{"answer too many", raw(t, map[int]any{0: 7, 10: statuses}), ErrInvalid},
		{"ping fingerprint missing", raw(t, map[int]any{0: 8, 9: 1}), ErrMalformed},
		{"recon missing", raw(t, map[int]any{0: 10, 11: 1}), ErrMalformed},
		{"recon bad bound", raw(t, map[int]any{0: 10, 12: []any{[]any{[]byte{1, 0}, 0}}}), ErrMalformed},
		{"recon not array", raw(t, map[int]any{0: 11, 12: 5}), ErrMalformed},
		{"valid poll", raw(t, map[int]any{0: 12, 9: 5, 14: op, 15: []any{[]byte("x")}}), nil},
		{"valid votes", raw(t, map[int]any{0: 13, 9: 5, 16: []byte{1, 2}}), nil},
		{"poll without outs", raw(t, map[int]any{0: 12, 9: 5, 15: []any{[]byte("x")}}), ErrInvalid},
		{"poll outs ragged", raw(t, map[int]any{0: 12, 14: op[:35]}), ErrMalformed},
		{"poll outs as text", raw(t, map[int]any{0: 12, 14: string(op)}), ErrMalformed},
		{"poll too many outs", raw(t, map[int]any{0: 12, 14: make([]byte, OutPointSize*(MaxPollOuts+1))}), ErrInvalid},
		{"poll duplicate outs", raw(t, map[int]any{0: 12, 14: append(op, op...)}), ErrInvalid},
		{"poll index too big", raw(t, map[int]any{0: 12, 14: append(net, 0, 0, 0x03, 0xe8)}), ErrInvalid},
		{"poll txs empty array", raw(t, map[int]any{0: 12, 14: op, 15: []any{}}), ErrMalformed},
		{"poll txs not array", raw(t, map[int]any{0: 12, 14: op, 15: []byte("x")}), ErrMalformed},
		{"poll tx not bytes", raw(t, map[int]any{0: 12, 14: op, 15: []any{5}}), ErrMalformed},
		{"poll tx empty", raw(t, map[int]any{0: 12, 14: op, 15: []any{[]byte{}}}), ErrInvalid},
		{"poll tx too large", raw(t, map[int]any{0: 12, 14: op, 15: []any{make([]byte, dag.MaxTxSize+1)}}), ErrInvalid},
		{"poll too many txs", raw(t, map[int]any{0: 12, 14: op, 15: pollTxs}), ErrInvalid},
		{"poll with a batch", raw(t, map[int]any{0: 12, 14: op, 16: []byte{1}}), ErrMalformed},
		{"votes without batch", raw(t, map[int]any{0: 13, 9: 5}), ErrInvalid},
		{"votes batch as text", raw(t, map[int]any{0: 13, 16: "x"}), ErrMalformed},
		{"votes batch too large", raw(t, map[int]any{0: 13, 16: make([]byte, MaxBatchSize+1)}), ErrInvalid},
		{"votes with ids", raw(t, map[int]any{0: 13, 7: net, 16: []byte{1}}), ErrMalformed},
		{"too deep", raw(t, map[int]any{0: 4, 8: []any{[]any{[]any{[]any{[]any{[]any{1}}}}}}}), ErrMalformed},
		{"too large", make([]byte, MaxMessageSize+1), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode = %+v, %v; want %v", m, err, tc.want)
			}
			if (m == nil) != (err != nil) {
				t.Errorf("Decode = %+v, %v: want exactly one of them", m, err)
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	for typ := TypeHello; typ < maxType; typ++ {
		if s := typ.String(); s == "" || strings.HasPrefix(s, "Type(") {
			t.Errorf("type %d has no name", typ)
		}
	}
	if s := maxType.String(); s != "Type(14)" {
		t.Errorf("unknown type = %q", s)
	}
}
