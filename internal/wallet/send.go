package wallet

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/torrenttx/ttx/dag"
)

// Coin is an unspent output the sending key owns, offered to BuildSend.
type Coin struct {
	OutPoint dag.OutPoint
	Amount   dag.Amount
}

// nonceReserve is the room kept for `,"nonce":<up to 20 digits>` when the
// network asks for proof of work: the nonce is found only while signing,
// after the burn is fixed.
const nonceReserve = len(`,"nonce":`) + 20

// BuildSend builds and signs a transaction on net that pays amount to `to`
// from coins owned by key, and returns its canonical bytes and the coins it
// spends (in prev order).
//
// Coin selection is deterministic and uses as few inputs as possible: the
// smallest single coin that covers amount plus burn if there is one, else
// the largest coins first. Outputs are the payment first, then the change
// to key's own address (none if nothing is left). The burn is the network
// minimum for the final size, found by iterating burn = MinBurn(size) until
// it is stable (the size depends on the burn's and the change's digits). It
// can exceed the minimum only where no exact value exists: by a few bytes'
// worth where the change loses a decimal digit, by the leftover when the
// leftover cannot pay for a change output (it is burned), and on networks
// with proof of work, by the room kept for the nonce (up to 29 bytes). So
// sum(prev) = sum(out) + burn always holds exactly.
//
// Coins of amount 0 are ignored; a coin listed twice is an error. Signing
// grinds proof of work if the network asks for it and stops when ctx is
// done. now is the transaction's time (Unix seconds).
//
// Errors: ErrZeroAmount, ErrMemoTooLong, ErrBadMemo, *InsufficientFundsError
// (wraps ErrInsufficientFunds, says have and need including the burn), and
// ErrTooManyInputs when the coins hold enough but more of them than one
// transaction may list (max_prev, or the 16 KiB size limit).
func BuildSend(ctx context.Context, net *dag.Network, key *Key, utxos []Coin, to dag.PubKey, amount dag.Amount, memo string, now time.Time) (raw []byte, spent []dag.OutPoint, err error) {
	pr := &net.Params
	switch {
	case amount == 0:
		return nil, nil, fmt.Errorf("build send: %w", ErrZeroAmount)
	case len(memo) > pr.MaxMemo:
		return nil, nil, fmt.Errorf("build send: %w: %d bytes, network max_memo is %d", ErrMemoTooLong, len(memo), pr.MaxMemo)
	case !dag.IsPrintable(memo):
		return nil, nil, fmt.Errorf("build send: %w", ErrBadMemo)
	case now.Unix() <= 0 || now.Unix() >= 1<<40:
		return nil, nil, fmt.Errorf("build send: time %v is out of range", now)
	case pr.MaxOut < 2:
		return nil, nil, fmt.Errorf("build send: network %q allows one output per transaction, leaving no room for change", pr.Name)
	}
	coins, total, err := sortCoins(utxos)
	if err != nil {
		return nil, nil, fmt.Errorf("build send: %w", err)
	}
	b := &builder{
		net:    net,
		amount: amount,
		change: key.Address(net),
		tx: dag.Tx{
			Version: dag.TxVersion,
			From:    key.Address(net),
			Out:     []dag.Output{{To: net.Address(to), Amount: amount}},
			Memo:    memo,
			Time:    now.Unix(),
			Sig:     strings.Repeat("0", 2*ed25519.SignatureSize),
		},
	}
	if pr.PowBits > 0 {
		b.reserve = nonceReserve
	}
	tx, sel, err := b.selectCoins(coins, total)
	if err != nil {
		return nil, nil, fmt.Errorf("build send: %w", err)
	}
	raw, err = net.Sign(ctx, tx, key.PrivateKey())
	if err != nil {
		return nil, nil, fmt.Errorf("build send: %w", err)
	}
	if err := check(raw, sel); err != nil {
		return nil, nil, fmt.Errorf("build send: built an invalid transaction (a bug): %w", err)
	}
	spent = make([]dag.OutPoint, len(sel))
	for i, c := range sel {
		spent[i] = c.OutPoint
	}
	return raw, spent, nil
}

// check holds a built transaction to the wallet's own promise: it decodes,
// and it spends exactly the selected coins. The network's rules (limits,
// burn, proof of work, the signature) are the ledger's: the node's Graph
// checks them when it adds the send, and the tests here check every built
// send against them, so a send is not verified twice on its way.
func check(raw []byte, sel []Coin) error {
	p, err := dag.Decode(raw)
	if err != nil {
		return err
	}
	var in dag.Amount
	for _, c := range sel {
		in += c.Amount // sortCoins checked that the total fits
	}
	if in != p.Total() {
		return fmt.Errorf("inputs %d != outputs plus burn %d", in, p.Total())
	}
	return nil
}

// sortCoins returns the non-zero coins, largest first (ties by outpoint),
// and their total.
func sortCoins(utxos []Coin) ([]Coin, dag.Amount, error) {
	coins := make([]Coin, 0, len(utxos))
	seen := make(map[dag.OutPoint]struct{}, len(utxos))
	var total dag.Amount
	for _, c := range utxos {
		if c.Amount == 0 {
			continue
		}
		if _, dup := seen[c.OutPoint]; dup {
			return nil, 0, fmt.Errorf("coin %s is listed twice", c.OutPoint)
		}
		seen[c.OutPoint] = struct{}{}
		var err error
		if total, err = total.Add(c.Amount); err != nil {
			return nil, 0, fmt.Errorf("sum coins: %w", err)
		}
		coins = append(coins, c)
	}
	slices.SortFunc(coins, func(a, b Coin) int {
		if c := cmp.Compare(b.Amount, a.Amount); c != 0 {
			return c
		}
		if c := bytes.Compare(a.OutPoint.TxID[:], b.OutPoint.TxID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.OutPoint.Index, b.OutPoint.Index)
	})
	return coins, total, nil
}

