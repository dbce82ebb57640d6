package ttxtest

// DataDir returns the named node's data dir, running or stopped: its store
// is the file node.StoreFile inside it.
func (n *Network) DataDir(name string) string {
	n.t.Helper()
	return n.member(name).dir
}
