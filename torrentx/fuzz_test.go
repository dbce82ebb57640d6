package torrentx

import (
	"bytes"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"

	"github.com/torrenttx/ttx/dag"
)

// metadataMsgCases are ut_metadata payloads: the ones we and other clients
// send, and malformed ones.
var metadataMsgCases = []struct {
	name    string
	payload string
	ok      bool
}{
	{"request", "d8:msg_typei0e5:piecei0ee", true},
	{"reject", "d8:msg_typei2e5:piecei0ee", true},
	{"data", "d8:msg_typei1e5:piecei0e10:total_sizei3eeabc", true},
	{"data with a dict", "d8:msg_typei1e5:piecei0e10:total_sizei191ee" + string(dag.InfoDict([]byte("x"))), true},
	{"unknown type", "d8:msg_typei7e5:piecei0ee", true},
	{"data without data", "d8:msg_typei1e5:piecei0e10:total_sizei3ee", false},
	{"request with data", "d8:msg_typei0e5:piecei0eeabc", false},
	{"negative piece", "d8:msg_typei0e5:piecei-1ee", false},
	{"negative size", "d8:msg_typei1e5:piecei0e10:total_sizei-3eeabc", false},
	{"not a dict", "i1e", false},
	{"empty", "", false},
	{"truncated", "d8:msg_typei0e5:piecei0", false},
}

func TestParseMetadataMsg(t *testing.T) {
	for _, tc := range metadataMsgCases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseMetadataMsg([]byte(tc.payload))
			if (err == nil) != tc.ok {
				t.Errorf("parseMetadataMsg(%q) error = %v, want ok=%v", tc.payload, err, tc.ok)
			}
		})
	}
}

// FuzzParseMetadataMsg: parsing a peer's ut_metadata message never panics,
// and what parses encodes back to a message that parses the same.
func FuzzParseMetadataMsg(f *testing.F) {
	for _, tc := range metadataMsgCases {
		f.Add([]byte(tc.payload))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, data, err := parseMetadataMsg(b)
		if err != nil {
			return
		}
		again := append(bencode.MustMarshal(msg), data...)
		msg2, data2, err := parseMetadataMsg(again)
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", again, err)
		}
		if msg2 != msg || !bytes.Equal(data2, data) {
			t.Fatalf("round trip: %+v %q became %+v %q", msg, data, msg2, data2)
		}
		if msg.Type == pp.DataMetadataExtensionMsgType && data == nil {
			t.Fatal("data message without data")
		}
	})
}

// pexMsgCases are ut_pex payloads: what BEP 11 peers send, and malformed
// ones.
var pexMsgCases = []struct {
	name    string
	payload string
	ok      bool
	want    []string
}{
	{"empty dict", "de", true, nil},
	{"one v4", "d5:added6:\x7f\x00\x00\x01\x1a\xe1e", true, []string{"127.0.0.1:6881"}},
	{"v4 and v6 with flags", "d5:added6:\x0a\x00\x00\x02\x00\x507:added.f1:\x106:added618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\xbbe", true,
		[]string{"10.0.0.2:80", "[2001:db8::1]:443"}},
	{"dropped only", "d7:dropped6:\x7f\x00\x00\x01\x1a\xe1e", true, nil},
	{"port zero", "d5:added6:\x7f\x00\x00\x01\x00\x00e", false, nil},
	{"short compact list", "d5:added5:\x7f\x00\x00\x01\x1ae", false, nil},
	{"not a dict", "li1ee", false, nil},
	{"empty", "", false, nil},
	{"too many", "d5:added" + strconv.Itoa(6*(maxPexAddrs+1)) + ":" + strings.Repeat("\x7f\x00\x00\x01\x1a\xe1", maxPexAddrs+1) + "e", false, nil},
}

func TestParsePex(t *testing.T) {
	for _, tc := range pexMsgCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePex([]byte(tc.payload))
			if (err == nil) != tc.ok {
				t.Fatalf("parsePex(%q) error = %v, want ok=%v", tc.payload, err, tc.ok)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("parsePex(%q) = %q, want %q", tc.payload, got, tc.want)
			}
		})
	}
}

// FuzzParsePex: parsing a peer's ut_pex message never panics, and every
// address it returns is a dialable "ip:port" that sendPex can encode again.
func FuzzParsePex(f *testing.F) {
	for _, tc := range pexMsgCases {
		f.Add([]byte(tc.payload))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		addrs, err := parsePex(b)
		if err != nil {
			return
		}
		if len(addrs) > maxPexAddrs {
			t.Fatalf("%d addresses, more than %d", len(addrs), maxPexAddrs)
		}
		var m pp.PexMsg
		for _, a := range addrs {
			ap, err := netip.ParseAddrPort(a)
			if err != nil || ap.Port() == 0 {
				t.Fatalf("address %q: %v", a, err)
			}
			if !appendPexAddr(&m.Added, &m.Added6, a) {
				t.Fatalf("address %q does not encode", a)
			}
		}
		again, err := parsePex(bencode.MustMarshal(m))
		if err != nil {
			t.Fatalf("re-encoded addresses do not parse: %v", err)
		}
		slices.Sort(addrs)
		slices.Sort(again)
		if !slices.Equal(addrs, again) {
			t.Fatalf("round trip: %q became %q", addrs, again)
		}
	})
}
