package api

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/proofs"
)

// Limits on query parameters.
const (
	DefaultHistoryLimit = 50
	DefaultDAGLimit     = 100
	MaxLimit            = 1000
	// MaxTrusted bounds the trusted peers one /v1/tx/{id}/peers asks.
	MaxTrusted = 64
)

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st.Network = networkInfo(s.b.Network())
	if st.Listen == nil {
		st.Listen = []string{}
	}
	s.writeJSON(w, http.StatusOK, st)
}

func networkInfo(n *dag.Network) NetworkInfo {
	return NetworkInfo{
		ID:          n.ID,
		Name:        n.Params.Name,
		Prefix:      n.Params.Prefix,
		BurnPerByte: Amount(n.Params.BurnPerByte),
		PowBits:     n.Params.PowBits,
		Supply:      Amount(n.Supply()),
	}
}

func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("addr")
	pk, err := s.b.Network().ParseAddress(addr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.b.Balance(r.Context(), pk)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	total, err := f.Final.Add(f.NotFinal)
	if err != nil {
		s.writeError(w, r, fmt.Errorf("sum balance: %w", err))
		return
	}
	s.writeJSON(w, http.StatusOK, Balance{
		Address:      s.b.Network().Address(pk),
		Balance:      Amount(total),
		Final:        Amount(f.Final),
		NotFinal:     Amount(f.NotFinal),
		Outputs:      f.FinalOutputs + f.NotFinalOutputs,
		FinalOutputs: f.FinalOutputs,
	})
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	net := s.b.Network()
	pk, err := net.ParseAddress(r.PathValue("addr"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryLimit(r, DefaultHistoryLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := s.b.History(r.Context(), pk, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := History{Address: net.Address(pk), Entries: make([]HistoryEntry, 0, len(recs))}
	for _, rec := range recs {
		e, err := historyEntry(net, pk, rec)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h.Entries = append(h.Entries, e)
	}
	s.writeJSON(w, http.StatusOK, h)
}

// historyEntry describes what rec does to owner's money.
func historyEntry(net *dag.Network, owner dag.PubKey, rec *dag.Record) (HistoryEntry, error) {
	p, err := dag.Decode(rec.Raw)
	if err != nil {
		return HistoryEntry{}, fmt.Errorf("decode stored transaction %s: %w", rec.ID, err)
	}
	e := HistoryEntry{
		ID:        rec.ID,
		State:     rec.State.String(),
		Code:      rejectCode(rec),
		Memo:      p.Tx.Memo,
		Time:      time.Unix(p.Tx.Time, 0).UTC(),
		FirstSeen: time.Unix(0, rec.FirstSeen).UTC(),
	}
	if !p.IsGenesis() && p.From == owner {
		e.Direction = DirSent
		e.Burn = Amount(p.Tx.Burn)
		for _, o := range p.Out {
			if o.Owner != owner {
				e.Amount += Amount(o.Amount)
				if e.Counterparty == "" {
					e.Counterparty = net.Address(o.Owner)
				}
			}
		}
		return e, nil
	}
	e.Direction = DirReceived
	if !p.IsGenesis() {
		e.Counterparty = p.Tx.From
	}
	for _, o := range p.Out {
		if o.Owner == owner {
			e.Amount += Amount(o.Amount)
		}
	}
	return e, nil
}

// rejectCode names the rule a rejected record failed, or is "" for any
// other state.
func rejectCode(rec *dag.Record) string {
	if rec.State == dag.StateRejected && rec.Code != 0 {
		return rec.Code.String()
	}
	return ""
}

// unknownTx words a dag.ErrNotFound from the Backend for transaction id.
func unknownTx(id dag.TxID, err error) error {
	if errors.Is(err, dag.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "transaction " + id.String() + " is not known to this node", Err: err}
	}
	return err
}

// pathTxID parses the {id} path value.
func pathTxID(r *http.Request) (dag.TxID, error) {
	id, err := dag.ParseTxID(r.PathValue("id"))
	if err != nil {
		return id, badRequest("bad transaction ID: %v", err)
	}
	return id, nil
}

func (s *Server) handleTx(w http.ResponseWriter, r *http.Request) {
	id, err := pathTxID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rec, children, err := s.b.Tx(r.Context(), id)
	if err != nil {
		s.writeError(w, r, unknownTx(id, err))
		return
	}
	mag := magnets
	if s.cfg.Magnets != nil {
		mag = s.cfg.Magnets
	}
	t, err := txInfo(s.b.Network(), rec, children, mag)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, t)
}

// txInfo formats a record for GET /v1/tx/{id}, with the magnet links mag
// returns.
func txInfo(net *dag.Network, rec *dag.Record, children []dag.TxID, mag func(dag.TxIDs) Magnets) (*Tx, error) {
	p, err := dag.Decode(rec.Raw)
	if err != nil {
		return nil, fmt.Errorf("decode stored transaction %s: %w", rec.ID, err)
	}
	t := &Tx{
		ID:        p.ID,
		V1:        hex.EncodeToString(p.V1[:]),
		State:     rec.State.String(),
		FirstSeen: time.Unix(0, rec.FirstSeen).UTC(),
		Conflicts: nonNil(rec.Conflicts),
		Children:  nonNil(children),
		Genesis:   p.IsGenesis(),
		From:      p.Tx.From,
		Prev:      nonNil(p.Tx.Prev),
		Out:       make([]Output, len(p.Out)),
		Burn:      Amount(p.Tx.Burn),
		Memo:      p.Tx.Memo,
		Time:      time.Unix(p.Tx.Time, 0).UTC(),
		Size:      len(p.Raw),
		Raw:       string(p.Raw),
		Magnet:    mag(p.TxIDs),
		Code:      rejectCode(rec),
	}
	for i, o := range p.Tx.Out {
		t.Out[i] = Output{To: o.To, Amount: Amount(o.Amount)}
	}
	return t, nil
}

// magnets returns the magnet links of a transaction's torrent: btmh with
// the multihash prefix of SHA-256 (0x12, 32 bytes), and btih.
func magnets(ids dag.TxIDs) Magnets {
	return Magnets{
		V2: "magnet:?xt=urn:btmh:1220" + ids.ID.String() + "&dn=tx.json",
		V1: "magnet:?xt=urn:btih:" + hex.EncodeToString(ids.V1[:]) + "&dn=tx.json",
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) handleTxPeers(w http.ResponseWriter, r *http.Request) {
	id, err := pathTxID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	trusted, err := parseTrusted(r.URL.Query()["trusted"])
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answers, err := s.b.AskPeers(r.Context(), id, trusted)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, summarize(id, answers))
}

// parseTrusted parses trusted=host:port values, each possibly a
// comma-separated list.
func parseTrusted(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			host, port, err := net.SplitHostPort(a)
			if err != nil || host == "" {
				return nil, badRequest("trusted peer %q is not host:port", a)
			}
			if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
				return nil, badRequest("trusted peer %q has a bad port", a)
			}
			out = append(out, a)
		}
	}
	if len(out) > MaxTrusted {
		return nil, badRequest("%d trusted peers, at most %d", len(out), MaxTrusted)
	}
	return out, nil
}

