package node

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/torrenttx/ttx/dag"
)

// metrics are the node's Prometheus metrics (GET /metrics). Counters and
// the commit histogram are updated as things happen; the rest (peers,
// store, orphans, traffic, bans) is read from the node at each scrape by
// collect.
type metrics struct {
	reg *prometheus.Registry
	// changes counts committed state changes by new state: "accepted" is
	// the ingest rate, "final" the finality rate.
	changes *prometheus.CounterVec
	// decided counts the ends of votes by outcome: final or lost.
	decided *prometheus.CounterVec
	// commit times each ledger commit (one store write transaction).
	commit prometheus.Histogram
	// Vote messages, by direction.
	pollsSent, pollsReceived, answersSent, answersReceived atomic.Uint64
}

// metric descriptions read at scrape time.
var (
	descOrphans  = prometheus.NewDesc("ttx_orphans", "Transactions in the orphan pool, waiting for parents.", nil, nil)
	descPeers    = prometheus.NewDesc("ttx_peers", "Connected peers: all, those speaking ttx, and the ttx peers whose digest equals ours (in_sync).", []string{"kind"}, nil)
	descBytes    = prometheus.NewDesc("ttx_peer_bytes_total", "Bytes exchanged with BitTorrent peers since start, handshakes included.", []string{"direction"}, nil)
	descBans     = prometheus.NewDesc("ttx_peer_bans_total", "Peers banned for misbehaving since start.", nil, nil)
	descPolls    = prometheus.NewDesc("ttx_vote_polls_total", "Vote polls sent to and received from peers.", []string{"direction"}, nil)
	descAnswers  = prometheus.NewDesc("ttx_vote_answers_total", "Signed vote answers sent to and received from peers.", []string{"direction"}, nil)
	descStoreTxs = prometheus.NewDesc("ttx_store_transactions", "Stored transactions by state.", []string{"state"}, nil)
	descStoreB   = prometheus.NewDesc("ttx_store_bytes", "Size of the store's data file.", nil, nil)
	descNotify   = prometheus.NewDesc("ttx_notify_total", "Runs of the --notify command by result (ok, failed, timeout), and events dropped because its queue was full.", []string{"result"}, nil)
	descMissing  = prometheus.NewDesc("ttx_sync_missing", "Transactions the ttx peer with the most holds beyond ours (0: caught up).", nil, nil)
)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttx_tx_changes_total",
			Help: "Committed transaction state changes by new state (accepted: ingest; final: finality).",
		}, []string{"state"}),
		decided: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttx_vote_decided_total",
			Help: "Transactions the vote decided, by outcome: final, or lost (rejected with ErrLostVote).",
		}, []string{"outcome"}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ttx_commit_seconds",
			Help:    "Duration of each ledger commit (one durable store write transaction).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5 ms to 4 s
		}),
	}
	for _, st := range []dag.State{dag.StateAccepted, dag.StateConflicted, dag.StateFinal, dag.StateRejected} {
		m.changes.WithLabelValues(st.String()) // present at 0 before the first change
	}
	m.decided.WithLabelValues("final")
	m.decided.WithLabelValues("lost")
	m.reg.MustRegister(m.changes, m.decided, m.commit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe counts a commit's changes.
func (m *metrics) observe(changes []dag.Change) {
	for _, c := range changes {
		m.changes.WithLabelValues(c.State.String()).Inc()
		switch {
		case c.State == dag.StateFinal:
			m.decided.WithLabelValues("final").Inc()
		case c.State == dag.StateRejected && c.Code == dag.ErrLostVote:
			m.decided.WithLabelValues("lost").Inc()
		}
	}
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// nodeCollector reads the node's state at each scrape.
type nodeCollector struct{ n *Node }

// Describe implements prometheus.Collector.
func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOrphans, descPeers, descBytes, descBans, descPolls, descAnswers, descStoreTxs, descStoreB, descMissing, descNotify} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n, m := c.n, c.n.metrics
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descOrphans, float64(n.graph.Pending()))
	all, ttx := n.peerCounts()
	gauge(descPeers, float64(all), "all")
	gauge(descPeers, float64(ttx), "ttx")
	if d, err := n.digest(); err == nil {
		gauge(descPeers, float64(n.gossip.inSync(d)), "in_sync")
		gauge(descMissing, float64(n.gossip.best(d.Count)-d.Count))
	}
	read, written := n.client.Traffic()
	counter(descBytes, float64(read), "in")
	counter(descBytes, float64(written), "out")
	counter(descBans, float64(n.gossip.engine.BanCount()))
	counter(descPolls, float64(m.pollsSent.Load()), "sent")
	counter(descPolls, float64(m.pollsReceived.Load()), "received")
	counter(descAnswers, float64(m.answersSent.Load()), "sent")
	counter(descAnswers, float64(m.answersReceived.Load()), "received")
	if nt := n.notify; nt != nil {
		counter(descNotify, float64(nt.ok.Load()), "ok")
		counter(descNotify, float64(nt.failed.Load()), "failed")
		counter(descNotify, float64(nt.timedOut.Load()), "timeout")
		counter(descNotify, float64(nt.dropped.Load()), "dropped")
	}
	if st, err := n.store.Stats(); err == nil {
		gauge(descStoreTxs, float64(st.Accepted), "accepted")
		gauge(descStoreTxs, float64(st.Conflicted), "conflicted")
		gauge(descStoreTxs, float64(st.Final), "final")
		gauge(descStoreTxs, float64(st.Rejected), "rejected")
		gauge(descStoreB, float64(st.FileSize))
	}
}

// timedStore is the node's store as the Graph sees it: every Update (a
// commit) is timed into the commit histogram.
type timedStore struct {
	dag.Store
	h prometheus.Histogram
}

// Update implements dag.Store.
func (s timedStore) Update(fn func(dag.WriteTx) error) error {
	start := time.Now()
	err := s.Store.Update(fn)
	s.h.Observe(time.Since(start).Seconds())
	return err
}
