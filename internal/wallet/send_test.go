package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
)

var testNow = time.Unix(1_790_000_100, 0)

// coin returns a coin of amount at output i of a made-up transaction.
func coin(i int, amount dag.Amount) Coin {
	var id dag.TxID
	id[0], id[1] = byte(i>>8), byte(i)
	return Coin{OutPoint: dag.OutPoint{TxID: id, Index: uint32(i % 3)}, Amount: amount}
}

func coins(amounts ...dag.Amount) []Coin {
	cs := make([]Coin, len(amounts))
	for i, a := range amounts {
		cs[i] = coin(i, a)
	}
	return cs
}

// params returns default-like limits with the given burn and work.
func params(burnPerByte dag.Amount, powBits uint8) dag.Params {
	return dag.Params{BurnPerByte: burnPerByte, PowBits: powBits, MaxPrev: 100, MaxOut: 100, MaxMemo: 64}
}

// checkSend verifies a built send as a node would, plus the wallet's own
// promises: payment first, change to the sender, exact balance, spent coins
// in prev order, and a burn at the minimum (see BuildSend for the bounded
// exceptions).
func checkSend(t *testing.T, net *dag.Network, key *Key, utxos []Coin, to dag.PubKey, amount dag.Amount, raw []byte, spent []dag.OutPoint) *dag.Parsed {
	t.Helper()
	p, err := dag.Decode(raw)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if err := net.CheckSanity(p); err != nil {
		t.Fatalf("CheckSanity: %v", err)
	}
	if p.From != key.PubKey() {
		t.Errorf("signed by %x, want the key", p.From)
	}
	if !slices.Equal(p.Prev, spent) {
		t.Errorf("prev %v != spent %v", p.Prev, spent)
	}
	byOP := make(map[dag.OutPoint]dag.Amount)
	for _, c := range utxos {
		byOP[c.OutPoint] = c.Amount
	}
	var in dag.Amount
	for _, op := range spent {
		a, ok := byOP[op]
		if !ok {
			t.Fatalf("spent %s is not an offered coin", op)
		}
		in += a
	}
	if in != p.Total() {
		t.Errorf("unbalanced: prev %d, out+burn %d", in, p.Total())
	}
	if p.Out[0].Owner != to || p.Out[0].Amount != amount {
		t.Errorf("first output = %x %d, want %x %d", p.Out[0].Owner, p.Out[0].Amount, to, amount)
	}
	switch len(p.Out) {
	case 1:
	case 2:
		if p.Out[1].Owner != key.PubKey() {
			t.Errorf("change goes to %x, want the sender", p.Out[1].Owner)
		}
	default:
		t.Errorf("%d outputs, want 1 or 2", len(p.Out))
	}
	min, err := net.MinBurn(len(raw))
	if err != nil {
		t.Fatal(err)
	}
	bpb := net.Params.BurnPerByte
	slack := dag.Amount(0)
	if len(p.Out) == 2 {
		slack = bpb * 20 // the change lost decimal digits as the burn grew
	} else {
		slack = bpb * 100 // the leftover could not pay for a change output
	}
	if net.Params.PowBits > 0 {
		slack += bpb * dag.Amount(nonceReserve)
	}
	if p.Tx.Burn < min || p.Tx.Burn > min+slack {
		t.Errorf("burn %d, want %d (size %d x %d) up to %d more", p.Tx.Burn, min, len(raw), bpb, slack)
	}
	return p
}

