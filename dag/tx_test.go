package dag

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// codecKey returns the Ed25519 key whose seed is 32 bytes of b.
func codecKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

// codecPub returns the public key of k as a PubKey.
func codecPub(k ed25519.PrivateKey) PubKey {
	return PubKey(k.Public().(ed25519.PublicKey))
}

// codecGenesis returns a genesis that mints supply to owner.
func codecGenesis(pr Params, owner PubKey, supply Amount) *Tx {
	return &Tx{
		Version: TxVersion,
		Genesis: &pr,
		Out:     []Output{{To: owner.Address(pr.Prefix), Amount: supply}},
		Time:    1767225600,
	}
}

// codecNetwork builds a network whose genesis mints supply to owner.
func codecNetwork(tb testing.TB, pr Params, owner PubKey, supply Amount) *Network {
	tb.Helper()
	raw, err := Encode(codecGenesis(pr, owner, supply))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := NewNetwork(raw)
	if err != nil {
		tb.Fatalf("NewNetwork: %v", err)
	}
	return n
}

// codecBaseTx is a well-formed (not validly signed) transaction that the
// Decode table mutates.
func codecBaseTx() *Tx {
	from := codecPub(codecKey(1)).Address("ttx")
	return &Tx{
		Version: TxVersion,
		From:    from,
		Prev:    []string{strings.Repeat("ab", 32) + ":0", strings.Repeat("cd", 32) + ":7"},
		Out: []Output{
			{To: codecPub(codecKey(2)).Address("ttx"), Amount: 150_000_000},
			{To: from, Amount: 42},
		},
		Burn:  1000,
		Memo:  "hi",
		Time:  1767225601,
		Nonce: 5,
		Sig:   strings.Repeat("0f", 64),
	}
}

