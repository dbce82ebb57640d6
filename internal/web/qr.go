package web

import (
	"fmt"
	"strconv"
	"strings"
)

// A small QR code encoder (ISO/IEC 18004) for the wallet's address: byte
// mode, error correction level M, versions 1 to qrMaxVersion (up to 213
// bytes, far more than an address needs). It follows the structure of
// Project Nayuki's reference encoder: draw the function patterns, place
// the interleaved data and Reed-Solomon codewords in the zigzag order,
// then keep the mask with the lowest penalty.

// qrMaxVersion is the largest version the encoder makes.
const qrMaxVersion = 10

// qrQuiet is the light border around a drawn symbol, in modules (the
// standard asks for 4).
const qrQuiet = 4

// Level M: per version (index 1..10), the error correction codewords of
// each block and the number of blocks.
var (
	qrECCPerBlock = [qrMaxVersion + 1]int{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26}
	qrBlocks      = [qrMaxVersion + 1]int{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5}
)

// qrFormatM is level M's two format bits.
const qrFormatM = 0

// qrCode is an encoded symbol: dark[y][x] for row y, column x.
type qrCode struct {
	size int
	dark [][]bool
	fn   [][]bool // function modules, which masks leave alone
}

// encodeQR returns the QR code of data, in the smallest version that holds
// it, or ErrQRTooLong.
func encodeQR(data []byte) (*qrCode, error) {
	ver := 0
	for v := 1; v <= qrMaxVersion; v++ {
		if 4+qrCountBits(v)+8*len(data) <= 8*qrDataCodewords(v) {
			ver = v
			break
		}
	}
	if ver == 0 {
		return nil, fmt.Errorf("encode %d bytes: %w", len(data), ErrQRTooLong)
	}
	q := newQR(ver)
	q.drawFunctionPatterns(ver)
	q.drawCodewords(qrAddECC(ver, qrDataBits(ver, data)))
	best, bestPenalty := 0, -1
	for m := range 8 {
		q.applyMask(m)
		q.drawFormatBits(m)
		if p := q.penalty(); bestPenalty < 0 || p < bestPenalty {
			best, bestPenalty = m, p
		}
		q.applyMask(m) // undo: XOR twice
	}
	q.applyMask(best)
	q.drawFormatBits(best)
	return q, nil
}

func newQR(ver int) *qrCode {
	size := 4*ver + 17
	q := &qrCode{size: size, dark: make([][]bool, size), fn: make([][]bool, size)}
	for y := range size {
		q.dark[y] = make([]bool, size)
		q.fn[y] = make([]bool, size)
	}
	return q
}

// qrCountBits is the width of byte mode's character count.
func qrCountBits(ver int) int {
	if ver <= 9 {
		return 8
	}
	return 16
}

// qrRawModules is the number of modules of version ver that carry data or
// error correction, remainder bits included.
func qrRawModules(ver int) int {
	n := (16*ver+128)*ver + 64
	if ver >= 2 {
		align := ver/7 + 2
		n -= (25*align-10)*align - 55
		if ver >= 7 {
			n -= 36 // the two version blocks
		}
	}
	return n
}

// qrDataCodewords is the number of data codewords of version ver at level M.
func qrDataCodewords(ver int) int {
	return qrRawModules(ver)/8 - qrECCPerBlock[ver]*qrBlocks[ver]
}

// qrDataBits returns the data codewords: the byte mode segment, the
// terminator and the padding.
func qrDataBits(ver int, data []byte) []byte {
	var bb bitBuffer
	bb.append(0b0100, 4) // byte mode
	bb.append(uint32(len(data)), qrCountBits(ver))
	for _, b := range data {
		bb.append(uint32(b), 8)
	}
	capacity := 8 * qrDataCodewords(ver)
	bb.append(0, min(4, capacity-bb.n))
	bb.append(0, (8-bb.n%8)%8)
	for pad := uint32(0xEC); bb.n < capacity; pad ^= 0xEC ^ 0x11 {
		bb.append(pad, 8)
	}
	return bb.b
}

// bitBuffer appends bits, most significant first.
type bitBuffer struct {
	b []byte
	n int
}

func (bb *bitBuffer) append(v uint32, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if bb.n%8 == 0 {
			bb.b = append(bb.b, 0)
		}
		if v>>uint(i)&1 != 0 {
			bb.b[bb.n/8] |= 0x80 >> uint(bb.n%8)
		}
		bb.n++
	}
}