func TestBuildSend(t *testing.T) {
	key, to := testKey(t, 1), testKey(t, 2).PubKey()
	tests := []struct {
		name       string
		params     dag.Params
		coins      []Coin
		amount     dag.Amount
		memo       string
		wantSpent  []int // indexes into coins, in prev order
		wantChange dag.Amount
		exactBurn  bool // burn == MinBurn(size)
	}{
		{"exact coin, feeless", params(0, 0), coins(5, 7), 7, "", []int{1}, 0, true},
		{"smallest single coin that suffices", params(0, 0), coins(5, 500, 50, 40), 45, "", []int{2}, 5, true},
		{"largest first", params(0, 0), coins(10, 30, 20, 1), 45, "", []int{1, 2}, 5, true},
		{"all coins", params(0, 0), coins(1, 2, 3), 6, "", []int{2, 1, 0}, 0, true},
		{"ties break by outpoint", params(0, 0), coins(9, 9, 9), 10, "", []int{0, 1}, 8, true},
		{"memo", params(0, 0), coins(100), 1, `pizza "42" & <beer> \o/`, []int{0}, 99, true},
		{"burn with change", params(3, 0), coins(10 * dag.Unit), dag.Unit, "thanks", []int{0}, 0, true},
		{"burn picks a bigger coin", params(1, 0), coins(1000, 500_000), 999, "", []int{1}, 0, true},
		{"proof of work", params(0, 8), coins(1000), 300, "", []int{0}, 700, true},
		{"proof of work and burn", params(2, 6), coins(50_000), 300, "", []int{0}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net := testNet(t, tc.params)
			raw, spent, err := BuildSend(context.Background(), net, key, tc.coins, to, tc.amount, tc.memo, testNow)
			if err != nil {
				t.Fatalf("BuildSend: %v", err)
			}
			p := checkSend(t, net, key, tc.coins, to, tc.amount, raw, spent)
			var want []dag.OutPoint
			for _, i := range tc.wantSpent {
				want = append(want, tc.coins[i].OutPoint)
			}
			if !slices.Equal(spent, want) {
				t.Errorf("spent %v, want %v", spent, want)
			}
			if tc.wantChange != 0 {
				if len(p.Out) != 2 || p.Out[1].Amount != tc.wantChange {
					t.Errorf("outputs %+v, want change %d", p.Out, tc.wantChange)
				}
			}
			if tc.params.BurnPerByte == 0 && p.Tx.Burn != 0 {
				t.Errorf("burn %d on a feeless network", p.Tx.Burn)
			}
			if min, _ := net.MinBurn(len(raw)); tc.exactBurn && p.Tx.Burn != min {
				t.Errorf("burn %d, want exactly %d", p.Tx.Burn, min)
			}
			if p.Tx.Memo != tc.memo || p.Tx.Time != testNow.Unix() {
				t.Errorf("memo, time = %q, %d; want %q, %d", p.Tx.Memo, p.Tx.Time, tc.memo, testNow.Unix())
			}
		})
	}
}

