package gossip

// Log attribute keys (slog).
const (
	logSubsystem = "subsystem"
	logPeer      = "peer"
	logTx        = "tx"
	logType      = "type"
	logCode      = "code"
	logErr       = "err"
	logCount     = "count"
	logScore     = "score"
)
