package dag

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"
)

var (
	hexID   = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	testID  = TxID{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	txidBad = []struct{ name, s string }{
		{"empty", ""},
		{"uppercase", strings.ToUpper(hexID)},
		{"one uppercase letter", hexID[:63] + "F"},
		{"63 characters", hexID[:63]},
		{"65 characters", hexID + "0"},
		{"not hex", hexID[:63] + "g"},
		{"0x prefix", "0x" + hexID[2:]},
		{"space", " " + hexID[1:]},
		{"non-ASCII", "é" + hexID[2:]},
	}
)

func TestParseTxID(t *testing.T) {
	id, err := ParseTxID(hexID)
	if err != nil || id != testID {
		t.Fatalf("ParseTxID = %x, %v; want %x", id, err, testID)
	}
	if id.String() != hexID {
		t.Errorf("String = %q", id.String())
	}
	for _, tc := range txidBad {
		t.Run(tc.name, func(t *testing.T) {
			if id, err := ParseTxID(tc.s); err == nil {
				t.Errorf("ParseTxID(%q) = %x, want an error", tc.s, id)
			}
			var id TxID
			if err := id.UnmarshalText([]byte(tc.s)); err == nil || !id.IsZero() {
				t.Errorf("UnmarshalText(%q) = %v, left %x", tc.s, err, id)
			}
		})
	}
}

func TestTxIDMethods(t *testing.T) {
	text, err := testID.MarshalText()
	if err != nil || string(text) != hexID {
		t.Fatalf("MarshalText = %q, %v", text, err)
	}
	var id TxID
	if err := id.UnmarshalText(text); err != nil || id != testID {
		t.Fatalf("UnmarshalText = %x, %v", id, err)
	}
	short := testID.Short()
	if !bytes.Equal(short[:], testID[:20]) {
		t.Errorf("Short = %x", short)
	}
	if testID.IsZero() || !(TxID{}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestParseOutPoint(t *testing.T) {
	good := []struct {
		s    string
		want OutPoint
	}{
		{hexID + ":0", OutPoint{testID, 0}},
		{hexID + ":7", OutPoint{testID, 7}},
		{hexID + ":10", OutPoint{testID, 10}},
		{hexID + ":4294967295", OutPoint{testID, 4294967295}},
	}
	for _, tc := range good {
		got, err := ParseOutPoint(tc.s)
		if err != nil || got != tc.want {
			t.Errorf("ParseOutPoint(%q) = %v, %v; want %v", tc.s, got, err, tc.want)
		}
		if got.String() != tc.s {
			t.Errorf("String = %q, want %q", got.String(), tc.s)
		}
	}
	bad := []struct{ name, s string }{
		{"empty", ""},
		{"no index", hexID},
		{"empty index", hexID + ":"},
		{"missing colon", hexID + "0"},
		{"other separator", hexID + "/0"},
		{"leading zero", hexID + ":01"},
		{"double zero", hexID + ":00"},
		{"above uint32", hexID + ":4294967296"},
		{"far above uint32", hexID + ":99999999999999999999999"},
		{"negative", hexID + ":-1"},
		{"plus sign", hexID + ":+1"},
		{"space", hexID + ": 1"},
		{"trailing space", hexID + ":1 "},
		{"hex index", hexID + ":0x1"},
		{"underscore", hexID + ":1_0"},
		{"second colon", hexID + ":1:2"},
		{"unicode digit", hexID + ":١"},
		{"uppercase txid", strings.ToUpper(hexID) + ":0"},
		{"short txid", hexID[:62] + ":0"},
		{"long txid", hexID + "00:0"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ParseOutPoint(tc.s); err == nil {
				t.Errorf("ParseOutPoint(%q) = %v, want an error", tc.s, got)
			}
		})
	}
}

func TestInfoDict(t *testing.T) {
	for _, n := range []int{1, 9, 10, 99, 100, 132, 999, 1000, 9999, 10000, 16383, MaxTxSize} {
		raw := bytes.Repeat([]byte{'x'}, n)
		d := InfoDict(raw)
		// 185 bytes plus the decimal length, written twice.
		if want := 185 + 2*len(strconv.Itoa(n)); len(d) != want {
			t.Errorf("InfoDict of %d bytes is %d bytes, want %d", n, len(d), want)
		}
		p1, root := sha1.Sum(raw), sha256.Sum256(raw)
		want := "d9:file treed7:tx.jsond0:d6:lengthi" + strconv.Itoa(n) + "e11:pieces root32:" + string(root[:]) +
			"eee6:lengthi" + strconv.Itoa(n) + "e12:meta versioni2e4:name7:tx.json12:piece lengthi16384e6:pieces20:" +
			string(p1[:]) + "e"
		if string(d) != want {
			t.Errorf("InfoDict of %d bytes = %q, want %q", n, d, want)
		}
		ids := IDs(raw)
		if ids.ID != sha256.Sum256(d) || ids.V1 != sha1.Sum(d) {
			t.Errorf("IDs of %d bytes are not the hashes of the info dict", n)
		}
		if tf := TorrentFile(raw); string(tf) != "d4:info"+string(d)+"e" {
			t.Errorf("TorrentFile of %d bytes = %q", n, tf)
		}
	}
	for _, n := range []int{0, MaxTxSize + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("InfoDict of %d bytes did not panic", n)
				}
			}()
			InfoDict(make([]byte, n))
		}()
	}
}