// summarize counts the answers: "accepted by k of n, no conflict".
func summarize(id dag.TxID, answers []PeerAnswer) *TxPeers {
	t := &TxPeers{ID: id, Asked: len(answers), Answers: nonNil(answers)}
	conflicts := 0
	for _, a := range answers {
		st, _ := dag.ParseState(a.State)
		if a.Error == "" && st.Accepted() {
			t.Accepted++
		}
		if st == dag.StateConflicted || st == dag.StateRejected || len(a.Conflicts) > 0 {
			conflicts++
		}
	}
	t.Conflict = conflicts > 0
	t.Summary = fmt.Sprintf("accepted by %d of %d, ", t.Accepted, t.Asked)
	if t.Conflict {
		t.Summary += fmt.Sprintf("conflict reported by %d", conflicts)
	} else {
		t.Summary += "no conflict"
	}
	return t
}

func (s *Server) handlePeers(w http.ResponseWriter, r *http.Request) {
	ps, err := s.b.Peers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, Peers{Peers: nonNil(ps)})
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	var req SendRequest
	if err := decodeJSON(r.Body, maxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	to, amount, err := parseSend(s.b.Network(), &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.b.Send(r.Context(), to, amount, req.Memo)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, SendResponse{ID: id})
}

// parseSend parses a send request's recipient and amount. What makes a
// send valid (an amount above zero, a memo the network allows) is the
// wallet's to check: the Backend reports its refusals (see toError).
func parseSend(net *dag.Network, req *SendRequest) (dag.PubKey, dag.Amount, error) {
	if req.To == "" {
		return dag.PubKey{}, 0, badRequest(`missing "to": the recipient's address`)
	}
	to, err := net.ParseAddress(req.To)
	if err != nil {
		return to, 0, err
	}
	amount, err := dag.ParseAmount(req.Amount)
	if err != nil {
		return to, 0, dag.RuleError{Code: dag.ErrBadAmount, Desc: fmt.Sprintf("amount %q: %v", req.Amount, err)}
	}
	return to, amount, nil
}

