package node_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/node"
	"github.com/torrenttx/ttx/internal/ttxtest"
)

const opTimeout = 30 * time.Second

// devnet starts alice, bob and carol, all connected, voting with 2 peers
// so that payments become final; tweak adjusts each config.
func devnet(t *testing.T, tweak func(name string, cfg *node.Config)) *ttxtest.Network {
	t.Helper()
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.Tweak = func(name string, cfg *node.Config) {
		cfg.VoteMinPeers = 2
		if tweak != nil {
			tweak(name, cfg)
		}
	}
	for _, name := range n.Names() {
		n.Stop(name)
		n.Start(name)
	}
	n.ConnectAll()
	n.WaitInSync(2, opTimeout)
	return n
}

// scrape reads a node's /metrics with the Prometheus text parser.
func scrape(t *testing.T, nd *node.Node) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(nd.APIURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include labels ("k=v"), or fails the test.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			found := false
			for _, lp := range m.Label {
				found = found || lp.GetName() == k && lp.GetValue() == v
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with %v", name, labels)
	return 0
}

// TestNotifyAndMetrics: bob runs --notify; a payment to bob runs it when
// accepted and again when final, a payment between others does not; and
// bob's /metrics, read with the Prometheus parser and no cookie, moves
// under the payment.
func TestNotifyAndMetrics(t *testing.T) {
	out := filepath.Join(t.TempDir(), "notified")
	n := devnet(t, func(name string, cfg *node.Config) {
		if name == "bob" {
			cfg.Notify = `echo "$TTX_EVENT %s" >> ` + out
		}
	})
	bob := n.Node("bob")
	before := scrape(t, bob)

	other := n.Send("alice", "carol", 2*dag.Unit)
	pay := n.Send("alice", "bob", 5*dag.Unit)
	for _, id := range []dag.TxID{other, pay} {
		for _, at := range n.Names() {
			n.WaitState(at, id, dag.StateFinal, opTimeout)
		}
	}
	want := []string{"accepted " + pay.String(), "final " + pay.String()}
	ttxtest.Wait(t, opTimeout, func() error {
		b, _ := os.ReadFile(out)
		for _, w := range want {
			if !strings.Contains(string(b), w+"\n") {
				return fmt.Errorf("notify output %q lacks %q", b, w)
			}
		}
		return nil
	})
	b, _ := os.ReadFile(out)
	if lines := strings.Count(string(b), "\n"); lines != 2 || strings.Contains(string(b), other.String()) {
		t.Errorf("notify output %q: want exactly the payment's two lines", b)
	}

	// A command's line is written before it exits, and it counts as ok
	// once it has: wait for the count, then read every metric.
	ttxtest.Wait(t, opTimeout, func() error {
		fams := scrape(t, bob)
		if _, ok := fams["ttx_notify_total"]; !ok {
			return errors.New("no ttx_notify_total yet")
		}
		if got := value(t, fams, "ttx_notify_total", "result=ok"); got < 2 {
			return fmt.Errorf("ttx_notify_total[result=ok] = %v, want 2", got)
		}
		return nil
	})
	after := scrape(t, bob)
	moved := []struct {
		name   string
		labels []string
		least  float64
	}{
		{"ttx_tx_changes_total", []string{"state=accepted"}, 2},
		{"ttx_tx_changes_total", []string{"state=final"}, 2},
		{"ttx_vote_decided_total", []string{"outcome=final"}, 2},
		{"ttx_commit_seconds", nil, 1},
		{"ttx_peer_bytes_total", []string{"direction=in"}, 1},
		{"ttx_peer_bytes_total", []string{"direction=out"}, 1},
		{"ttx_vote_polls_total", []string{"direction=received"}, 1},
		{"ttx_vote_answers_total", []string{"direction=sent"}, 1},
		{"ttx_notify_total", []string{"result=ok"}, 2},
	}
	for _, m := range moved {
		var was float64
		if _, ok := before[m.name]; ok {
			was = value(t, before, m.name, m.labels...)
		}
		if now := value(t, after, m.name, m.labels...); now-was < m.least {
			t.Errorf("%s%v went from %v to %v, want +%v at least", m.name, m.labels, was, now, m.least)
		}
	}
	if got := value(t, after, "ttx_peers", "kind=ttx"); got != 2 {
		t.Errorf("ttx_peers{kind=ttx} = %v, want 2", got)
	}
	if got := value(t, after, "ttx_store_transactions", "state=final"); got < 2 {
		t.Errorf("ttx_store_transactions{state=final} = %v, want at least 2", got)
	}
	if got := value(t, after, "ttx_store_bytes"); got <= 0 {
		t.Errorf("ttx_store_bytes = %v", got)
	}
	if got := value(t, after, "ttx_notify_total", "result=dropped"); got != 0 {
		t.Errorf("ttx_notify_total{result=dropped} = %v, want 0", got)
	}

	// Like the API's other reads, beyond a loopback Host it needs the cookie.
	req, _ := http.NewRequestWithContext(context.Background(), "GET", bob.APIURL()+"/metrics", nil)
	req.Host = "attacker.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics with a foreign Host: %s, want 401", resp.Status)
	}
}

// TestSyncProgressLateJoiner: carol joins after alice and bob made 40
// payments; her status shows the sync progress reach 100 %.
func TestSyncProgressLateJoiner(t *testing.T) {
	n := ttxtest.NewNetwork(t, "alice", "bob", "carol")
	n.Stop("carol")
	n.Connect("alice", "bob")
	for i := range 40 {
		if i%2 == 0 {
			n.Send("alice", "bob", dag.Unit)
		} else {
			n.Send("bob", "alice", dag.Unit/2)
		}
	}
	n.WaitConverged(opTimeout)
	n.Start("carol")
	carol := n.Node("carol")
	st, err := carol.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Sync.Percent != 100 || st.Sync.Have != 1 {
		t.Fatalf("carol alone: %+v, want 100 %% of her 1 transaction (the genesis)", st.Sync)
	}
	n.Connect("carol", "alice")
	want := uint64(41)
	seen := []float64{}
	ttxtest.Wait(t, opTimeout, func() error {
		st, err := carol.Status(context.Background())
		if err != nil {
			return err
		}
		if len(seen) == 0 || seen[len(seen)-1] != st.Sync.Percent {
			seen = append(seen, st.Sync.Percent)
		}
		if st.Sync.Best > 1 && st.Sync.Best != want {
			t.Fatalf("carol's best peer count %d, want %d", st.Sync.Best, want)
		}
		if st.Sync.Have != want || st.Sync.Percent != 100 || st.Sync.Missing != 0 || st.Sync.ETASeconds != 0 {
			return fmt.Errorf("carol's sync: %+v", st.Sync)
		}
		return nil
	})
	t.Logf("carol's sync progress went through %v %%", seen)
}