// builder plans one send: the template tx carries everything but prev,
// change and burn, with a placeholder signature of the final length.
type builder struct {
	net     *dag.Network
	tx      dag.Tx
	change  string
	amount  dag.Amount
	reserve int // bytes kept for the nonce
}

// selectCoins picks the coins (sorted largest first) and returns the
// unsigned transaction that spends them.
func (b *builder) selectCoins(coins []Coin, total dag.Amount) (*dag.Tx, []Coin, error) {
	// The smallest single coin that pays for everything.
	for i := len(coins) - 1; i >= 0; i-- {
		tx, _, err := b.plan(coins[i:i+1], coins[i].Amount)
		if err != nil {
			return nil, nil, err
		}
		if tx != nil {
			return tx, coins[i : i+1], nil
		}
	}
	// Else the fewest coins: largest first.
	limit := min(len(coins), b.net.Params.MaxPrev)
	var sum dag.Amount
	for k := 1; k <= limit; k++ {
		sum += coins[k-1].Amount // sortCoins checked that the total fits
		if k == 1 || sum < b.amount {
			continue
		}
		tx, tooBig, err := b.plan(coins[:k], sum)
		if err != nil {
			return nil, nil, err
		}
		if tx != nil {
			return tx, coins[:k], nil
		}
		if tooBig {
			break // more coins only make it bigger
		}
	}
	top := b.fitting(coins[:limit])
	need, err := b.need(top)
	if err != nil {
		return nil, nil, err
	}
	if len(top) < len(coins) && total >= need {
		return nil, nil, fmt.Errorf("%w: paying %s TTX needs more than the %d largest coins (limit: max_prev %d and %d bytes per transaction); send less or to yourself first to merge coins",
			ErrTooManyInputs, b.amount, len(top), b.net.Params.MaxPrev, dag.MaxTxSize)
	}
	return nil, nil, &InsufficientFundsError{Have: total, Need: need}
}

// plan returns the transaction that spends coins (holding sum) with the
// least burn it finds, or nil if they cannot pay amount plus burn. tooBig
// reports that the transaction would exceed MaxTxSize.
func (b *builder) plan(coins []Coin, sum dag.Amount) (tx *dag.Tx, tooBig bool, err error) {
	if sum < b.amount {
		return nil, false, nil
	}
	left := sum - b.amount
	// The burn only grows, so this ends; it stops at the first burn that
	// covers its own size.
	var burn dag.Amount
	for burn <= left {
		t := b.build(coins, left-burn, burn)
		need, tooBig, err := b.minBurn(t)
		if err != nil || tooBig {
			return nil, tooBig, err
		}
		if need <= burn {
			return t, false, nil
		}
		burn = need
	}
	// The leftover cannot pay for a change output: burn all of it.
	t := b.build(coins, 0, left)
	need, tooBig, err := b.minBurn(t)
	if err != nil || tooBig || need > left {
		return nil, tooBig, err
	}
	return t, false, nil
}

// fitting returns the longest prefix of coins that can be spent by one
// transaction of at most MaxTxSize bytes (with room for any burn).
func (b *builder) fitting(coins []Coin) []Coin {
	n := sort.Search(len(coins), func(k int) bool {
		_, tooBig, _ := b.minBurn(b.build(coins[:k+1], 0, dag.MaxAmount))
		return tooBig
	})
	return coins[:n]
}

// need returns amount plus the burn a transaction spending all of coins
// with no change would need: more than the coins hold when plan failed.
func (b *builder) need(coins []Coin) (dag.Amount, error) {
	if len(coins) == 0 {
		coins = []Coin{{}} // size one input, as the cheapest send has
	}
	var sum dag.Amount
	for _, c := range coins {
		sum += c.Amount
	}
	var burn dag.Amount
	if sum > b.amount {
		burn = sum - b.amount
	}
	for {
		need, _, err := b.minBurn(b.build(coins, 0, burn))
		if err != nil {
			return 0, err
		}
		if need <= burn {
			return b.amount.Add(burn)
		}
		burn = need
	}
}

// build returns the template with coins as prev, change (if not 0) as
// the second output, and burn.
func (b *builder) build(coins []Coin, change, burn dag.Amount) *dag.Tx {
	t := b.tx
	t.Prev = make([]string, len(coins))
	for i, c := range coins {
		t.Prev[i] = c.OutPoint.String()
	}
	t.Out = slices.Clip(t.Out)
	if change > 0 {
		t.Out = append(t.Out, dag.Output{To: b.change, Amount: change})
	}
	t.Burn = burn
	return &t
}

// minBurn returns the least burn the network asks of t at its signed size,
// and whether t is too large to be a transaction at all.
func (b *builder) minBurn(t *dag.Tx) (dag.Amount, bool, error) {
	enc, err := dag.Encode(t)
	if err != nil {
		return 0, false, err
	}
	size := len(enc) + b.reserve
	if size > dag.MaxTxSize {
		return 0, true, nil
	}
	burn, err := b.net.MinBurn(size)
	if err != nil {
		return 0, false, fmt.Errorf("compute burn: %w", err)
	}
	return burn, false, nil
}