// qrAddECC splits data into blocks, appends each block's Reed-Solomon
// codewords and interleaves them.
func qrAddECC(ver int, data []byte) []byte {
	nblocks, ecc := qrBlocks[ver], qrECCPerBlock[ver]
	raw := qrRawModules(ver) / 8
	short := nblocks - raw%nblocks // blocks one data codeword shorter
	shortLen := raw/nblocks - ecc  // data codewords of a short block
	div := rsDivisor(ecc)
	var blocks, eccs [][]byte
	for i, k := 0, 0; i < nblocks; i++ {
		n := shortLen
		if i >= short {
			n++
		}
		blocks = append(blocks, data[k:k+n])
		eccs = append(eccs, rsRemainder(data[k:k+n], div))
		k += n
	}
	out := make([]byte, 0, raw)
	for i := 0; i <= shortLen; i++ {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := range ecc {
		for _, e := range eccs {
			out = append(out, e[i])
		}
	}
	return out
}

// gfMul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
func gfMul(x, y byte) byte {
	var z byte
	for i := 7; i >= 0; i-- {
		carry := z >> 7
		z <<= 1
		z ^= carry * 0x1D
		z ^= (y >> uint(i) & 1) * x
	}
	return z
}

// rsDivisor returns the generator polynomial of degree n, without its
// leading 1, highest power first.
func rsDivisor(n int) []byte {
	d := make([]byte, n)
	d[n-1] = 1
	root := byte(1)
	for range n {
		for j := range d {
			d[j] = gfMul(d[j], root)
			if j+1 < n {
				d[j] ^= d[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return d
}

// rsRemainder returns the Reed-Solomon codewords of data for divisor.
func rsRemainder(data, div []byte) []byte {
	r := make([]byte, len(div))
	for _, b := range data {
		f := b ^ r[0]
		copy(r, r[1:])
		r[len(r)-1] = 0
		for i := range r {
			r[i] ^= gfMul(div[i], f)
		}
	}
	return r
}

func (q *qrCode) set(x, y int, dark bool) {
	q.dark[y][x] = dark
	q.fn[y][x] = true
}

func (q *qrCode) drawFunctionPatterns(ver int) {
	for i := range q.size {
		q.set(6, i, i%2 == 0)
		q.set(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {q.size - 4, 3}, {3, q.size - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < q.size && y >= 0 && y < q.size {
					d := max(abs(dx), abs(dy))
					q.set(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	pos := qrAlignment(ver, q.size)
	last := len(pos) - 1
	for i, x := range pos {
		for j, y := range pos {
			if i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0 {
				continue // the finders are there
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.set(x+dx, y+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.drawFormatBits(0) // reserves the modules; redrawn with the mask
	if ver >= 7 {
		rem := ver
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := ver<<12 | rem
		for i := range 18 {
			dark := bits>>uint(i)&1 != 0
			a, b := q.size-11+i%3, i/3
			q.set(a, b, dark)
			q.set(b, a, dark)
		}
	}
}

// qrAlignment returns the centre coordinates of the alignment patterns.
func qrAlignment(ver, size int) []int {
	if ver == 1 {
		return nil
	}
	n := ver/7 + 2
	step := (ver*4 + n*2 + 1) / (n*2 - 2) * 2
	pos := make([]int, n)
	pos[0] = 6
	for i := n - 1; i >= 1; i-- {
		pos[i] = size - 7 - (n-1-i)*step
	}
	return pos
}

// qrFormatBits returns the 15 format bits of level M and mask.
func qrFormatBits(mask int) int {
	data := qrFormatM<<3 | mask
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	return (data<<10 | rem) ^ 0x5412
}

func (q *qrCode) drawFormatBits(mask int) {
	bits := qrFormatBits(mask)
	bit := func(i int) bool { return bits>>uint(i)&1 != 0 }
	for i := 0; i <= 5; i++ {
		q.set(8, i, bit(i))
	}
	q.set(8, 7, bit(6))
	q.set(8, 8, bit(7))
	q.set(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.set(14-i, 8, bit(i))
	}
	for i := range 8 {
		q.set(q.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.set(8, q.size-15+i, bit(i))
	}
	q.set(8, q.size-8, true) // the dark module
}

// drawCodewords places the codewords in the two-column zigzag, right to
// left, skipping function modules.
func (q *qrCode) drawCodewords(cw []byte) {
	i := 0
	for right := q.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5 // the vertical timing pattern
		}
		upward := (right+1)&2 == 0
		for vert := range q.size {
			for j := range 2 {
				x, y := right-j, vert
				if upward {
					y = q.size - 1 - vert
				}
				if !q.fn[y][x] && i < len(cw)*8 {
					q.dark[y][x] = cw[i/8]>>uint(7-i%8)&1 != 0
					i++
				}
			}
		}
	}
}

func (q *qrCode) applyMask(m int) {
	for y := range q.size {
		for x := range q.size {
			if q.fn[y][x] {
				continue
			}
			var inv bool
			switch m {
			case 0:
				inv = (x+y)%2 == 0
			case 1:
				inv = y%2 == 0
			case 2:
				inv = x%3 == 0
			case 3:
				inv = (x+y)%3 == 0
			case 4:
				inv = (x/3+y/2)%2 == 0
			case 5:
				inv = x*y%2+x*y%3 == 0
			case 6:
				inv = (x*y%2+x*y%3)%2 == 0
			case 7:
				inv = ((x+y)%2+x*y%3)%2 == 0
			}
			q.dark[y][x] = q.dark[y][x] != inv
		}
	}
}

// penalty scores the symbol by the standard's four rules; lower is better.
func (q *qrCode) penalty() int {
	n := q.size
	at := func(x, y int, transpose bool) bool {
		if transpose {
			return q.dark[x][y]
		}
		return q.dark[y][x]
	}
	p, darkCount := 0, 0
	finder := []bool{true, false, true, true, true, false, true}
	for _, tr := range []bool{false, true} {
		for y := range n {
			run := 0
			for x := range n {
				if x > 0 && at(x, y, tr) == at(x-1, y, tr) {
					run++
				} else {
					run = 1
				}
				if run == 5 {
					p += 3
				} else if run > 5 {
					p++
				}
				// Rule 3: 1:1:3:1:1 with four light modules on a side.
				if x+7 <= n {
					match := true
					for k, d := range finder {
						if at(x+k, y, tr) != d {
							match = false
							break
						}
					}
					if match && (q.light(x-4, x, y, tr) || q.light(x+7, x+11, y, tr)) {
						p += 40
					}
				}
			}
		}
	}
	for y := range n {
		for x := range n {
			if q.dark[y][x] {
				darkCount++
			}
			if x+1 < n && y+1 < n {
				c := q.dark[y][x]
				if q.dark[y][x+1] == c && q.dark[y+1][x] == c && q.dark[y+1][x+1] == c {
					p += 3
				}
			}
		}
	}
	total := n * n
	k := (abs(darkCount*20-total*10)+total-1)/total - 1
	return p + max(k, 0)*10
}

// light reports whether modules [from, to) of line y (a column if
// transpose) are light; modules outside the symbol count as light.
func (q *qrCode) light(from, to, y int, transpose bool) bool {
	for x := from; x < to; x++ {
		if x < 0 || x >= q.size {
			continue
		}
		if transpose && q.dark[x][y] || !transpose && q.dark[y][x] {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// SVG draws the symbol with its quiet zone, one module per user unit, dark
// runs of each row merged into one path.
func (q *qrCode) SVG() string {
	w := q.size + 2*qrQuiet
	var b strings.Builder
	ws := strconv.Itoa(w)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + ws + ` ` + ws + `" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="` + ws + `" height="` + ws + `" fill="#fff"/><path fill="#000" d="`)
	for y := range q.size {
		for x := 0; x < q.size; {
			if !q.dark[y][x] {
				x++
				continue
			}
			run := 1
			for x+run < q.size && q.dark[y][x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuiet, y+qrQuiet, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// TerminalQR draws text's QR code for a terminal: two rows of modules per
// line in half-block characters, black on white whatever the terminal's
// colours (ANSI colour codes), with the quiet zone. It fails with
// ErrQRTooLong for text over 213 bytes.
func TerminalQR(text string) (string, error) {
	q, err := encodeQR([]byte(text))
	if err != nil {
		return "", err
	}
	return q.halfBlocks(), nil
}

// halfBlocks draws q as TerminalQR does.
func (q *qrCode) halfBlocks() string {
	dark := func(x, y int) bool {
		x, y = x-qrQuiet, y-qrQuiet
		return x >= 0 && y >= 0 && x < q.size && y < q.size && q.dark[y][x]
	}
	w := q.size + 2*qrQuiet
	var b strings.Builder
	for y := 0; y < w; y += 2 {
		b.WriteString("\x1b[30;107m")
		for x := range w {
			top, bottom := dark(x, y), y+1 < w && dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteString("\x1b[0m\n")
	}
	return b.String()
}
