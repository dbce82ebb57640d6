package dag

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// This file keeps the first implementation of Decode's byte and JSON steps,
// built on encoding/json and a re-encoding, as the oracle that the
// hand-written canonical parser must agree with: same inputs accepted, same
// Parsed, same error codes. Both sides share the field rules (parseFields);
// TestDecodeManyPrevs and the address tests check those directly.

// oracleDecode is the original Decode, up to the field rules.
func oracleDecode(raw []byte) (*Parsed, error) {
	if err := checkSize(raw); err != nil {
		return nil, err
	}
	if err := checkBytes(raw); err != nil {
		return nil, err
	}
	p := &Parsed{Raw: raw}
	if err := oracleReadTx(raw, &p.Tx); err != nil {
		return nil, err
	}
	if err := p.parseFields(nil); err != nil {
		return nil, err
	}
	p.TxIDs = IDs(raw)
	return p, nil
}

// oracleReadTx is the original JSON step of Decode: decode with
// encoding/json, then require that the re-encoding is raw.
func oracleReadTx(raw []byte, tx *Tx) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(tx); err != nil {
		return ruleError(ErrMalformed, "bad tx.json: %v", err)
	}
	if dec.More() {
		return ruleError(ErrMalformed, "bad tx.json: data after the object")
	}
	canon, err := Encode(tx)
	if err != nil {
		return ruleError(ErrMalformed, "bad tx.json: %v", err)
	}
	if !bytes.Equal(canon, raw) {
		return ruleError(ErrMalformed, "not canonical")
	}
	return nil
}

// manyOutputsTx returns a canonical tx.json with n outputs to distinct
// keys plus a change output, the shape of a busy payer's transaction.
func manyOutputsTx(tb testing.TB, n int) []byte {
	tb.Helper()
	tx := codecBaseTx()
	change := tx.Out[1]
	tx.Out = tx.Out[:0]
	for i := range n {
		tx.Out = append(tx.Out, Output{To: codecPub(codecKey(byte(20 + i))).Address("ttx"), Amount: Amount(1000 + i)})
	}
	tx.Out = append(tx.Out, change)
	return []byte(mustEncode(tb, tx))
}

