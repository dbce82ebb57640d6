package dag

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// readTx parses raw into tx if raw is a canonical tx.json: byte for byte
// what Encode returns for the Tx it holds, restricted to printable ASCII
// with only the \" and \\ escapes (see Tx). It reads that one layout
// directly instead of decoding any JSON and comparing a re-encoding:
//
//	{"v":INT[,"genesis":PARAMS][,"from":STR][,"prev":[STR,...]],"out":OUTS,
//	 "burn":UINT[,"memo":STR],"time":INT[,"nonce":UINT][,"sig":STR]}
//
// where the optional fields are present exactly when they are not empty
// (the omitempty fields of Tx), OUTS is null, [] or [{"to":STR,"amount":UINT},...],
// PARAMS is {"name":STR,"prefix":STR,"burn_per_byte":UINT,"pow_bits":UINT,
// "max_prev":INT,"max_out":INT,"max_memo":INT}, and numbers are decimal
// integers without leading zeros, "-0" or a fraction that fit their field.
// Errors are RuleErrors with code ErrMalformed that say where raw leaves
// the layout and what was expected there.
func readTx(raw []byte, tx *Tx) error {
	// One copy of raw holds every string field: they are substrings of
	// it, or built anew when they contain an escape.
	r := txReader{s: string(raw)}
	if err := r.tx(tx); err != nil {
		return explainMalformed(raw, err)
	}
	return nil
}

// checkBytes reports the first byte of raw outside printable ASCII, or a
// backslash that does not start \" or \\. Outside strings a backslash is bad
// JSON anyway. Escapes such as \n, \u0000 or \u2028 would put other
// characters into a memo.
func checkBytes(raw []byte) error {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c > 0x7e {
			return ruleError(ErrMalformed, "byte %d is 0x%02x: only printable ASCII is allowed", i, c)
		}
		if c == '\\' {
			if i+1 == len(raw) || (raw[i+1] != '"' && raw[i+1] != '\\') {
				return ruleError(ErrMalformed, `byte %d: strings may escape only '"' and '\'`, i)
			}
			i++
		}
	}
	return nil
}

// explainMalformed turns a failure of the reader into the RuleError that
// Decode returns. It runs only on rejected input, so it may look again:
// a byte that tx.json never holds is reported as such, and otherwise the
// error says whether raw is not JSON at all or JSON in another form.
func explainMalformed(raw []byte, err error) error {
	if err := checkBytes(raw); err != nil {
		return err
	}
	e, ok := err.(*readError)
	if !ok {
		return ruleError(ErrMalformed, "bad tx.json: %v", err)
	}
	found := "the end"
	if e.at < len(raw) {
		const show = 16
		found = strconv.Quote(string(raw[e.at:min(len(raw), e.at+show)]))
		if len(raw)-e.at > show {
			found = found[:len(found)-1] + `..."`
		}
	}
	kind := "bad tx.json"
	if json.Valid(raw) {
		kind = "not canonical tx.json"
	}
	return ruleError(ErrMalformed, "%s at byte %d: %s, found %s", kind, e.at, e.msg, found)
}

// readError is where and why txReader stopped.
type readError struct {
	at  int
	msg string
}

func (e *readError) Error() string { return fmt.Sprintf("byte %d: %s", e.at, e.msg) }

// txReader reads the canonical tx.json layout from s, starting at s[i].
type txReader struct {
	s string
	i int
}

func (r *txReader) fail(at int, format string, args ...any) error {
	return &readError{at: at, msg: fmt.Sprintf(format, args...)}
}

// lit consumes tok if s continues with it.
func (r *txReader) lit(tok string) bool {
	if strings.HasPrefix(r.s[r.i:], tok) {
		r.i += len(tok)
		return true
	}
	return false
}

// want consumes tok, which s must continue with.
func (r *txReader) want(tok string) error {
	if !r.lit(tok) {
		return r.fail(r.i, "want %#q", tok)
	}
	return nil
}

