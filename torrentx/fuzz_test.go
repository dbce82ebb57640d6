package torrentx

import (
	"bytes"
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