func (s *Server) handleFaucet(w http.ResponseWriter, r *http.Request) {
	var req FaucetRequest
	if err := decodeJSON(r.Body, maxJSONBody, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	to, err := s.b.Network().ParseAddress(req.To)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.b.Faucet(r.Context(), to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, SendResponse{ID: id})
}

func (s *Server) handleProofExport(w http.ResponseWriter, r *http.Request) {
	id, err := pathTxID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.b.ExportProof(r.Context(), id)
	if err != nil {
		s.writeError(w, r, unknownTx(id, err))
		return
	}
	w.Header().Set("Content-Type", "application/x-bittorrent")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id.String()+`.torrent"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (s *Server) handleProofImport(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, proofs.MaxSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("proof is over %d bytes", proofs.MaxSize)})
			return
		}
		s.writeError(w, r, badRequest("read proof: %v", err))
		return
	}
	if len(b) == 0 {
		s.writeError(w, r, badRequest("empty request body: send the proof's .torrent bytes"))
		return
	}
	res, err := s.b.ImportProof(r.Context(), b)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleDAG(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, DefaultDAGLimit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := s.b.Recent(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := dagSlice(recs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, d)
}

// dagSlice builds the nodes and the edges with both ends among recs.
func dagSlice(recs []*dag.Record) (*DAG, error) {
	d := &DAG{Nodes: make([]DAGNode, 0, len(recs)), Edges: []DAGEdge{}}
	in := make(map[dag.TxID]bool, len(recs))
	for _, rec := range recs {
		in[rec.ID] = true
	}
	for _, rec := range recs {
		p, err := dag.Decode(rec.Raw)
		if err != nil {
			return nil, fmt.Errorf("decode stored transaction %s: %w", rec.ID, err)
		}
		var sum dag.Amount
		for _, o := range p.Out {
			sum += o.Amount // Decode checked that the sum fits
		}
		d.Nodes = append(d.Nodes, DAGNode{
			ID:        rec.ID,
			Seq:       rec.Seq,
			State:     rec.State.String(),
			From:      p.Tx.From,
			Amount:    Amount(sum),
			Genesis:   p.IsGenesis(),
			Time:      time.Unix(p.Tx.Time, 0).UTC(),
			Conflicts: rec.Conflicts,
		})
		for _, op := range p.Prev {
			if in[op.TxID] {
				d.Edges = append(d.Edges, DAGEdge{From: op.TxID, To: rec.ID, Index: op.Index})
			}
		}
	}
	return d, nil
}

func (s *Server) handleAddress(w http.ResponseWriter, r *http.Request) {
	pk, err := s.b.Wallet(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	net := s.b.Network()
	s.writeJSON(w, http.StatusOK, Address{Address: net.Address(pk), Network: net.Params.Name})
}

// queryLimit parses ?limit=N (1..MaxLimit), def if absent.
func queryLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, badRequest("limit must be 1 to %d, got %q", MaxLimit, v)
	}
	return n, nil
}

// handleSubmit takes a transaction signed elsewhere (ttx sign, another
// wallet): the body is its exact tx.json bytes.
func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, dag.MaxTxSize+1))
	if err != nil {
		s.writeError(w, r, badRequest("read transaction: %v", err))
		return
	}
	raw, err := checkSubmit(s.b.Network(), b)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.b.Submit(r.Context(), raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if res.State == dag.StateRejected || res.State == dag.StateUnknown {
		if res.Err == nil {
			res.Err = fmt.Errorf("transaction %s is %s", res.ID, res.State)
		}
		s.writeError(w, r, res.Err)
		return
	}
	status := http.StatusOK
	if res.State == dag.StatePending {
		status = http.StatusAccepted // it waits for parents the node does not hold yet
	}
	s.writeJSON(w, status, SubmitResponse{ID: res.ID, State: res.State.String(), Known: res.Known, Missing: res.Missing})
}

// checkSubmit checks a POST /v1/tx body: one canonical tx.json of at most
// dag.MaxTxSize bytes that passes the network's sanity rules (signature
// included). It returns the bytes to add.
func checkSubmit(net *dag.Network, b []byte) ([]byte, error) {
	switch {
	case len(b) == 0:
		return nil, badRequest("empty request body: send the signed tx.json bytes")
	case len(b) > dag.MaxTxSize:
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, Message: fmt.Sprintf("transaction is over %d bytes", dag.MaxTxSize)}
	}
	p, err := dag.Decode(b)
	if err != nil {
		return nil, err
	}
	if err := net.CheckSanity(p); err != nil {
		return nil, err
	}
	return p.Raw, nil
}
