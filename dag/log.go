package dag

// Log attribute keys used by this package (slog), kept in one place so log
// lines stay greppable.
const (
	logSubsystem = "subsystem"
	logTx        = "tx"
	logPeer      = "peer"
	logCode      = "code"
	logErr       = "err"
	logCount     = "count"
)