// str reads a string: printable ASCII in which only '"' and '\' are
// escaped, as \" and \\.
func (r *txReader) str(field string) (string, error) {
	if r.i == len(r.s) || r.s[r.i] != '"' {
		return "", r.fail(r.i, "want a string for %s", field)
	}
	start := r.i + 1
	if end := strings.IndexByte(r.s[start:], '"'); end >= 0 && plainASCII(r.s[start:start+end]) {
		r.i = start + end + 1
		return r.s[start : start+end], nil
	}
	escaped := false
	for j := start; j < len(r.s); j++ {
		switch c := r.s[j]; {
		case c == '"':
			r.i = j + 1
			if escaped {
				return unescape(r.s[start:j]), nil
			}
			return r.s[start:j], nil
		case c == '\\' && j+1 < len(r.s) && (r.s[j+1] == '"' || r.s[j+1] == '\\'):
			escaped = true
			j++
		case c == '\\' || c < 0x20 || c > 0x7e:
			// explainMalformed reports it in checkBytes's words.
			return "", r.fail(j, "a byte checkBytes rejects")
		}
	}
	return "", r.fail(r.i, "unterminated string for %s", field)
}

// plainASCII reports whether s is printable ASCII without '\', 8 bytes at
// a time: a byte is below 0x20 if subtracting 0x20 borrows into its top
// bit, above 0x7e if adding 1 to its low 7 bits carries into it or the
// top bit is set, and '\' if XOR with it leaves zero.
func plainASCII(s string) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	for ; len(s) >= 8; s = s[8:] {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		y := x ^ '\\'*ones
		if ((x-0x20*ones)&^x|(x&^tops+ones)|x|(y-ones)&^y)&tops != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\' {
			return false
		}
	}
	return true
}

// unescape removes the backslash of each \" and \\ in s.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// optStr reads the string of an omitempty field, which is not empty.
func (r *txReader) optStr(field string) (string, error) {
	at := r.i
	s, err := r.str(field)
	if err == nil && s == "" {
		return "", r.fail(at, "an empty %s must be omitted", field)
	}
	return s, err
}

// uint reads a decimal of at most max without a sign or leading zeros.
func (r *txReader) uint(field string, max uint64) (uint64, error) {
	start := r.i
	j := start
	var v uint64
	for ; j < len(r.s) && '0' <= r.s[j] && r.s[j] <= '9'; j++ {
		d := uint64(r.s[j] - '0')
		if v > (max-d)/10 {
			return 0, r.fail(start, "%s is above %d", field, max)
		}
		v = v*10 + d
	}
	switch {
	case j == start:
		return 0, r.fail(start, "want a number for %s", field)
	case r.s[start] == '0' && j > start+1:
		return 0, r.fail(start, "%s has a leading zero", field)
	case j < len(r.s) && (r.s[j] == '.' || r.s[j] == 'e' || r.s[j] == 'E'):
		return 0, r.fail(start, "%s must be an integer without fraction or exponent", field)
	}
	r.i = j
	return v, nil
}

// int reads a decimal that fits a signed integer of the given bit size,
// with an optional minus but no leading zeros or "-0".
func (r *txReader) int(field string, bitSize int) (int64, error) {
	start := r.i
	limit := uint64(1)<<(bitSize-1) - 1
	neg := r.lit("-")
	if neg {
		limit++
	}
	v, err := r.uint(field, limit)
	if err != nil {
		return 0, err
	}
	if neg {
		if v == 0 {
			return 0, r.fail(start, "%s is -0", field)
		}
		return -int64(v), nil // -int64(1<<63) wraps to math.MinInt64, as wanted
	}
	return int64(v), nil
}

