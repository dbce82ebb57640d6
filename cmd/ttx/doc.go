// Command ttx is the TorrentTX node and wallet: `ttx start` runs a node,
// and the other commands talk to it through its local API (internal/api),
// except `ttx proof verify`, which checks a proof offline, and `ttx genesis
// new`, which creates a network's files.
//
// main only sets up signal handling and calls run(ctx, args, stdout,
// stderr), so tests run every command in-process. Each subcommand lives in
// its own file with its own flag.FlagSet (flags go before positional
// arguments). Settings resolve as defaults < <datadir>/config.json <
// TTX_* environment variables < flags (config.go).
//
// # Invariants
//
//   - No command but start and devnet opens the data dir's store: they go
//     through the node's API, whose cookie (<datadir>/.cookie) authorizes
//     spending.
//   - proof verify uses no data dir, config file or network.
//   - Amounts are parsed and printed as decimal strings, never floats.
//
// # Errors
//
// A failing command prints "Error: <message>" and, when there is one, a
// "Try: <hint>" line on stderr, and exits 1; -h and --help print usage on
// stdout and exit 0. ttx proof verify exits 2, with no Error line, when the
// proof is valid but does not show the payment final (an *exitError).
package main
