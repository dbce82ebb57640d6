package dagtest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"strconv"
	"testing"

	"github.com/torrenttx/ttx/dag"
)

// Test network constants.
const (
	// Funds is what the genesis of NewNetwork pays each key.
	Funds = 1_000_000 * dag.Unit
	// Prefix is the address prefix of NewNetwork.
	Prefix = "tt"
	// Time is the genesis time of NewNetwork; transactions built here are
	// dated after it.
	Time = 1_700_000_000
)

// NewNetwork returns a feeless test network whose genesis pays Funds to each
// of nkeys keys, output i to key i. Keys are derived from their index, so
// the network and its ID are the same in every run. The genesis must fit in
// dag.MaxTxSize, which allows about 170 keys.
func NewNetwork(t testing.TB, nkeys int) (*dag.Network, []ed25519.PrivateKey) {
	t.Helper()
	if nkeys < 1 {
		t.Fatalf("dagtest: NewNetwork with %d keys", nkeys)
	}
	params := dag.Params{Name: "dagtest", Prefix: Prefix, MaxPrev: dag.HardMaxPrev, MaxOut: dag.HardMaxOut, MaxMemo: 256}
	gen := &dag.Tx{Version: dag.TxVersion, Genesis: &params, Time: Time}
	keys := make([]ed25519.PrivateKey, nkeys)
	for i := range keys {
		seed := sha256.Sum256([]byte("dagtest key " + strconv.Itoa(i)))
		keys[i] = ed25519.NewKeyFromSeed(seed[:])
		gen.Out = append(gen.Out, dag.Output{To: PubKey(keys[i]).Address(Prefix), Amount: Funds})
	}
	raw, err := dag.Encode(gen)
	if err != nil {
		t.Fatalf("dagtest: encode genesis: %v", err)
	}
	n, err := dag.NewNetwork(raw)
	if err != nil {
		t.Fatalf("dagtest: load genesis of %d keys: %v", nkeys, err)
	}
	return n, keys
}

// PubKey returns key's public key.
func PubKey(key ed25519.PrivateKey) dag.PubKey {
	var pk dag.PubKey
	copy(pk[:], key.Public().(ed25519.PublicKey))
	return pk
}

// Out returns an output paying amount to key on network n.
func Out(n *dag.Network, key ed25519.PrivateKey, amount dag.Amount) dag.Output {
	return dag.Output{To: n.Address(PubKey(key)), Amount: amount}
}

// GenesisOut returns output i of n's genesis (key i's funds for NewNetwork).
func GenesisOut(n *dag.Network, i int) dag.OutPoint {
	return dag.OutPoint{TxID: n.ID, Index: uint32(i)}
}

// Sign completes tx (Version and Time if unset), signs it with key and
// returns it decoded. It fails the test if the result does not pass
// CheckSanity, so build invalid transactions another way.
func Sign(t testing.TB, n *dag.Network, key ed25519.PrivateKey, tx *dag.Tx) *dag.Parsed {
	t.Helper()
	if tx.Version == 0 {
		tx.Version = dag.TxVersion
	}
	if tx.Time == 0 {
		tx.Time = Time + 1
	}
	raw, err := n.Sign(context.Background(), tx, key)
	if err != nil {
		t.Fatalf("dagtest: sign: %v", err)
	}
	p, err := dag.Decode(raw)
	if err != nil {
		t.Fatalf("dagtest: decode signed tx: %v", err)
	}
	if err := n.CheckSanity(p); err != nil {
		t.Fatalf("dagtest: signed tx fails sanity: %v", err)
	}
	return p
}

// Spend signs a transaction by key that spends prevs into outs, burning
// nothing. Spending the same prevs into the same outs twice gives the same
// transaction; vary the outputs (or use Sign with a memo) for a double spend.
func Spend(t testing.TB, n *dag.Network, key ed25519.PrivateKey, prevs []dag.OutPoint, outs ...dag.Output) *dag.Parsed {
	t.Helper()
	tx := &dag.Tx{Out: outs}
	for _, op := range prevs {
		tx.Prev = append(tx.Prev, op.String())
	}
	return Sign(t, n, key, tx)
}
