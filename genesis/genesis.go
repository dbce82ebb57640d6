package genesis

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/internal/atomicfile"
)

// File names in a network directory (see NewNetwork).
const (
	TxFile      = "tx.json"
	TorrentFile = "tx.torrent"
)

// Alloc is one output of a genesis: who receives how much of the supply.
type Alloc struct {
	To     dag.PubKey
	Amount dag.Amount
}

// DefaultParams returns parameters with sane limits for a network called
// name whose addresses start with prefix: up to 100 inputs and 100 outputs
// per transaction, memos up to 256 bytes, no burn and no proof of work.
func DefaultParams(name, prefix string) dag.Params {
	return dag.Params{
		Name:        name,
		Prefix:      prefix,
		BurnPerByte: 0,
		PowBits:     0,
		MaxPrev:     100,
		MaxOut:      100,
		MaxMemo:     256,
	}
}

// New returns the canonical tx.json of a genesis: it carries p, mints each
// allocation as an output (in the given order), burns nothing, and is
// dated t (Unix seconds). It checks the result with dag.NewNetwork.
func New(p dag.Params, alloc []Alloc, t time.Time) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("new genesis: %w", err)
	}
	if len(alloc) == 0 {
		return nil, errors.New("new genesis: no allocations: a genesis must mint the supply to someone")
	}
	tx := dag.Tx{Version: dag.TxVersion, Genesis: &p, Time: t.Unix()}
	tx.Out = make([]dag.Output, len(alloc))
	for i, a := range alloc {
		tx.Out[i] = dag.Output{To: a.To.Address(p.Prefix), Amount: a.Amount}
	}
	raw, err := dag.Encode(&tx)
	if err != nil {
		return nil, fmt.Errorf("new genesis: %w", err)
	}
	if _, err := dag.NewNetwork(raw); err != nil {
		return nil, fmt.Errorf("new genesis: %w", err)
	}
	return raw, nil
}

// Load reads a network's genesis tx.json (a custom network, e.g. one made
// by NewNetwork) and returns the network. The file must hold the exact
// canonical bytes: the network ID is their hash.
func Load(path string) (*dag.Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, dag.MaxTxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read genesis %s: %w", path, err)
	}
	if len(raw) > dag.MaxTxSize {
		return nil, fmt.Errorf("read genesis %s: larger than %d bytes: not a tx.json", path, dag.MaxTxSize)
	}
	if n := len(raw); n > 0 && (raw[n-1] == '\n' || raw[n-1] == '\r') {
		return nil, fmt.Errorf("read genesis %s: the file ends with a line break; remove it: the network ID is the hash of the exact bytes", path)
	}
	net, err := dag.NewNetwork(raw)
	if err != nil {
		return nil, fmt.Errorf("read genesis %s: %w", path, err)
	}
	return net, nil
}

// NewNetwork creates a network: it builds its genesis (see New) and writes
// dir/tx.json and dir/tx.torrent (mode 0644; dir is created if needed).
// tx.json defines the network; tx.torrent is derived from it
// (dag.TorrentFile) for sharing it by BitTorrent. It refuses to overwrite
// either file (ErrExists) and leaves neither behind if it fails.
func NewNetwork(dir string, p dag.Params, alloc []Alloc, t time.Time) (*dag.Network, error) {
	raw, err := New(p, alloc, t)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("new network: %w", err)
	}
	txPath, torrentPath := filepath.Join(dir, TxFile), filepath.Join(dir, TorrentFile)
	if _, err := os.Lstat(torrentPath); err == nil {
		return nil, fmt.Errorf("new network: %s: %w", torrentPath, ErrExists)
	}
	if err := writeNew(txPath, raw); err != nil {
		return nil, err
	}
	if err := writeNew(torrentPath, dag.TorrentFile(raw)); err != nil {
		os.Remove(txPath)
		return nil, err
	}
	return dag.NewNetwork(raw)
}

func writeNew(path string, data []byte) error {
	if err := atomicfile.WriteNew(path, data, 0o644); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("new network: %s: %w", path, ErrExists)
		}
		return fmt.Errorf("new network: %w", err)
	}
	return nil
}