func mustEncode(tb testing.TB, tx *Tx) string {
	tb.Helper()
	b, err := Encode(tx)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// replaceOnce replaces the single occurrence of old in s.
func replaceOnce(tb testing.TB, s, old, new string) string {
	tb.Helper()
	if strings.Count(s, old) != 1 {
		tb.Fatalf("%q occurs %d times in %s", old, strings.Count(s, old), s)
	}
	return strings.Replace(s, old, new, 1)
}

type decodeCase struct {
	name string
	raw  string
	code ErrorCode // 0: valid
}

// decodeCases are the Decode table; FuzzDecode is seeded from them.
func decodeCases(tb testing.TB) []decodeCase {
	base := mustEncode(tb, codecBaseTx())
	r := func(old, new string) string { return replaceOnce(tb, base, old, new) }
	withTx := func(f func(tx *Tx)) string {
		tx := codecBaseTx()
		f(tx)
		return mustEncode(tb, tx)
	}
	from := codecBaseTx().From
	pay := codecBaseTx().Out[0].To
	gen := codecGenesis(goldenParams, codecPub(codecKey(1)), goldenSupply)
	genesis := mustEncode(tb, gen)
	g := func(old, new string) string { return replaceOnce(tb, genesis, old, new) }
	withGenesis := func(f func(tx *Tx)) string {
		tx := codecGenesis(goldenParams, codecPub(codecKey(1)), goldenSupply)
		f(tx)
		return mustEncode(tb, tx)
	}
	withParams := func(f func(pr *Params)) string {
		pr := goldenParams
		f(&pr)
		tx := codecGenesis(goldenParams, codecPub(codecKey(1)), goldenSupply)
		tx.Genesis = &pr
		return mustEncode(tb, tx)
	}
	bech32Pay := func() string { // the payee's key in bech32 (not bech32m)
		s, _ := encodeBech32ForTest("ttx", codecPub(codecKey(2)))
		return s
	}()
	return []decodeCase{
		{"valid", base, 0},
		{"valid genesis", genesis, 0},
		{"valid memo with quote and backslash", withTx(func(tx *Tx) { tx.Memo = `a"b\c` }), 0},
		{"valid memo with html characters", withTx(func(tx *Tx) { tx.Memo = "<a&b>" }), 0},
		{"valid at MaxTxSize", sizedTx(tb, MaxTxSize), 0},
		{"valid without memo or nonce", withTx(func(tx *Tx) { tx.Memo, tx.Nonce = "", 0 }), 0},

		{"empty", "", ErrMalformed},
		{"null", "null", ErrMalformed},
		{"array", "[]", ErrMalformed},
		{"string", `"x"`, ErrMalformed},
		{"empty object", "{}", ErrMalformed},
		{"space after brace", r(`{"v"`, `{ "v"`), ErrMalformed},
		{"space after colon", r(`"burn":1000`, `"burn": 1000`), ErrMalformed},
		{"leading space", " " + base, ErrMalformed},
		{"trailing space", base + " ", ErrMalformed},
		{"trailing newline", base + "\n", ErrMalformed},
		{"trailing object", base + "{}", ErrMalformed},
		{"trailing brace", base + "}", ErrMalformed},
		{"trailing garbage", base + "x", ErrMalformed},
		{"reordered fields", r(`"burn":1000,"memo":"hi"`, `"memo":"hi","burn":1000`), ErrMalformed},
		{"duplicate burn", r(`"burn":1000,`, `"burn":1000,"burn":1000,`), ErrMalformed},
		{"duplicate burn, first differs", r(`"burn":1000,`, `"burn":1,"burn":1000,`), ErrMalformed},
		{"unknown field", r(`"memo":"hi",`, `"memo":"hi","fee":1,`), ErrMalformed},
		{"unknown output field", r(`"amount":42}`, `"amount":42,"x":1}`), ErrMalformed},
		{"case-changed key V", r(`{"v":`, `{"V":`), ErrMalformed},
		{"case-changed key Burn", r(`"burn"`, `"Burn"`), ErrMalformed},
		{"float amount", r(`"amount":42}`, `"amount":1.0}`), ErrMalformed},
		{"float burn", r(`"burn":1000`, `"burn":1000.0`), ErrMalformed},
		{"exponent amount", r(`"amount":42}`, `"amount":4.2e1}`), ErrMalformed},
		{"exponent burn", r(`"burn":1000`, `"burn":1e3`), ErrMalformed},
		{"negative burn", r(`"burn":1000`, `"burn":-1`), ErrMalformed},
		{"negative amount", r(`"amount":42}`, `"amount":-42}`), ErrMalformed},
		{"minus zero version", r(`{"v":1`, `{"v":-0`), ErrMalformed},
		{"leading zero burn", r(`"burn":1000`, `"burn":01000`), ErrMalformed},
		{"plus sign burn", r(`"burn":1000`, `"burn":+1000`), ErrMalformed},
		{"amount above uint64", r(`"amount":42}`, `"amount":18446744073709551616}`), ErrMalformed},
		{"string amount", r(`"amount":42}`, `"amount":"42"}`), ErrMalformed},
		{"prev []", strings.Replace(withTx(func(tx *Tx) { tx.Prev = nil }), `"out"`, `"prev":[],"out"`, 1), ErrMalformed},
		{"prev null", strings.Replace(withTx(func(tx *Tx) { tx.Prev = nil }), `"out"`, `"prev":null,"out"`, 1), ErrMalformed},
		{"zero nonce written", r(`"nonce":5`, `"nonce":0`), ErrMalformed},
		{"empty memo written", r(`"memo":"hi"`, `"memo":""`), ErrMalformed},
		{"genesis null", r(`{"v":1,`, `{"v":1,"genesis":null,`), ErrMalformed},
		{"escape \\u0041", r(`"memo":"hi"`, `"memo":"\u0041"`), ErrMalformed},
		{"escape \\u0069 in memo", r(`"memo":"hi"`, `"memo":"h\u0069"`), ErrMalformed},
		{"escaped slash", r(`"memo":"hi"`, `"memo":"a\/b"`), ErrMalformed},
		{"escaped html \\u003c", r(`"memo":"hi"`, `"memo":"\u003c"`), ErrMalformed},
		{"escaped key", r(`"burn"`, `"\u0062urn"`), ErrMalformed},
		{"escaped carriage return in memo", r(`"memo":"hi"`, `"memo":"h\ri"`), ErrMalformed},
		{"escaped backspace in memo", r(`"memo":"hi"`, `"memo":"h\bi"`), ErrMalformed},
		{"backslash at the end", base + `\`, ErrMalformed},
		{"lone surrogate escape", r(`"memo":"hi"`, `"memo":"\udc00"`), ErrMalformed},
		{"non-ASCII byte", r(`"memo":"hi"`, `"memo":"hé"`), ErrMalformed},
		{"invalid UTF-8", r(`"memo":"hi"`, "\"memo\":\"h\xff\""), ErrMalformed},
		{"DEL byte", r(`"memo":"hi"`, "\"memo\":\"h\x7f\""), ErrMalformed},
		{"raw tab", r(`"memo":"hi"`, "\"memo\":\"h\ti\""), ErrMalformed},
		{"NUL byte", r(`"memo":"hi"`, "\"memo\":\"h\x00i\""), ErrMalformed},
		{"bad escape", r(`"memo":"hi"`, `"memo":"\x"`), ErrMalformed},
		{"truncated", base[:len(base)-1], ErrMalformed},
		{"too large", r(`"memo":"hi"`, `"memo":"`+strings.Repeat("a", MaxTxSize)+`"`), ErrTooLarge},
		{"one byte over MaxTxSize", sizedTx(tb, MaxTxSize+1), ErrTooLarge},

		{"escaped newline in memo", r(`"memo":"hi"`, `"memo":"h\ni"`), ErrMalformed},
		{"escaped tab in memo", r(`"memo":"hi"`, `"memo":"h\ti"`), ErrMalformed},
		{"escaped control in memo", r(`"memo":"hi"`, `"memo":"\u001b[2J"`), ErrMalformed},
		{"escaped NUL in memo", r(`"memo":"hi"`, `"memo":"\u0000"`), ErrMalformed},
		{"line separator in memo", r(`"memo":"hi"`, `"memo":"\u2028"`), ErrMalformed},
		{"memo above HardMaxMemo", withTx(func(tx *Tx) { tx.Memo = strings.Repeat("m", HardMaxMemo+1) }), ErrBadField},
		{"version 0", r(`{"v":1`, `{"v":0`), ErrBadField},
		{"version 2", r(`{"v":1`, `{"v":2`), ErrBadField},
		{"time 0", withTx(func(tx *Tx) { tx.Time = 0 }), ErrBadField},
		{"negative time", withTx(func(tx *Tx) { tx.Time = -1767225601 }), ErrBadField},
		{"time 2^40", withTx(func(tx *Tx) { tx.Time = 1 << 40 }), ErrBadField},
		{"no prev", withTx(func(tx *Tx) { tx.Prev = nil }), ErrBadField},
		{"no outputs", withTx(func(tx *Tx) { tx.Out = []Output{} }), ErrBadField},
		{"null outputs", withTx(func(tx *Tx) { tx.Out = nil }), ErrBadField},
		{"prev uppercase hex", r(`["abab`, `["ABab`), ErrBadField},
		{"prev index leading zero", r(":7", ":07"), ErrBadField},
		{"prev index above uint32", r(":7", ":4294967296"), ErrBadField},
		{"prev missing colon", r(":7", "7"), ErrBadField},
		{"prev short txid", r(strings.Repeat("cd", 32)+":7", strings.Repeat("cd", 31)+":7"), ErrBadField},
		{"duplicate prev", r(strings.Repeat("cd", 32)+":7", strings.Repeat("ab", 32)+":0"), ErrDuplicatePrev},
		{"sig too short", r(`"sig":"0f`, `"sig":"`), ErrBadField},
		{"sig too long", r(`"sig":"0f`, `"sig":"0f0f`), ErrBadField},
		{"sig uppercase", r(`"sig":"0f`, `"sig":"0F`), ErrBadField},
		{"sig not hex", r(`"sig":"0f`, `"sig":"0g`), ErrBadField},
		{"no sig", withTx(func(tx *Tx) { tx.Sig = "" }), ErrBadField},
		{"no from", withTx(func(tx *Tx) { tx.From = "" }), ErrBadAddress},
		{"from upper case", withTx(func(tx *Tx) { tx.From = strings.ToUpper(from) }), ErrBadAddress},
		{"from bad checksum", withTx(func(tx *Tx) { tx.From = typo(from) }), ErrBadAddress},
		{"output upper case", withTx(func(tx *Tx) { tx.Out[0].To = strings.ToUpper(pay) }), ErrBadAddress},
		{"output of another prefix", withTx(func(tx *Tx) { tx.Out[0].To = codecPub(codecKey(2)).Address("tty") }), ErrBadAddress},
		{"output in bech32", withTx(func(tx *Tx) { tx.Out[0].To = bech32Pay }), ErrBadAddress},
		{"zero output", r(`"amount":42}`, `"amount":0}`), ErrBadAmount},
		{"outputs overflow", r(`"amount":42}`, `"amount":18446744073709551615}`), ErrBadAmount},
		{"outputs plus burn overflow", r(`"amount":42}`, `"amount":18446744073559551615}`), ErrBadAmount},

		{"genesis with from", withGenesis(func(tx *Tx) { tx.From = from }), ErrGenesis},
		{"genesis with sig", withGenesis(func(tx *Tx) { tx.Sig = strings.Repeat("0f", 64) }), ErrGenesis},
		{"genesis with prev", withGenesis(func(tx *Tx) { tx.Prev = []string{strings.Repeat("ab", 32) + ":0"} }), ErrGenesis},
		{"genesis with burn", withGenesis(func(tx *Tx) { tx.Burn = 1 }), ErrGenesis},
		{"genesis with nonce", withGenesis(func(tx *Tx) { tx.Nonce = 1 }), ErrGenesis},
		{"genesis empty name", withParams(func(pr *Params) { pr.Name = "" }), ErrGenesis},
		{"genesis long name", withParams(func(pr *Params) { pr.Name = strings.Repeat("n", 65) }), ErrGenesis},
		{"genesis name with newline", withParams(func(pr *Params) { pr.Name = "a\nb" }), ErrMalformed},
		{"genesis upper-case prefix", withParams(func(pr *Params) { pr.Prefix = "TTX" }), ErrGenesis},
		{"genesis prefix starts with digit", withParams(func(pr *Params) { pr.Prefix = "1tx" }), ErrGenesis},
		{"genesis long prefix", withParams(func(pr *Params) { pr.Prefix = strings.Repeat("t", 17) }), ErrGenesis},
		{"genesis pow_bits 33", withParams(func(pr *Params) { pr.PowBits = 33 }), ErrGenesis},
		{"genesis max_prev 0", withParams(func(pr *Params) { pr.MaxPrev = 0 }), ErrGenesis},
		{"genesis max_out above hard limit", withParams(func(pr *Params) { pr.MaxOut = HardMaxOut + 1 }), ErrGenesis},
		{"genesis max_memo above hard limit", withParams(func(pr *Params) { pr.MaxMemo = HardMaxMemo + 1 }), ErrGenesis},
		{"genesis max_memo negative", withParams(func(pr *Params) { pr.MaxMemo = -1 }), ErrGenesis},
		{"genesis pow_bits 256", g(`"pow_bits":8`, `"pow_bits":256`), ErrMalformed},
		{"genesis missing field", g(`"pow_bits":8,`, ``), ErrMalformed},
		{"genesis output of another prefix", withGenesis(func(tx *Tx) { tx.Out[0].To = codecPub(codecKey(1)).Address("tty") }), ErrBadAddress},
		{"genesis zero supply", g(`"amount":2100000000000000}`, `"amount":0}`), ErrBadAmount},
	}
}

// typo changes one data character of a bech32 string.
func typo(s string) string {
	b := []byte(s)
	i := len(b) - 10
	if b[i] == 'q' {
		b[i] = 'p'
	} else {
		b[i] = 'q'
	}
	return string(b)
}

// sizedTx returns a well-formed tx of exactly size bytes (size must be
// large), made of many outputs and a memo that pads the rest.
func sizedTx(tb testing.TB, size int) string {
	tb.Helper()
	tx := codecBaseTx()
	tx.Memo = ""
	for len(mustEncode(tb, tx)) < size-200 {
		tx.Out = append(tx.Out, Output{To: codecBaseTx().From, Amount: Amount(len(tx.Out))})
	}
	tx.Memo = strings.Repeat("m", size-len(mustEncode(tb, tx))-len(`,"memo":""`))
	raw := mustEncode(tb, tx)
	if len(raw) != size {
		tb.Fatalf("sizedTx built %d bytes, want %d", len(raw), size)
	}
	return raw
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			p, err := Decode(raw)
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				checkParsed(t, p, raw)
				return
			}
			if p != nil {
				t.Errorf("Decode returned a Parsed with error %v", err)
			}
			re, ok := IsRuleError(err)
			if !ok {
				t.Fatalf("Decode error %v, want RuleError %v", err, tc.code)
			}
			if re.Code != tc.code {
				t.Fatalf("Decode error %v (%v), want %v", err, re.Code, tc.code)
			}
		})
	}
}

// checkParsed checks what Decode must guarantee for accepted bytes.
func checkParsed(t *testing.T, p *Parsed, raw []byte) {
	t.Helper()
	if p == nil {
		t.Fatal("Decode returned nil, nil")
	}
	if !bytes.Equal(p.Raw, raw) {
		t.Error("Raw is not the input")
	}
	enc, err := Encode(&p.Tx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, raw) {
		t.Errorf("Encode(Decode(raw)) differs:\n got %q\nwant %q", enc, raw)
	}
	if p.TxIDs != IDs(raw) {
		t.Error("IDs differ from IDs(raw)")
	}
	if err := CheckID(raw, p.ID); err != nil {
		t.Error(err)
	}
	if !IsPrintable(p.Tx.Memo) || (p.Tx.Genesis != nil && !IsPrintable(p.Tx.Genesis.Name)) {
		t.Errorf("free text is not printable ASCII: %q", p.Tx.Memo)
	}
	if len(p.Out) != len(p.Tx.Out) || len(p.Prev) != len(p.Tx.Prev) {
		t.Fatalf("binary fields: %d out, %d prev for %d, %d", len(p.Out), len(p.Prev), len(p.Tx.Out), len(p.Tx.Prev))
	}
	for i, o := range p.Out {
		if o.Owner.Address(p.Prefix) != p.Tx.Out[i].To || o.Amount != p.Tx.Out[i].Amount {
			t.Errorf("output %d: %+v does not match %+v", i, o, p.Tx.Out[i])
		}
	}
	for i, op := range p.Prev {
		if op.String() != p.Tx.Prev[i] {
			t.Errorf("prev %d: %v does not match %q", i, op, p.Tx.Prev[i])
		}
	}
	if p.IsGenesis() {
		if p.From != (PubKey{}) || p.Sig != nil || p.Prefix != p.Tx.Genesis.Prefix {
			t.Error("genesis has binary from, sig or a prefix other than its own")
		}
	} else if p.From.Address(p.Prefix) != p.Tx.From || hex.EncodeToString(p.Sig) != p.Tx.Sig {
		t.Error("from or sig does not match the text")
	}
	again, err := Decode(enc)
	if err != nil || !reflect.DeepEqual(again, p) {
		t.Errorf("decoding the re-encoding gives %+v, %v", again, err)
	}
}

func TestEncodeOmitsEmpty(t *testing.T) {
	raw, err := Encode(&Tx{Version: 1, Out: []Output{{To: "a", Amount: 1}}, Time: 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"v":1,"out":[{"to":"a","amount":1}],"burn":0,"time":5}`; string(raw) != want {
		t.Errorf("Encode = %s, want %s", raw, want)
	}
}

