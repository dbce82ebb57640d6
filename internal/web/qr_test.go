package web

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The "HELLO WORLD" example of version 1-M (thonky.com's QR tutorial):
// its 16 data codewords and the 10 error correction codewords.
func TestReedSolomon(t *testing.T) {
	data := []byte{32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17}
	want := []byte{196, 35, 39, 119, 235, 215, 231, 226, 93, 23}
	if got := rsRemainder(data, rsDivisor(10)); !bytes.Equal(got, want) {
		t.Errorf("ECC %v, want %v", got, want)
	}
}

// Format and version bits from the standard's tables.
func TestFormatAndVersionBits(t *testing.T) {
	for _, tc := range []struct {
		mask int
		want string
	}{
		{0, "101010000010010"},
		{1, "101000100100101"},
		{4, "100010111111001"},
		{5, "100000011001110"},
		{7, "100101010100000"},
	} {
		t.Run("M"+strconv.Itoa(tc.mask), func(t *testing.T) {
			if got := fmt.Sprintf("%015b", qrFormatBits(tc.mask)); got != tc.want {
				t.Errorf("format bits %s, want %s", got, tc.want)
			}
		})
	}
	// Version 7's version information is 000111 110010010100.
	q := newQR(7)
	q.drawFunctionPatterns(7)
	var bits int
	for i := 17; i >= 0; i-- {
		bits <<= 1
		if q.dark[i/3][q.size-11+i%3] {
			bits |= 1
		}
	}
	if got := fmt.Sprintf("%018b", bits); got != "000111110010010100" {
		t.Errorf("version 7 bits %s", got)
	}
}

func TestQRVersions(t *testing.T) {
	for _, tc := range []struct {
		n, version int
	}{
		{1, 1}, {14, 1}, {15, 2}, {26, 2}, {27, 3}, {42, 3}, {43, 4}, {62, 4}, {63, 5},
		{84, 5}, {106, 6}, {122, 7}, {152, 8}, {180, 9}, {213, 10},
	} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			q, err := encodeQR(bytes.Repeat([]byte{'a'}, tc.n))
			if err != nil {
				t.Fatal(err)
			}
			if want := 4*tc.version + 17; q.size != want {
				t.Errorf("%d bytes: size %d, want %d (version %d)", tc.n, q.size, want, tc.version)
			}
			checkStructure(t, q)
		})
	}
	if _, err := encodeQR(make([]byte, 214)); !errors.Is(err, ErrQRTooLong) {
		t.Errorf("214 bytes: %v, want ErrQRTooLong", err)
	}
}

// checkStructure checks what a reader looks for first: the finder
// patterns, the timing patterns, the dark module, and two equal copies of
// valid format bits.
func checkStructure(t *testing.T, q *qrCode) {
	t.Helper()
	n := q.size
	for _, c := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for dy := range 7 {
			for dx := range 7 {
				d := max(abs(dx-3), abs(dy-3))
				if want := d != 2; q.dark[c[1]+dy][c[0]+dx] != want {
					t.Fatalf("finder at %v: module (%d,%d) dark=%v", c, dx, dy, !want)
				}
			}
		}
	}
	for i := 8; i < n-8; i++ {
		if q.dark[6][i] != (i%2 == 0) || q.dark[i][6] != (i%2 == 0) {
			t.Fatalf("timing pattern broken at %d", i)
		}
	}
	if !q.dark[n-8][8] {
		t.Fatal("no dark module")
	}
	var a, b int
	for i := 14; i >= 0; i-- {
		a <<= 1
		b <<= 1
		var x, y int // first copy, around the top-left finder
		switch {
		case i <= 5:
			x, y = 8, i
		case i == 6:
			x, y = 8, 7
		case i == 7:
			x, y = 8, 8
		case i == 8:
			x, y = 7, 8
		default:
			x, y = 14-i, 8
		}
		if q.dark[y][x] {
			a |= 1
		}
		if i < 8 && q.dark[8][n-1-i] || i >= 8 && q.dark[n-15+i][8] {
			b |= 1
		}
	}
	if a != b {
		t.Fatalf("format copies differ: %015b and %015b", a, b)
	}
	for m := range 8 {
		if qrFormatBits(m) == a {
			return
		}
	}
	t.Fatalf("format bits %015b are no mask of level M", a)
}