// TestBuildSendLeftoverBurned: when what is left after the payment cannot
// pay for a change output's bytes, it is burned rather than failing.
func TestBuildSendLeftoverBurned(t *testing.T) {
	net := testNet(t, params(5, 0))
	key, to := testKey(t, 1), testKey(t, 2).PubKey()
	// Find the exact cost with no change, then offer one unit more.
	raw, _, err := BuildSend(context.Background(), net, key, coins(1_000_000), to, 1000, "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := dag.Decode(raw)
	sizeNoChange := len(raw) - len(`,{"to":"`+key.Address(net)+`","amount":`) - len(fmt.Sprint(uint64(p.Out[1].Amount))) - 1
	burn, _ := net.MinBurn(sizeNoChange)
	utxos := coins(1000 + burn + 1)
	raw, spent, err := BuildSend(context.Background(), net, key, utxos, to, 1000, "", testNow)
	if err != nil {
		t.Fatalf("BuildSend: %v", err)
	}
	p = checkSend(t, net, key, utxos, to, 1000, raw, spent)
	if len(p.Out) != 1 || p.Tx.Burn != burn+1 {
		t.Errorf("outputs %d, burn %d; want 1 output and burn %d", len(p.Out), p.Tx.Burn, burn+1)
	}
}

func TestBuildSendErrors(t *testing.T) {
	key, to := testKey(t, 1), testKey(t, 2).PubKey()
	tests := []struct {
		name     string
		params   dag.Params
		coins    []Coin
		amount   dag.Amount
		memo     string
		now      time.Time
		want     error
		have     dag.Amount // for ErrInsufficientFunds
		needMore bool       // need > amount (a burn is due)
	}{
		{"zero amount", params(0, 0), coins(10), 0, "", testNow, ErrZeroAmount, 0, false},
		{"memo too long", params(0, 0), coins(10), 1, strings.Repeat("m", 65), testNow, ErrMemoTooLong, 0, false},
		{"memo not ascii", params(0, 0), coins(10), 1, "café", testNow, ErrBadMemo, 0, false},
		{"memo newline", params(0, 0), coins(10), 1, "a\nb", testNow, ErrBadMemo, 0, false},
		{"no coins", params(0, 0), nil, 1, "", testNow, ErrInsufficientFunds, 0, false},
		{"not enough", params(0, 0), coins(3, 4), 8, "", testNow, ErrInsufficientFunds, 7, false},
		{"zero coins ignored", params(0, 0), coins(0, 0), 1, "", testNow, ErrInsufficientFunds, 0, false},
		{"enough but not for the burn", params(1, 0), coins(100, 100), 150, "", testNow, ErrInsufficientFunds, 200, true},
		{"too many inputs", dag.Params{MaxPrev: 2, MaxOut: 2}, coins(10, 10, 10), 25, "", testNow, ErrTooManyInputs, 0, false},
		{"over the size limit", dag.Params{MaxPrev: 1000, MaxOut: 2}, coins(slices.Repeat([]dag.Amount{1}, 300)...), 250, "", testNow, ErrTooManyInputs, 0, false},
		{"over the size limit, funds short", dag.Params{MaxPrev: 1000, MaxOut: 2, BurnPerByte: 1}, coins(slices.Repeat([]dag.Amount{1}, 300)...), 400, "", testNow, ErrInsufficientFunds, 300, true},
		{"max_prev short, funds short", dag.Params{MaxPrev: 2, MaxOut: 2}, coins(10, 10, 10), 35, "", testNow, ErrInsufficientFunds, 30, false},
		{"time zero", params(0, 0), coins(10), 1, "", time.Unix(0, 0), nil, 0, false},
		{"one output only", dag.Params{MaxPrev: 2, MaxOut: 1}, coins(10), 1, "", testNow, nil, 0, false},
		{"duplicate coin", params(0, 0), append(coins(10), coin(0, 10)), 1, "", testNow, nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net := testNet(t, tc.params)
			raw, spent, err := BuildSend(context.Background(), net, key, tc.coins, to, tc.amount, tc.memo, tc.now)
			if err == nil || raw != nil || spent != nil {
				t.Fatalf("BuildSend = %d bytes, %v, %v; want only an error", len(raw), spent, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ife *InsufficientFundsError
			if errors.As(err, &ife) != (tc.want == ErrInsufficientFunds) {
				t.Fatalf("err = %v: InsufficientFundsError mismatch", err)
			}
			if ife == nil {
				return
			}
			if ife.Have != tc.have || ife.Need <= ife.Have || (ife.Need > tc.amount) != tc.needMore {
				t.Errorf("have %d need %d; want have %d, need above have, burn due %v", ife.Have, ife.Need, tc.have, tc.needMore)
			}
			if !strings.Contains(err.Error(), "have "+ife.Have.String()) || !strings.Contains(err.Error(), "need "+ife.Need.String()) {
				t.Errorf("message %q does not say have and need", err)
			}
		})
	}
}

// TestInsufficientNeedIsEnough checks that the amount an
// InsufficientFundsError asks for is truly enough.
func TestInsufficientNeedIsEnough(t *testing.T) {
	key, to := testKey(t, 1), testKey(t, 2).PubKey()
	for _, bpb := range []dag.Amount{0, 1, 3, 1000} {
		net := testNet(t, params(bpb, 0))
		_, _, err := BuildSend(context.Background(), net, key, coins(10), to, 500, "memo", testNow)
		var ife *InsufficientFundsError
		if !errors.As(err, &ife) {
			t.Fatalf("burn %d: err = %v, want InsufficientFundsError", bpb, err)
		}
		utxos := coins(ife.Need)
		raw, spent, err := BuildSend(context.Background(), net, key, utxos, to, 500, "memo", testNow)
		if err != nil {
			t.Fatalf("burn %d: a coin of the needed %d: %v", bpb, ife.Need, err)
		}
		checkSend(t, net, key, utxos, to, 500, raw, spent)
	}
}

func TestBuildSendDeterministic(t *testing.T) {
	net := testNet(t, params(2, 0))
	key, to := testKey(t, 1), testKey(t, 2).PubKey()
	utxos := coins(5000, 17000, 17000, 300_000, 41000, 2000, 1_000_000, 17000)
	want, _, err := BuildSend(context.Background(), net, key, utxos, to, 1_200_000, "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		r.Shuffle(len(utxos), func(i, j int) { utxos[i], utxos[j] = utxos[j], utxos[i] })
		got, _, err := BuildSend(context.Background(), net, key, utxos, to, 1_200_000, "", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("coin order changed the tx:\n%s\n%s", got, want)
		}
	}
}

func TestBuildSendCanceled(t *testing.T) {
	net := testNet(t, params(0, 32))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := BuildSend(ctx, net, testKey(t, 1), coins(10), testKey(t, 2).PubKey(), 5, "", testNow)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestBuildSendProperty builds sends from random coin sets on networks with
// various burns and checks every promise (checkSend), and that a send
// fails only when the coins truly cannot pay.
func TestBuildSendProperty(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 50
	}
	r := rand.New(rand.NewPCG(7, 7))
	key := testKey(t, 1)
	nets := map[dag.Amount]*dag.Network{}
	for _, bpb := range []dag.Amount{0, 1, 7, 1000, 123_456} {
		nets[bpb] = testNet(t, params(bpb, 0))
	}
	var ok, exact, failed int
	for i := range n {
		bpb := []dag.Amount{0, 1, 7, 1000, 123_456}[r.IntN(5)]
		net := nets[bpb]
		// Amounts of mixed magnitudes, so digit counts vary.
		rnd := func() dag.Amount {
			return dag.Amount(r.Uint64N(uint64(pow10(r.IntN(12)))) + 1)
		}
		utxos := make([]Coin, r.IntN(30))
		var total dag.Amount
		for j := range utxos {
			utxos[j] = coin(i*64+j, rnd())
			total += utxos[j].Amount
		}
		amount := rnd()
		to := testKey(t, uint64(2+r.IntN(3))).PubKey()
		raw, spent, err := BuildSend(context.Background(), net, key, utxos, to, amount, "", testNow)
		var ife *InsufficientFundsError
		switch {
		case err == nil:
			ok++
			p := checkSend(t, net, key, utxos, to, amount, raw, spent)
			if m, _ := net.MinBurn(len(raw)); p.Tx.Burn == m {
				exact++
			}
		case errors.As(err, &ife):
			failed++
			if ife.Have != total || ife.Need <= total || ife.Need < amount {
				t.Fatalf("case %d: have %d need %d, coins total %d, amount %d", i, ife.Have, ife.Need, total, amount)
			}
			if bpb == 0 && total >= amount {
				t.Fatalf("case %d: feeless send of %d from %d failed: %v", i, amount, total, err)
			}
		default:
			t.Fatalf("case %d: %v", i, err)
		}
	}
	t.Logf("%d sends built (%d with the exact minimum burn), %d insufficient", ok, exact, failed)
	if ok < n/4 || failed == 0 {
		t.Errorf("poor coverage: %d built, %d failed", ok, failed)
	}
}

func pow10(n int) dag.Amount {
	p := dag.Amount(1)
	for range n {
		p *= 10
	}
	return p
}

func BenchmarkBuildSend(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("coins=%d", n), func(b *testing.B) {
			net := testNet(b, params(1, 0))
			key, to := testKey(b, 1), testKey(b, 2).PubKey()
			utxos := make([]Coin, n)
			for i := range utxos {
				utxos[i] = coin(i, dag.Amount(1000+i))
			}
			amount := dag.Amount(500 * min(n, 50))
			b.ResetTimer()
			for range b.N {
				if _, _, err := BuildSend(context.Background(), net, key, utxos, to, amount, "", testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
