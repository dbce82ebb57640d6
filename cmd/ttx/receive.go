package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/ttxuri"
	"github.com/torrenttx/ttx/internal/web"
)

const receiveUsage = `Usage: ttx receive [flags]

Prints a payment request for the running node's wallet: a ttx: URI with
your address and, if given, the amount and memo you ask for, e.g.
ttx:ttx1...?amount=1.5&memo=invoice%2042. The payer pastes it into
ttx send or the web wallet's send form, or scans its QR code, which is
drawn below it on a terminal (--qr draws it anywhere).

Example:
  ttx receive --amount 1.5 --memo "invoice 42"
`

func runReceive(e *env, args []string) error {
	fs := newFlagSet("receive")
	cf := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON: uri, address, amount, memo")
	amount := fs.String("amount", "", "amount to ask for in TTX, e.g. 1.5 (default: the payer chooses)")
	memo := fs.String("memo", "", "memo the payment should carry (public, printable ASCII)")
	qr := fs.Bool("qr", false, "draw the QR code even when stdout is not a terminal")
	if help, err := e.parse(fs, args, receiveUsage, 0); help || err != nil {
		return err
	}
	var amt dag.Amount
	if *amount != "" {
		var err error
		if amt, err = parseAmountFlag(*amount); err != nil {
			return err
		}
		if amt == 0 {
			return errors.New("amount is zero: leave --amount out to let the payer choose")
		}
	}
	if err := ttxuri.CheckMemo(*memo); err != nil {
		return err
	}
	c, err := cf.client(e, false)
	if err != nil {
		return err
	}
	a, err := c.Address(e.ctx)
	if err != nil {
		return err
	}
	r := &ttxuri.Request{Address: a.Address, Amount: amt, Memo: *memo}
	uri := r.String()
	if *asJSON {
		v := struct {
			URI     string `json:"uri"`
			Address string `json:"address"`
			Amount  string `json:"amount,omitempty"`
			Memo    string `json:"memo,omitempty"`
		}{URI: uri, Address: r.Address, Memo: r.Memo}
		if amt != 0 {
			v.Amount = amt.String()
		}
		return e.printJSON(v)
	}
	fmt.Fprintln(e.stdout, uri)
	if f, ok := e.stdout.(*os.File); !*qr && !(ok && isTerminal(f)) {
		return nil
	}
	code, err := web.TerminalQR(uri)
	if errors.Is(err, web.ErrQRTooLong) {
		fmt.Fprintln(e.stderr, "(no QR code: the request is too long for one; a shorter memo makes it fit)")
		return nil
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(e.stdout, "\n"+code)
	return err
}
