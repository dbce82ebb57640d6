package gossip

import (
	"sync/atomic"

	"github.com/torrenttx/ttx/torrentx/wire"
)

// Stats counts an engine's traffic since New, over every peer it has had.
// Divided by the transactions the network carried, they give the cost of
// relay per node: the copies of each transaction received, and the bytes
// in and out.
type Stats struct {
	// Every message received and sent, and their bytes.
	MsgsIn, BytesIn, MsgsOut, BytesOut uint64
	// TxsIn counts the transactions received whole (tx messages, and the
	// sides a poll carries): every copy, those dropped by ID included.
	// TxBytesIn is their tx.json bytes; TxDups counts the copies dropped
	// because the ledger held the ID or another message was adding it.
	TxsIn, TxBytesIn, TxDups uint64
	// TxsOut and TxBytesOut count the transactions sent whole (pushes,
	// wants answered, sync) and their tx.json bytes.
	TxsOut, TxBytesOut uint64
	// InvIDsOut counts the IDs announced by inv.
	InvIDsOut uint64
	// TxsHeld counts the pushed transactions fair ingest held for a later
	// turn instead of submitting them as they came (ingest.go).
	TxsHeld uint64
}

// traffic is the engine's counters behind Stats.
type traffic struct {
	msgsIn, bytesIn, msgsOut, bytesOut atomic.Uint64
	txsIn, txsOut                      txCount
	txDups, invIDsOut, txsHeld         atomic.Uint64
}

// txCount counts transactions sent or received whole, and their bytes.
type txCount struct{ n, bytes atomic.Uint64 }

// add counts the entries of a tx message.
func (c *txCount) add(txs []wire.TxEntry) {
	size := 0
	for _, t := range txs {
		size += len(t.Raw)
	}
	c.n.Add(uint64(len(txs)))
	c.bytes.Add(uint64(size))
}

// Stats returns the engine's traffic counters.
func (e *Engine) Stats() Stats {
	t := &e.traffic
	return Stats{
		MsgsIn: t.msgsIn.Load(), BytesIn: t.bytesIn.Load(), MsgsOut: t.msgsOut.Load(), BytesOut: t.bytesOut.Load(),
		TxsIn: t.txsIn.n.Load(), TxBytesIn: t.txsIn.bytes.Load(), TxDups: t.txDups.Load(),
		TxsOut: t.txsOut.n.Load(), TxBytesOut: t.txsOut.bytes.Load(), InvIDsOut: t.invIDsOut.Load(),
		TxsHeld: t.txsHeld.Load(),
	}
}