// tx reads a whole tx.json.
func (r *txReader) tx(tx *Tx) error {
	if err := r.want(`{"v":`); err != nil {
		return err
	}
	v, err := r.int("v", strconv.IntSize)
	if err != nil {
		return err
	}
	tx.Version = int(v)
	if r.lit(`,"genesis":`) {
		if tx.Genesis, err = r.params(); err != nil {
			return err
		}
	}
	if r.lit(`,"from":`) {
		if tx.From, err = r.optStr("from"); err != nil {
			return err
		}
	}
	if r.lit(`,"prev":`) {
		if tx.Prev, err = r.prev(); err != nil {
			return err
		}
	}
	if err := r.want(`,"out":`); err != nil {
		return err
	}
	if tx.Out, err = r.outs(); err != nil {
		return err
	}
	if err := r.want(`,"burn":`); err != nil {
		return err
	}
	burn, err := r.uint("burn", uint64(MaxAmount))
	if err != nil {
		return err
	}
	tx.Burn = Amount(burn)
	if r.lit(`,"memo":`) {
		if tx.Memo, err = r.optStr("memo"); err != nil {
			return err
		}
	}
	if err := r.want(`,"time":`); err != nil {
		return err
	}
	if tx.Time, err = r.int("time", 64); err != nil {
		return err
	}
	if r.lit(`,"nonce":`) {
		at := r.i
		if tx.Nonce, err = r.uint("nonce", 1<<64-1); err != nil {
			return err
		}
		if tx.Nonce == 0 {
			return r.fail(at, "a zero nonce must be omitted")
		}
	}
	if r.lit(`,"sig":`) {
		if tx.Sig, err = r.optStr("sig"); err != nil {
			return err
		}
	}
	if err := r.want("}"); err != nil {
		return err
	}
	if r.i != len(r.s) {
		return r.fail(r.i, "data after the object")
	}
	return nil
}

// prev reads the non-empty array of prev.
func (r *txReader) prev() ([]string, error) {
	if err := r.want("["); err != nil {
		return nil, err
	}
	if r.i < len(r.s) && r.s[r.i] == ']' {
		return nil, r.fail(r.i-1, "an empty prev must be omitted")
	}
	var prev []string
	for {
		s, err := r.str("prev")
		if err != nil {
			return nil, err
		}
		prev = append(prev, s)
		if !r.lit(",") {
			return prev, r.want("]")
		}
	}
}

// outs reads out: null, [] or an array of outputs.
func (r *txReader) outs() ([]Output, error) {
	if r.lit("null") {
		return nil, nil
	}
	if err := r.want("["); err != nil {
		return nil, err
	}
	if r.lit("]") {
		return []Output{}, nil
	}
	// Each output starts with {"to": (a memo may hold more of them, which
	// only wastes capacity).
	out := make([]Output, 0, strings.Count(r.s[r.i:], `{"to":`))
	for {
		if err := r.want(`{"to":`); err != nil {
			return nil, err
		}
		to, err := r.str("to")
		if err != nil {
			return nil, err
		}
		if err := r.want(`,"amount":`); err != nil {
			return nil, err
		}
		amount, err := r.uint("amount", uint64(MaxAmount))
		if err != nil {
			return nil, err
		}
		out = append(out, Output{To: to, Amount: Amount(amount)})
		if err := r.want("}"); err != nil {
			return nil, err
		}
		if !r.lit(",") {
			return out, r.want("]")
		}
	}
}

// params reads the genesis parameters.
func (r *txReader) params() (*Params, error) {
	pr := new(Params)
	var err error
	if err = r.want(`{"name":`); err != nil {
		return nil, err
	}
	if pr.Name, err = r.str("name"); err != nil {
		return nil, err
	}
	if err = r.want(`,"prefix":`); err != nil {
		return nil, err
	}
	if pr.Prefix, err = r.str("prefix"); err != nil {
		return nil, err
	}
	if err = r.want(`,"burn_per_byte":`); err != nil {
		return nil, err
	}
	bpb, err := r.uint("burn_per_byte", uint64(MaxAmount))
	if err != nil {
		return nil, err
	}
	pr.BurnPerByte = Amount(bpb)
	if err = r.want(`,"pow_bits":`); err != nil {
		return nil, err
	}
	pow, err := r.uint("pow_bits", 1<<8-1)
	if err != nil {
		return nil, err
	}
	pr.PowBits = uint8(pow)
	for _, f := range []struct {
		key string
		v   *int
	}{{"max_prev", &pr.MaxPrev}, {"max_out", &pr.MaxOut}, {"max_memo", &pr.MaxMemo}} {
		if err = r.want(`,"` + f.key + `":`); err != nil {
			return nil, err
		}
		n, err := r.int(f.key, strconv.IntSize)
		if err != nil {
			return nil, err
		}
		*f.v = int(n)
	}
	if err = r.want("}"); err != nil {
		return nil, err
	}
	return pr, nil
}
