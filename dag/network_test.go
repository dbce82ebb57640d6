package dag

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// sanityParams is a network without proof of work, so that signatures and
// not hashes decide the CheckSanity cases.
var sanityParams = Params{
	Name: "ttx-sanity", Prefix: "ttx", BurnPerByte: 2, PowBits: 0,
	MaxPrev: 3, MaxOut: 3, MaxMemo: 16,
}

// spendTx returns an unsigned tx with nprev prevs and nout outputs to key 2
// on prefix.
func spendTx(prefix string, nprev, nout int, burn Amount) *Tx {
	tx := &Tx{Version: TxVersion, Burn: burn, Time: 1767225700}
	for i := range nprev {
		tx.Prev = append(tx.Prev, OutPoint{TxID: testID, Index: uint32(i)}.String())
	}
	for i := range nout {
		tx.Out = append(tx.Out, Output{To: codecPub(codecKey(2)).Address(prefix), Amount: Amount(i + 1)})
	}
	return tx
}

func signDecode(tb testing.TB, n *Network, tx *Tx, key ed25519.PrivateKey) *Parsed {
	tb.Helper()
	raw, err := n.Sign(context.Background(), tx, key)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Decode(raw)
	if err != nil {
		tb.Fatalf("Decode of a signed tx: %v\n%s", err, raw)
	}
	return p
}

func wantCode(tb testing.TB, err error, code ErrorCode) {
	tb.Helper()
	if code == 0 {
		if err != nil {
			tb.Fatalf("got %v, want no error", err)
		}
		return
	}
	re, ok := IsRuleError(err)
	if !ok || re.Code != code {
		tb.Fatalf("got %v, want %v", err, code)
	}
}

func TestNewNetwork(t *testing.T) {
	n := codecNetwork(t, sanityParams, codecPub(codecKey(1)), 5*Unit)
	if n.Params != sanityParams || n.ID != n.Genesis.ID || n.Supply() != 5*Unit {
		t.Errorf("NewNetwork = %+v", n)
	}
	if got := n.Address(codecPub(codecKey(1))); got != codecPub(codecKey(1)).Address("ttx") {
		t.Errorf("Address = %q", got)
	}
	if pk, err := n.ParseAddress(n.Address(codecPub(codecKey(1)))); err != nil || pk != codecPub(codecKey(1)) {
		t.Errorf("ParseAddress = %x, %v", pk, err)
	}
	if _, err := n.ParseAddress(codecPub(codecKey(1)).Address("tty")); err == nil {
		t.Error("ParseAddress accepted another network's address")
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		code ErrorCode
	}{
		{"empty", nil, ErrMalformed},
		{"not canonical", []byte(" {}"), ErrMalformed},
		{"not a genesis", []byte(mustEncode(t, codecBaseTx())), ErrGenesis},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewNetwork(tc.raw)
			if n != nil {
				t.Error("NewNetwork returned a network with an error")
			}
			wantCode(t, err, tc.code)
		})
	}
}

func TestCheckSanity(t *testing.T) {
	key := codecKey(1)
	n := codecNetwork(t, sanityParams, codecPub(key), 5*Unit)
	other := sanityParams
	other.Prefix = "tty"
	nOther := codecNetwork(t, other, codecPub(key), 5*Unit)
	const burn = 10_000
	tests := []struct {
		name string
		net  *Network // signs; n checks
		tx   *Tx
		code ErrorCode
	}{
		{"valid", n, spendTx("ttx", 1, 1, burn), 0},
		{"at every limit", n, func() *Tx {
			tx := spendTx("ttx", 3, 3, burn)
			tx.Memo = strings.Repeat("m", 16)
			return tx
		}(), 0},
		{"other prefix", nOther, spendTx("tty", 1, 1, burn), ErrBadAddress},
		{"too many prevs", n, spendTx("ttx", 4, 1, burn), ErrBadField},
		{"too many outputs", n, spendTx("ttx", 1, 4, burn), ErrBadField},
		{"memo too long", n, func() *Tx {
			tx := spendTx("ttx", 1, 1, burn)
			tx.Memo = strings.Repeat("m", 17)
			return tx
		}(), ErrBadField},
		{"no burn", n, spendTx("ttx", 1, 1, 0), ErrBurnTooLow},
		{"burn far too low", n, spendTx("ttx", 1, 1, 10), ErrBurnTooLow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := signDecode(t, tc.net, tc.tx, key)
			wantCode(t, n.CheckSanity(p), tc.code)
		})
	}
}