// BenchmarkDecodeOutputs decodes transactions with many outputs.
func BenchmarkDecodeOutputs(b *testing.B) {
	for _, n := range []int{10, 40} {
		raw := manyOutputsTx(b, n)
		for _, c := range []struct {
			name string
			dec  *decoder
		}{{"outs=" + strconv.Itoa(n), nil}, {"outs=" + strconv.Itoa(n) + "/remembered", new(decoder)}} {
			b.Run(c.name, func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.dec.decode(raw, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// checkSameDecode decodes raw with Decode and with the oracle and fails if
// they differ: in what they accept, in the Parsed, or in the error code.
// It compares the JSON steps alone too (after the oracle's byte check),
// whatever the fields hold.
func checkSameDecode(t *testing.T, raw []byte) {
	t.Helper()
	if len(raw) > 0 && len(raw) <= MaxTxSize && checkBytes(raw) == nil {
		var got, want Tx
		err, werr := readTx(raw, &got), oracleReadTx(raw, &want)
		if (err == nil) != (werr == nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("readTx(%q) = %+v, %v\noracle gives %+v, %v", raw, got, err, want, werr)
		}
	}
	got, err := Decode(raw)
	want, werr := oracleDecode(raw)
	switch {
	case err == nil && werr == nil:
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %+v\noracle gives %+v", raw, got, want)
		}
	case err != nil && werr != nil:
		re, ok := IsRuleError(err)
		wre, _ := IsRuleError(werr)
		if !ok || re.Code != wre.Code || got != nil {
			t.Fatalf("Decode(%q) = %v, %v; oracle error %v", raw, got, err, werr)
		}
	default:
		t.Fatalf("Decode(%q) error %v, oracle error %v", raw, err, werr)
	}
}

// differentialSeeds are the Decode table, the golden files, random signed
// transactions and randomTx encodings.
func differentialSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, tc := range decodeCases(tb) {
		seeds = append(seeds, []byte(tc.raw))
	}
	for _, name := range []string{"genesis.json", "tx.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	r := rand.New(rand.NewPCG(2, 2))
	keys := []ed25519.PrivateKey{codecKey(10), codecKey(11)}
	for _, n := range tamperNets(tb) {
		seeds = append(seeds, n.Genesis.Raw, randomSigned(tb, r, n, keys).Raw)
	}
	seeds = append(seeds, manyOutputsTx(tb, 10))
	for range 20 {
		seeds = append(seeds, []byte(mustEncode(tb, randomTx(r))))
	}
	return seeds
}

// randomTx returns a Tx whose fields are drawn from values at and around
// the edges the decoders treat specially: zero, negative and extreme
// numbers, empty and escaped strings, nil and empty slices, valid and
// broken addresses and outpoints. Most of them are invalid.
func randomTx(r *rand.Rand) *Tx {
	pick := func(vs ...string) string { // vs[0] seven times in eight
		if r.IntN(8) != 0 {
			return vs[0]
		}
		return vs[r.IntN(len(vs))]
	}
	ints := []int64{0, 1, -1, 2, 7, 64, 1000, 1001, 4096, 1767225601, 1<<40 - 1, 1 << 40, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	uints := []uint64{0, 1, 42, 255, 1000, 150_000_000, math.MaxUint64, math.MaxUint64 - 1000, 1 << 63}
	anInt := func() int64 { return ints[r.IntN(len(ints))] }
	aUint := func() uint64 { return uints[r.IntN(len(uints))] }
	addr := func(prefix string) string {
		pk := codecPub(codecKey(byte(r.IntN(4))))
		switch r.IntN(40) {
		case 0:
			return ""
		case 1:
			return strings.ToUpper(pk.Address(prefix))
		case 2:
			return typo(pk.Address(prefix))
		case 3:
			s, _ := encodeBech32ForTest(prefix, pk)
			return s
		case 4:
			return pk.Address("t1x")
		}
		return pk.Address(prefix)
	}
	prefix := pick("ttx", "tty", "t1x")
	tx := &Tx{Version: int(pick2(r, 1, anInt())), Time: pick2(r, 1767225601, anInt())}
	if r.IntN(4) == 0 {
		tx.Genesis = &Params{
			Name:        pick("ttx-golden", "", `a"b\c`, strings.Repeat("n", 65)),
			Prefix:      prefix,
			BurnPerByte: Amount(aUint()),
			PowBits:     uint8(aUint()),
			MaxPrev:     int(pick2(r, 8, anInt())),
			MaxOut:      int(pick2(r, 8, anInt())),
			MaxMemo:     int(pick2(r, 64, anInt())),
		}
	} else {
		tx.From = addr(prefix)
		tx.Sig = pick(strings.Repeat("0f", 64), "", strings.Repeat("0F", 64), "0f")
	}
	for i := range pick2(r, 1+r.IntN(3), r.IntN(2)) {
		tx.Prev = append(tx.Prev, strings.Repeat(pick("ab", "cd")[:1]+strconv.Itoa(i), 32)+pick(":0", ":7", ":07", ":4294967296", ""))
	}
	switch r.IntN(16) {
	case 0:
		tx.Out = nil
	case 1:
		tx.Out = []Output{}
	default:
		for range 1 + r.IntN(4) {
			tx.Out = append(tx.Out, Output{To: addr(prefix), Amount: Amount(pick2(r, 42, aUint()))})
		}
	}
	tx.Burn = Amount(pick2(r, 1000, aUint()))
	tx.Memo = pick("", "hi", `"`, `\`, `a"b\c`, "<&>", strings.Repeat("m", HardMaxMemo+1))
	tx.Nonce = pick2(r, 0, aUint())
	return tx
}

// pick2 returns usual seven times in eight, else other.
func pick2[T any](r *rand.Rand, usual, other T) T {
	if r.IntN(8) == 0 {
		return other
	}
	return usual
}

// mutate returns a copy of b with one random edit.
func mutate(r *rand.Rand, b []byte) []byte {
	alphabet := []byte(`{}[]":,\-01239aeElnqtux ` + "\n\x00\x7f\xff")
	b = bytes.Clone(b)
	if len(b) == 0 {
		return []byte{alphabet[r.IntN(len(alphabet))]}
	}
	i := r.IntN(len(b))
	switch r.IntN(5) {
	case 0:
		return append(b[:i], b[i+1:]...)
	case 1:
		return append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
	case 2:
		b[i] = alphabet[r.IntN(len(alphabet))]
	case 3:
		j := r.IntN(len(b))
		b[i], b[j] = b[j], b[i]
	default:
		j := i + r.IntN(len(b)-i)
		return append(b[:i], append(bytes.Clone(b[i:j]), b[i:]...)...) // repeat a span
	}
	return b
}

// TestDecodeDifferential checks Decode against the oracle on the seeds, on
// many random transactions and on random edits of them.
func TestDecodeDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	seeds := differentialSeeds(t)
	for range 3000 {
		seeds = append(seeds, []byte(mustEncode(t, randomTx(r))))
	}
	for _, raw := range seeds {
		checkSameDecode(t, raw)
		m := raw
		for range 4 {
			m = mutate(r, m)
			checkSameDecode(t, m)
		}
	}
}

// FuzzDecodeDifferential checks that Decode accepts exactly what the
// oracle accepts, with the same Parsed or the same error code.
func FuzzDecodeDifferential(f *testing.F) {
	for _, raw := range differentialSeeds(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSameDecode(t, raw)
	})
}

// TestDecodeManyPrevs checks the duplicate check on both sides of
// smallPrev: compared in a loop, or through a map.
func TestDecodeManyPrevs(t *testing.T) {
	for _, n := range []int{3, smallPrev, smallPrev + 1, 100} {
		for _, dupAt := range []int{-1, 1, n - 1} {
			tx := codecBaseTx()
			tx.Prev = nil
			for i := range n {
				tx.Prev = append(tx.Prev, OutPoint{TxID: TxID{byte(i), byte(i >> 8)}, Index: uint32(i % 3)}.String())
			}
			want := ErrorCode(0)
			if dupAt >= 0 {
				tx.Prev[dupAt] = tx.Prev[dupAt-1]
				want = ErrDuplicatePrev
			}
			raw := []byte(mustEncode(t, tx))
			t.Run(fmt.Sprintf("%d prevs, duplicate at %d", n, dupAt), func(t *testing.T) {
				_, err := Decode(raw)
				wantCode(t, err, want)
				checkSameDecode(t, raw)
			})
		}
	}
}

// TestPlainASCII checks the word-at-a-time test against a byte loop, for
// every byte value at every position of a word and in the tail.
func TestPlainASCII(t *testing.T) {
	for n := 1; n <= 17; n++ {
		for at := range n {
			for c := range 256 {
				b := bytes.Repeat([]byte("a~ ["), 5)[:n]
				b[at] = byte(c)
				want := c >= 0x20 && c <= 0x7e && c != '\\'
				if got := plainASCII(string(b)); got != want {
					t.Fatalf("plainASCII(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	if !plainASCII("") {
		t.Error(`plainASCII("") = false`)
	}
}

// TestDecodeErrorsSayWhere checks that a malformed tx.json is reported
// with the byte where it leaves the canonical form and what was expected.
func TestDecodeErrorsSayWhere(t *testing.T) {
	base := mustEncode(t, codecBaseTx())
	at := func(s string) string { return "at byte " + strconv.Itoa(strings.Index(base, s)) }
	tests := []struct {
		name string
		raw  string
		want []string
	}{
		{"not JSON", "hello", []string{"bad tx.json at byte 0", "want `{\"v\":`", `found "hello"`}},
		{"whitespace", strings.Replace(base, `"burn":1000`, `"burn": 1000`, 1), []string{"not canonical tx.json", at("1000,"), "want a number for burn"}},
		{"reordered", strings.Replace(base, `"burn":1000,"memo":"hi"`, `"memo":"hi","burn":1000`, 1), []string{"not canonical tx.json", at(`,"burn"`), "want `,\"burn\":`"}},
		{"float", strings.Replace(base, `"burn":1000`, `"burn":1000.0`, 1), []string{at("1000,"), "burn must be an integer"}},
		{"zero nonce", strings.Replace(base, `"nonce":5`, `"nonce":0`, 1), []string{at(`5,"sig"`), "a zero nonce must be omitted"}},
		{"truncated", base[:len(base)-1], []string{"bad tx.json", "want `}`", "found the end"}},
		{"control byte", strings.Replace(base, "hi", "h\ti", 1), []string{"byte " + strconv.Itoa(strings.Index(base, "hi")+1) + " is 0x09", "printable ASCII"}},
		{"escape", strings.Replace(base, "hi", `h\ni`, 1), []string{"byte " + strconv.Itoa(strings.Index(base, "hi")+1) + ":", "escape only"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.raw))
			wantCode(t, err, ErrMalformed)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