func TestIDsDiffer(t *testing.T) {
	a, b := IDs([]byte("a")), IDs([]byte("b"))
	if a.ID == b.ID || a.V1 == b.V1 {
		t.Error("different bytes, same IDs")
	}
	if IDs([]byte("a")) != a {
		t.Error("IDs is not deterministic")
	}
}

func TestCheckID(t *testing.T) {
	raw := []byte(`{"v":1}`)
	id := IDs(raw).ID
	other := id
	other[31] ^= 1
	v1 := IDs(raw).V1
	tests := []struct {
		name string
		raw  []byte
		id   TxID
		code ErrorCode
	}{
		{"match", raw, id, 0},
		{"one bit off", raw, other, ErrIDMismatch},
		{"v1 infohash padded", raw, TxID(append(v1[:], make([]byte, 12)...)), ErrIDMismatch},
		{"sha256 of the bytes", raw, sha256.Sum256(raw), ErrIDMismatch},
		{"empty", nil, id, ErrMalformed},
		{"too large", make([]byte, MaxTxSize+1), id, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckID(tc.raw, tc.id)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if re, ok := IsRuleError(err); !ok || re.Code != tc.code {
				t.Fatalf("CheckID = %v, want %v", err, tc.code)
			}
		})
	}
}

func TestParseInfoDict(t *testing.T) {
	for _, n := range []int{1, 9, 10, 132, 9999, 10000, MaxTxSize} {
		raw := bytes.Repeat([]byte{'y'}, n)
		ids, err := ParseInfoDict(InfoDict(raw))
		if err != nil || ids != IDs(raw) {
			t.Errorf("ParseInfoDict(InfoDict(%d bytes)) = %v, %v; want %v", n, ids, err, IDs(raw))
		}
	}
	good := InfoDict([]byte(`{"v":1}`))
	root31 := strings.Replace(string(good), "11:pieces root32:", "11:pieces root31:", 1)
	root31 = root31[:strings.Index(root31, "31:")+3+31] + root31[strings.Index(root31, "31:")+3+32:]
	bad := []struct{ name, dict string }{
		{"empty", ""},
		{"truncated", string(good[:len(good)-1])},
		{"trailing byte", string(good) + "e"},
		{"zero length", strings.ReplaceAll(string(good), "lengthi7e", "lengthi0e")},
		{"leading zero", strings.ReplaceAll(string(good), "lengthi7e", "lengthi07e")},
		{"negative length", strings.ReplaceAll(string(good), "lengthi7e", "lengthi-7e")},
		{"too long", strings.ReplaceAll(string(good), "lengthi7e", "lengthi16385e")},
		{"lengths differ", strings.Replace(string(good), "lengthi7e", "lengthi8e", 1)},
		{"31-byte pieces root", root31},
		{"other name", strings.Replace(string(good), "4:name7:tx.json", "4:name7:tx.jsoN", 1)},
		{"piece length", strings.Replace(string(good), "lengthi16384e", "lengthi32768e", 1)},
		{"meta version 1", strings.Replace(string(good), "versioni2e", "versioni1e", 1)},
		{"extra key", strings.Replace(string(good), "6:pieces20:", "7:private"+"i1e6:pieces20:", 1)},
		{"v1 only", "d6:lengthi7e4:name7:tx.json12:piece lengthi16384e6:pieces20:" + strings.Repeat("x", 20) + "e"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := ParseInfoDict([]byte(tc.dict))
			if re, ok := IsRuleError(err); !ok || re.Code != ErrMalformed {
				t.Errorf("ParseInfoDict = %v, %v; want an ErrMalformed RuleError", ids, err)
			}
		})
	}
}
