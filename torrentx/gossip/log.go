package gossip

// Log attribute keys (slog).
const (
	logSubsystem = "subsystem"
	logPeer      = "peer"
	logTx        = "tx"
	logType      = "type"
	logErr       = "err"
	logScore     = "score"
)
