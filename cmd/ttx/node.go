package main

import (
	"context"
	"errors"
)

// errNodeNotWired is what runNode returns until internal/node exists.
var errNodeNotWired = errors.New("running a node is not wired yet: internal/node does not exist in this build")

// runNode runs one node with o until ctx is done, then shuts it down
// cleanly (the API server removes its cookie file).
//
// LEAD: this is the one call into internal/node. Replace the body with the
// node wiring (open the store in o.Config.DataDir, start torrentx, the
// Graph and api.Server on o.Config.API with CookieDir = o.Config.DataDir);
// ttx start and ttx devnet need nothing else.
func runNode(ctx context.Context, o nodeOptions) error {
	return errNodeNotWired
}
