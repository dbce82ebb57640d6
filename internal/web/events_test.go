package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/dag/dagtest"
	"github.com/torrenttx/ttx/internal/web"
)

// readNamed reads the next event of any name from an SSE stream.
func readNamed(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && name != "":
			return name, data
		}
	}
}

// TestEventsAddressFilterAndPeers: with ?address= a stream carries only
// the changes of transactions that address signs or is paid by (a state
// change without the bytes is looked up), and every stream says the peer
// counts at the start and when they change.
func TestEventsAddressFilterAndPeers(t *testing.T) {
	net, keys := dagtest.NewNetwork(t, 3)
	toMe := dagtest.Spend(t, net, keys[0], []dag.OutPoint{{TxID: net.ID, Index: 0}}, dagtest.Out(net, keys[1], dag.Unit))
	fromMe := dagtest.Spend(t, net, keys[1], []dag.OutPoint{{TxID: net.ID, Index: 1}}, dagtest.Out(net, keys[2], dag.Unit))
	// Names keys[1]'s address in its memo only: not its payment.
	me := net.Address(dagtest.PubKey(keys[1]))
	other := &dag.Tx{Prev: []string{dag.OutPoint{TxID: net.ID, Index: 2}.String()}, Out: []dag.Output{dagtest.Out(net, keys[2], dag.Unit)}, Memo: `"` + me + `"`}
	otherTx := dagtest.Sign(t, net, keys[0], other)
	otherRaw, otherID := otherTx.Raw, otherTx.ID

	ws, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{changes: make(chan []dag.Change, 4), raws: map[dag.TxID][]byte{toMe.ID: toMe.Raw}}
	src.peers.Store(1)
	ws.Attach(src)
	srv := httptest.NewServer(ws)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/events?address=" + me[:len(me)-1] + "x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad address: %d, want 400", res.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events?address="+me, nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	if name, data := readNamed(t, r); name != "peers" || data != `{"peers":1,"ttx_peers":1,"in_sync":0}` {
		t.Fatalf("first event %s %s, want the peer counts", name, data)
	}
	src.changes <- []dag.Change{
		{ID: otherID, State: dag.StateAccepted, Raw: otherRaw},
		{ID: toMe.ID, State: dag.StateAccepted, Raw: toMe.Raw},
		{ID: fromMe.ID, State: dag.StateAccepted, Raw: fromMe.Raw},
	}
	src.changes <- []dag.Change{{ID: dag.TxID{0xee}, State: dag.StateFinal}}
	src.changes <- []dag.Change{{ID: toMe.ID, State: dag.StateFinal}}
	var got []string
	for len(got) < 3 {
		name, data := readNamed(t, r)
		if name != "tx" {
			t.Fatalf("event %s %s, want tx", name, data)
		}
		var e web.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID.String()[:8]+" "+e.State)
	}
	want := []string{toMe.ID.String()[:8] + " accepted", fromMe.ID.String()[:8] + " accepted", toMe.ID.String()[:8] + " final"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v", got, want)
	}
	src.peers.Store(2)
	if name, data := readNamed(t, r); name != "peers" || data != `{"peers":2,"ttx_peers":2,"in_sync":0}` {
		t.Errorf("after a peer came: %s %s", name, data)
	}
}