// TestQRDecodes reads the codes back with zbarimg (Debian's zbar-tools),
// when it is installed.
func TestQRDecodes(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("no zbarimg: apt-get install -y zbar-tools")
	}
	dir := t.TempDir()
	for _, text := range []string{
		"ttx1ux9e4gvy7t9vc244nxm7tjxfxyyuncp8rc6lw36r5x2ramfl5mkqsp3fl7",
		"dev1t4vny332c9lfmhrwu5c6f8kuaj0fy6t2fs0h7xd2dx52dk32h5kqfndpp8",
		"x",
		strings.Repeat("0123456789abcdef", 6),
		strings.Repeat("ttx:", 50),
		strings.Repeat("Z", 213),
	} {
		t.Run(strconv.Itoa(len(text)), func(t *testing.T) {
			q, err := encodeQR([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, strconv.Itoa(len(text))+".png")
			writePNG(t, q, path, 6)
			if got := zbarDecode(t, zbar, path); got != text {
				t.Errorf("decoded %q, want %q", got, text)
			}
		})
	}
}

// zbarDecode returns the text of the QR code in the image at path, as the
// zbarimg at zbar reads it.
func zbarDecode(t *testing.T, zbar, path string) string {
	t.Helper()
	out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func writePNG(t *testing.T, q *qrCode, path string, scale int) {
	t.Helper()
	w := (q.size + 2*qrQuiet) * scale
	img := image.NewGray(image.Rect(0, 0, w, w))
	for y := range w {
		for x := range w {
			mx, my := x/scale-qrQuiet, y/scale-qrQuiet
			c := color.Gray{Y: 255}
			if mx >= 0 && my >= 0 && mx < q.size && my < q.size && q.dark[my][mx] {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestQRSVG(t *testing.T) {
	q, err := encodeQR([]byte("ttx"))
	if err != nil {
		t.Fatal(err)
	}
	svg := q.SVG()
	if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"`) || !strings.HasSuffix(svg, "</svg>") {
		t.Errorf("svg %.80s…", svg)
	}
	// The top-left finder's top row is one run of 7 dark modules.
	if !strings.Contains(svg, "M4 4h7v1h-7z") {
		t.Error("svg lacks the finder's top row")
	}
}

// TestTerminalQRDecodes reads TerminalQR's half blocks back into modules
// and has zbarimg decode them.
func TestTerminalQRDecodes(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("no zbarimg: apt-get install -y zbar-tools")
	}
	text := "ttx:ttx1ux9e4gvy7t9vc244nxm7tjxfxyyuncp8rc6lw36r5x2ramfl5mkqsp3fl7?amount=1.5&memo=lunch%20on%20Friday"
	drawn, err := TerminalQR(text)
	if err != nil {
		t.Fatal(err)
	}
	q := terminalModules(t, drawn)
	want, _ := encodeQR([]byte(text))
	if q.size != want.size+2*qrQuiet {
		t.Fatalf("drawn %d modules wide, want %d", q.size, want.size+2*qrQuiet)
	}
	path := filepath.Join(t.TempDir(), "terminal.png")
	writePNG(t, q, path, 6)
	if got := zbarDecode(t, zbar, path); got != text {
		t.Errorf("decoded %q, want %q", got, text)
	}
	if _, err := TerminalQR(strings.Repeat("x", 214)); !errors.Is(err, ErrQRTooLong) {
		t.Errorf("214 bytes: %v, want ErrQRTooLong", err)
	}
}

// terminalModules reads TerminalQR's output back into a symbol of modules
// (its quiet zone included): each character is two rows, ANSI codes aside.
func terminalModules(t *testing.T, drawn string) *qrCode {
	t.Helper()
	var rows [][]bool
	for _, line := range strings.Split(strings.TrimSuffix(drawn, "\n"), "\n") {
		if !strings.HasPrefix(line, "\x1b[30;107m") || !strings.HasSuffix(line, "\x1b[0m") {
			t.Fatalf("line %q is not black on white", line)
		}
		line = strings.TrimSuffix(strings.TrimPrefix(line, "\x1b[30;107m"), "\x1b[0m")
		var top, bottom []bool
		for _, r := range line {
			top = append(top, r == '█' || r == '▀')
			bottom = append(bottom, r == '█' || r == '▄')
		}
		rows = append(rows, top, bottom)
	}
	n := len(rows[0])
	if len(rows) != n+1 || slices.Contains(rows[n], true) {
		t.Fatalf("drawn %d rows of %d modules, want %d and a blank half row", len(rows), n, n)
	}
	return &qrCode{size: n, dark: rows[:n]}
}
