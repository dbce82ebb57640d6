package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/torrenttx/ttx/dag"
	bolt "go.etcd.io/bbolt"
)

// storedValues returns every key and value of bucket in a store holding a
// few generated transactions, to seed the fuzz targets.
func storedValues(f *testing.F, bucket []byte) (keys, values [][]byte) {
	s := openTemp(f, Options{NoSync: true})
	ingest(f, s, 40)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := newBucket(tx, bucket, nil).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	return keys, values
}

// fuzzResolver maps any nonzero reference to a made-up key or ID.
type fuzzResolver struct{}

func (fuzzResolver) pubKey(acct uint32) (dag.PubKey, error) {
	if acct == 0 {
		return dag.PubKey{}, corruptf("account 0")
	}
	var pk dag.PubKey
	binary.BigEndian.PutUint32(pk[:], acct)
	return pk, nil
}

func (fuzzResolver) idAt(seq uint64) (dag.TxID, error) {
	if seq == 0 {
		return dag.TxID{}, corruptf("seq 0")
	}
	var id dag.TxID
	binary.BigEndian.PutUint64(id[:], seq)
	return id, nil
}

func FuzzDecodeRecord(f *testing.F) {
	_, values := storedValues(f, bucketTxs)
	for _, v := range values {
		f.Add(v)
	}
	f.Add([]byte{})
	f.Add(make([]byte, recHeader+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if got := appendRecord(nil, &r); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded record differs:\n%x\n%x", got, b)
		}
		for i := range uint32(3) {
			if _, _, ok, err := r.out(i); ok && err != nil {
				t.Fatalf("out(%d) ok with error %v", i, err)
			}
		}
		// ReadTx.Output reads a compact record's outputs with out, not
		// parseCompact: the two must agree wherever the body parses.
		if c, err := parseCompact(r.body); r.kind == kindCompact && err == nil {
			for i := range len(c.Out) + 1 {
				out, acct, ok, err := r.out(uint32(i))
				switch {
				case i == len(c.Out) && (ok || err != nil):
					t.Fatalf("out(%d) past the end = ok %v, %v", i, ok, err)
				case i < len(c.Out) && (!ok || err != nil || acct != c.Out[i].Acct || out.Amount != c.Out[i].Amount):
					t.Fatalf("out(%d) = %d %d, ok %v, %v; parseCompact has %+v", i, acct, out.Amount, ok, err, c.Out[i])
				}
			}
		}
		raw, err := r.raw(fuzzResolver{})
		if (raw == nil) == (err == nil) {
			t.Fatalf("raw = %d bytes, %v", len(raw), err)
		}
	})
}

func FuzzDecodeCompact(f *testing.F) {
	_, values := storedValues(f, bucketTxs)
	for _, v := range values {
		if r, err := parseRecord(v); err == nil && r.kind == kindCompact {
			f.Add(r.body)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCompact(b)
		if err != nil {
			if c != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseCompact = %v, %v", c, err)
			}
			return
		}
		if c == nil {
			t.Fatal("parseCompact = nil, nil")
		}
		if got := appendCompact(nil, c); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded body differs:\n%x\n%x", got, b)
		}
		c2, err := parseCompact(appendCompact(nil, c))
		if err != nil || !equalCompact(c, c2) {
			t.Fatalf("second decode = %+v, %v; want %+v", c2, err, c)
		}
		fields, err := c.resolve(fuzzResolver{})
		if err != nil {
			return
		}
		// Any decodable body rebuilds some tx.json, or fails cleanly.
		if raw, err := dag.Encode(fields.tx()); err == nil && len(raw) == 0 {
			t.Fatal("empty tx.json")
		}
	})
}

func equalCompact(a, b *compactTx) bool {
	return a.From == b.From && a.Sig == b.Sig && slices.Equal(a.Prev, b.Prev) && slices.Equal(a.Out, b.Out) &&
		a.Burn == b.Burn && a.Time == b.Time && a.Nonce == b.Nonce && a.Prefix == b.Prefix && a.Memo == b.Memo
}

func FuzzDecodeMeta(f *testing.F) {
	_, values := storedValues(f, bucketMeta)
	for _, v := range values {
		f.Add(v)
	}
	empty, err := encodeMeta(&meta{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(empty)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if m != nil || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeMeta = %v, %v", m, err)
			}
			return
		}
		if m == nil {
			t.Fatal("decodeMeta = nil, nil")
		}
		got, err := encodeMeta(m)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("re-encoded meta = %x, %v; want %x", got, err, b)
		}
	})
}

// FuzzDecodeKeys covers the fixed-size keys and values of the index
// buckets.
func FuzzDecodeKeys(f *testing.F) {
	for _, bucket := range [][]byte{bucketIDs, bucketSpent, bucketHistory, bucketUTXO, bucketConflicts, bucketAccounts} {
		keys, values := storedValues(f, bucket)
		for i := range keys {
			f.Add(keys[i])
			f.Add(values[i])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if seq, err := decodeSeq(b); err == nil && !bytes.Equal(seqKey(seq), b) {
			t.Errorf("seq %d re-encodes differently", seq)
		}
		if acct, err := decodeAcct(b); err == nil && !bytes.Equal(acctValue(acct), b) {
			t.Errorf("account %d re-encodes differently", acct)
		}
		if amount, err := decodeAmount(b); err == nil && !bytes.Equal(binary.BigEndian.AppendUint64(nil, amount), b) {
			t.Errorf("amount %d re-encodes differently", amount)
		}
		if len(b) > seqSize {
			if seq, err := decodeTail(b, len(b)-seqSize); err == nil && !bytes.Equal(seqKey(seq), b[len(b)-seqSize:]) {
				t.Errorf("tail seq %d re-encodes differently", seq)
			}
		}
		if acct, seq, idx, err := decodeUTXOKey(b); err == nil && !bytes.Equal(utxoKey(acct, seq, idx), b) {
			t.Errorf("utxo key %d/%d/%d re-encodes differently", acct, seq, idx)
		}
		if id, err := decodeIDKey(b); err == nil && !bytes.Equal(idKey(binary.BigEndian.Uint32(b), &id), b) {
			t.Errorf("ids key %s re-encodes differently", id)
		}
		if f, err := unmarshalFilter(b); err == nil && !bytes.Equal(f.marshal(), b) {
			t.Errorf("filter re-encodes differently")
		}
	})
}