func TestTotal(t *testing.T) {
	p, err := Decode([]byte(mustEncode(t, codecBaseTx())))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Total(), Amount(150_000_000+42+1000); got != want {
		t.Errorf("Total = %d, want %d", got, want)
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(pr *Params)
		ok   bool
	}{
		{"golden", func(pr *Params) {}, true},
		{"feeless at the hard limits", func(pr *Params) {
			pr.BurnPerByte, pr.PowBits, pr.MaxPrev, pr.MaxOut, pr.MaxMemo = 0, 32, HardMaxPrev, HardMaxOut, HardMaxMemo
		}, true},
		{"64-character name", func(pr *Params) { pr.Name = strings.Repeat("n", 64) }, true},
		{"no memo allowed", func(pr *Params) { pr.MaxMemo = 0 }, true},
		{"empty name", func(pr *Params) { pr.Name = "" }, false},
		{"name with newline", func(pr *Params) { pr.Name = "a\nb" }, false},
		{"name with DEL", func(pr *Params) { pr.Name = "a\x7f" }, false},
		{"non-ASCII name", func(pr *Params) { pr.Name = "tëst" }, false},
		{"bad prefix", func(pr *Params) { pr.Prefix = "t_x" }, false},
		{"pow_bits 33", func(pr *Params) { pr.PowBits = 33 }, false},
		{"max_out 0", func(pr *Params) { pr.MaxOut = 0 }, false},
		{"max_prev above hard limit", func(pr *Params) { pr.MaxPrev = HardMaxPrev + 1 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr := goldenParams
			tc.edit(&pr)
			err := pr.Validate()
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, ErrGenesis)
		})
	}
}