// TestCheckSanityBurnBoundary checks burn = size * burn_per_byte exactly,
// and one base unit less.
func TestCheckSanityBurnBoundary(t *testing.T) {
	pr := sanityParams
	pr.BurnPerByte = 1000
	key := codecKey(1)
	n := codecNetwork(t, pr, codecPub(key), 5*Unit)
	burn := Amount(0)
	var p *Parsed
	for range 5 { // the burn's digits change the size: iterate to a fixed point
		p = signDecode(t, n, spendTx("ttx", 1, 1, burn), key)
		need, err := n.MinBurn(len(p.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if need == burn {
			break
		}
		burn = need
	}
	wantCode(t, n.CheckSanity(p), 0)
	low := signDecode(t, n, spendTx("ttx", 1, 1, burn-1), key)
	if len(low.Raw) != len(p.Raw) {
		t.Fatalf("sizes %d and %d differ; pick other values", len(low.Raw), len(p.Raw))
	}
	wantCode(t, n.CheckSanity(low), ErrBurnTooLow)
	if _, err := n.MinBurn(MaxTxSize); err != nil {
		t.Error(err)
	}
	huge := &Network{Params: Params{BurnPerByte: MaxAmount / 2}}
	if _, err := huge.MinBurn(3); !errors.Is(err, ErrAmountOverflow) {
		t.Errorf("MinBurn overflow: %v", err)
	}
}

// TestCheckSanityBurnOverflow checks that a burn_per_byte so high that
// size * burn_per_byte overflows rejects every tx instead of wrapping.
func TestCheckSanityBurnOverflow(t *testing.T) {
	pr := sanityParams
	pr.BurnPerByte = MaxAmount / 100
	key := codecKey(1)
	n := codecNetwork(t, pr, codecPub(key), 5*Unit)
	p := signDecode(t, n, spendTx("ttx", 1, 1, MaxAmount-10), key)
	wantCode(t, n.CheckSanity(p), ErrBurnTooLow)
}

func TestCheckSanityProofOfWork(t *testing.T) {
	key := codecKey(1)
	n := codecNetwork(t, goldenParams, codecPub(key), goldenSupply) // pow_bits 8
	tx := spendTx("ttx", 1, 1, 10_000)
	p := signDecode(t, n, tx, key)
	wantCode(t, n.CheckSanity(p), 0)
	if w := workBits(n.parsedSigningBytes(p)); w < 8 {
		t.Fatalf("Sign produced %d bits of work", w)
	}
	// Another nonce: with too little work it fails the work check, with
	// enough work it fails the signature.
	var sawWork, sawSig bool
	for nonce := tx.Nonce + 1; !(sawWork && sawSig); nonce++ {
		alt := p.Tx
		alt.Nonce = nonce
		q, err := Decode([]byte(mustEncode(t, &alt)))
		if err != nil {
			t.Fatal(err)
		}
		err = n.CheckSanity(q)
		sb, _ := SigningBytes(n.ID, &alt)
		if workBits(sb) < 8 {
			wantCode(t, err, ErrInsufficientWork)
			sawWork = true
		} else {
			wantCode(t, err, ErrBadSignature)
			sawSig = true
		}
	}
}

func TestSignCanceled(t *testing.T) {
	pr := goldenParams
	pr.PowBits = 32
	n := codecNetwork(t, pr, codecPub(codecKey(1)), goldenSupply)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	raw, err := n.Sign(ctx, spendTx("ttx", 1, 1, 10_000), codecKey(1))
	if raw != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Sign with a canceled context = %q, %v", raw, err)
	}
}

// TestCheckSanityWrongNetwork checks replay protection: two networks with
// the same prefix and rules but different genesis.
func TestCheckSanityWrongNetwork(t *testing.T) {
	key := codecKey(1)
	a := codecNetwork(t, sanityParams, codecPub(key), 5*Unit)
	b := codecNetwork(t, sanityParams, codecPub(key), 6*Unit)
	if a.ID == b.ID || a.Params != b.Params {
		t.Fatal("want two networks with equal parameters")
	}
	p := signDecode(t, a, spendTx("ttx", 1, 1, 10_000), key)
	wantCode(t, a.CheckSanity(p), 0)
	wantCode(t, b.CheckSanity(p), ErrBadSignature)
}

func TestCheckSanityGenesis(t *testing.T) {
	a := codecNetwork(t, sanityParams, codecPub(codecKey(1)), 5*Unit)
	b := codecNetwork(t, sanityParams, codecPub(codecKey(1)), 6*Unit)
	wantCode(t, a.CheckSanity(a.Genesis), 0)
	wantCode(t, a.CheckSanity(b.Genesis), ErrGenesis)
}

// TestSigningBytes checks that the signing bytes CheckSanity cuts from the
// raw tx equal SigningBytes over the re-encoded fields, and that they cover
// everything but sig.
func TestSigningBytes(t *testing.T) {
	n := codecNetwork(t, sanityParams, codecPub(codecKey(1)), 5*Unit)
	tx := spendTx("ttx", 2, 2, 10_000)
	tx.Memo = `a"b\c`
	p := signDecode(t, n, tx, codecKey(1))
	sb, err := SigningBytes(n.ID, &p.Tx)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.parsedSigningBytes(p); !bytes.Equal(got, sb) {
		t.Errorf("parsedSigningBytes = %q\nSigningBytes = %q", got, sb)
	}
	unsigned := p.Tx
	unsigned.Sig = ""
	want := sigDomain + string(n.ID[:]) + mustEncode(t, &unsigned)
	if string(sb) != want {
		t.Errorf("SigningBytes = %q, want %q", sb, want)
	}
	if p.Tx.Sig == "" || strings.Contains(string(sb), p.Tx.Sig) {
		t.Error("SigningBytes must not contain the signature")
	}
	// SigningBytes ignores a Sig already set.
	sb2, _ := SigningBytes(n.ID, tx)
	if !bytes.Equal(sb, sb2) {
		t.Error("SigningBytes depends on Sig")
	}
}

// tamperNets are the networks the tamper test signs for: one with a burn
// rate and no work, one feeless with proof of work (so nonces vary).
func tamperNets(tb testing.TB) []*Network {
	owner := codecPub(codecKey(1))
	return []*Network{
		codecNetwork(tb, Params{Name: "tamper-a", Prefix: "tta", BurnPerByte: 1, MaxPrev: 6, MaxOut: 6, MaxMemo: 64}, owner, goldenSupply),
		codecNetwork(tb, Params{Name: "tamper-b", Prefix: "ttb", PowBits: 4, MaxPrev: 6, MaxOut: 6, MaxMemo: 64}, owner, goldenSupply),
	}
}

// randomSigned signs a random valid tx on n: 1-6 distinct prevs, 1-6
// outputs to a pool of keys, a random burn, time, and printable memo
// (including characters JSON escapes).
func randomSigned(tb testing.TB, r *rand.Rand, n *Network, keys []ed25519.PrivateKey) *Parsed {
	tb.Helper()
	tx := &Tx{Version: TxVersion, Time: 2 + r.Int64N(1<<40-4)}
	seen := map[OutPoint]bool{}
	for len(tx.Prev) < 1+r.IntN(n.Params.MaxPrev) {
		var op OutPoint
		for i := range op.TxID {
			op.TxID[i] = byte(r.Uint32())
		}
		op.Index = r.Uint32N(4)
		if r.IntN(8) == 0 {
			op.Index = r.Uint32()
		}
		if !seen[op] {
			seen[op] = true
			tx.Prev = append(tx.Prev, op.String())
		}
	}
	for range 1 + r.IntN(n.Params.MaxOut) {
		to := codecPub(keys[r.IntN(len(keys))])
		tx.Out = append(tx.Out, Output{To: n.Address(to), Amount: 1 + Amount(r.Uint64N(1e15))})
	}
	tx.Burn = Amount(MaxTxSize) + Amount(r.Uint64N(1e9))
	if r.IntN(4) == 0 {
		tx.Burn = MaxTxSize // n.Params.BurnPerByte is at most 1 here
	}
	if r.IntN(3) > 0 {
		m := make([]byte, r.IntN(n.Params.MaxMemo+1))
		for i := range m {
			m[i] = byte(0x20 + r.IntN(0x7f-0x20))
		}
		tx.Memo = string(m)
	}
	p := signDecode(tb, n, tx, keys[r.IntN(len(keys))])
	if err := n.CheckSanity(p); err != nil {
		tb.Fatalf("a freshly signed tx fails CheckSanity: %v\n%s", err, p.Raw)
	}
	return p
}

// rejects reports the rule that rejects raw on n, failing the test if raw
// is accepted or the error is not a RuleError.
func rejects(tb testing.TB, n *Network, raw []byte, what string) ErrorCode {
	tb.Helper()
	p, err := Decode(raw)
	if err == nil {
		err = n.CheckSanity(p)
	}
	if err == nil {
		tb.Fatalf("%s: accepted a tampered tx:\n%s", what, raw)
	}
	re, ok := IsRuleError(err)
	if !ok {
		tb.Fatalf("%s: error %v is not a RuleError", what, err)
	}
	return re.Code
}

// tamperings returns every single-field change of tx, each with a name.
func tamperings(tx *Tx, n *Network, r *rand.Rand) map[string]Tx {
	out := map[string]Tx{}
	clone := func() Tx {
		c := *tx
		c.Prev = append([]string(nil), tx.Prev...)
		c.Out = append([]Output(nil), tx.Out...)
		return c
	}
	c := clone()
	c.Version++
	out["version"] = c
	c = clone()
	for c.From == tx.From {
		c.From = n.Address(codecPub(codecKey(byte(r.IntN(256)))))
	}
	out["from"] = c
	for i := range tx.Prev {
		op, _ := ParseOutPoint(tx.Prev[i])
		c = clone()
		op.TxID[r.IntN(TxIDSize)] ^= 1 << r.IntN(8)
		c.Prev[i] = op.String()
		out["prev txid "+string(rune('0'+i))] = c
		op, _ = ParseOutPoint(tx.Prev[i])
		c = clone()
		op.Index ^= 1
		c.Prev[i] = op.String()
		out["prev index "+string(rune('0'+i))] = c
	}
	if len(tx.Prev) > 1 {
		c = clone()
		c.Prev[0], c.Prev[1] = c.Prev[1], c.Prev[0]
		out["prev order"] = c
	}
	for i := range tx.Out {
		c = clone()
		for c.Out[i].To == tx.Out[i].To {
			c.Out[i].To = n.Address(codecPub(codecKey(byte(r.IntN(256)))))
		}
		out["out to "+string(rune('0'+i))] = c
		c = clone()
		c.Out[i].Amount ^= 1 << r.IntN(50)
		out["out amount "+string(rune('0'+i))] = c
	}
	c = clone()
	c.Out = c.Out[:len(c.Out)-1]
	out["drop output"] = c
	c = clone()
	c.Burn ^= 1
	out["burn"] = c
	c = clone()
	c.Memo += "x"
	out["memo"] = c
	if tx.Memo != "" {
		c = clone()
		c.Memo = ""
		out["memo removed"] = c
	}
	c = clone()
	c.Time ^= 1
	out["time"] = c
	c = clone()
	c.Nonce++
	out["nonce"] = c
	c = clone()
	sig, _ := hex.DecodeString(tx.Sig)
	sig[r.IntN(len(sig))] ^= 1 << r.IntN(8)
	c.Sig = hex.EncodeToString(sig)
	out["sig"] = c
	return out
}

// signedOnly reports whether the tampering named name keeps the tx within
// every rule but the signature (on a network without proof of work).
func signedOnly(name string) bool {
	for _, f := range []string{"from", "prev txid", "prev order", "out to", "burn", "time", "nonce", "sig"} {
		if strings.HasPrefix(name, f) {
			return true
		}
	}
	return false
}

// TestTamper signs many random transactions and checks that no change to
// any field, no single-bit flip of the bytes and no signature lifted from
// another transaction yields a transaction that passes Decode and
// CheckSanity.
func TestTamper(t *testing.T) {
	count := 1000
	if testing.Short() {
		count = 100
	}
	r := rand.New(rand.NewPCG(11, 12))
	nets := tamperNets(t)
	keys := make([]ed25519.PrivateKey, 6)
	for i := range keys {
		keys[i] = codecKey(byte(10 + i))
	}
	codes := map[ErrorCode]int{}
	last := map[*Network]*Parsed{}
	for i := range count {
		n := nets[i%len(nets)]
		p := randomSigned(t, r, n, keys)
		for name, c := range tamperings(&p.Tx, n, r) {
			raw, err := Encode(&c)
			if err != nil {
				t.Fatal(err)
			}
			code := rejects(t, n, raw, "tx "+p.ID.String()+": "+name)
			codes[code]++
			if n.Params.PowBits == 0 && signedOnly(name) && code != ErrBadSignature {
				t.Fatalf("tx %s: changing %s breaks only the signature, but the rule was %v", p.ID, name, code)
			}
		}
		// Single-bit flips: every bit of the first few, a sample of the rest.
		flips := 24
		if i < 3 {
			flips = 8 * len(p.Raw)
		}
		raw := bytes.Clone(p.Raw)
		for f := range flips {
			bit := r.IntN(8 * len(raw))
			if i < 3 {
				bit = f
			}
			raw[bit/8] ^= 1 << (bit % 8)
			codes[rejects(t, n, raw, "bit flip")]++
			raw[bit/8] ^= 1 << (bit % 8)
		}
		// A signature lifted from the previous tx of the same network.
		if q := last[n]; q != nil {
			lifted := p.Tx
			lifted.Sig = q.Tx.Sig
			if code := rejects(t, n, []byte(mustEncode(t, &lifted)), "lifted signature"); code != ErrBadSignature && code != ErrInsufficientWork {
				t.Fatalf("lifted signature rejected with %v, want ErrBadSignature", code)
			}
		}
		last[n] = p
	}
	t.Logf("rejections by rule: %v", codes)
	if codes[ErrBadSignature] == 0 {
		t.Error("no tampering reached the signature check")
	}
}
