package dag

// FinalizeMax is finalizeMax, for the tests of package dag_test.
const FinalizeMax = finalizeMax

// Queued is how many jobs wait for g's committer.
func Queued(g *Graph) int { return len(g.queue) }