// A decoder decodes as it would with no memory, from memory or not, keeps at most its
// bound of addresses, and may be shared by goroutines.
func TestDecoderMemory(t *testing.T) {
	n := codecNetwork(t, goldenParams, codecPub(codecKey(1)), goldenSupply)
	r := rand.New(rand.NewPCG(3, 3))
	keys := []ed25519.PrivateKey{codecKey(10), codecKey(11), codecKey(12)}
	var raws [][]byte
	for range 200 {
		raws = append(raws, randomSigned(t, r, n, keys).Raw)
	}
	// Variants of each address: other case, a changed checksum.
	p, err := Decode(raws[0])
	if err != nil {
		t.Fatal(err)
	}
	upper := bytes.Replace(raws[0], []byte(p.Tx.From), []byte(strings.ToUpper(p.Tx.From)), 1)
	from := []byte(p.Tx.From)
	from[len(from)-1] ^= 1
	badSum := bytes.Replace(raws[0], []byte(p.Tx.From), from, 1)
	raws = append(raws, upper, badSum)

	var dec decoder
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				for _, raw := range raws {
					got, gerr := dec.decode(raw, nil)
					want, werr := (*decoder)(nil).decode(raw, nil)
					if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) {
						t.Errorf("decoder.decode = %v, %v; from no memory %v, %v", got, gerr, want, werr)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if _, err := dec.decode(upper, nil); err == nil {
		t.Error("an upper-case address was accepted from memory")
	}

	// The bound: many distinct addresses.
	for i := range 3 * addrShards * addrShardMax {
		var pk PubKey
		pk[0], pk[1] = byte(i), byte(i>>8)
		if _, _, err := dec.address(pk.Address(goldenParams.Prefix)); err != nil {
			t.Fatal(err)
		}
	}
	held := 0
	for i := range dec.addrs {
		if m := dec.addrs[i].m; m != nil {
			held += m.len()
		}
	}
	if held > addrShards*addrShardMax || held == 0 {
		t.Errorf("the decoder holds %d addresses, bound %d", held, addrShards*addrShardMax)
	}
}
