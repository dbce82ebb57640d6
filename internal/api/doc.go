// Package api is the node's local HTTP JSON API (what cmd/ttx and the web UI
// use): a Server over a Backend that internal/node implements, the request
// and response types shared with the Client, and the cookie file.
//
// Endpoints (docs/API.md has examples):
//
//	GET  /v1/status             node and network summary
//	GET  /v1/balance/{addr}     an address's spendable balance
//	GET  /v1/history/{addr}     an address's transactions, newest first
//	GET  /v1/tx/{id}            one transaction: state, conflicts, children, raw, magnets
//	GET  /v1/tx/{id}/peers      "accepted by k of n, no conflict"
//	GET  /v1/peers              connected peers
//	POST /v1/send               pay from the node's wallet (cookie)
//	POST /v1/faucet             test coins from the faucet key (cookie)
//	GET  /v1/proof/{id}         a proof file (.torrent bytes)
//	POST /v1/proof              import a proof file (cookie)
//	POST /v1/tx                 add a transaction signed elsewhere (cookie)
//	GET  /metrics               Prometheus metrics, if the node serves them
//	GET  /v1/dag?limit=N        the most recent DAG slice, for drawing
//	GET  /v1/address            the node wallet's address
//
// # Invariants
//
//   - Money is never a JSON number: amounts are Amount objects
//     {"ttx":"1.5","units":"150000000"}, and a send's amount is a decimal
//     string.
//   - Reading is open to loopback clients; spending (send, faucet, proof
//     import, raw submit) needs the cookie token from <datadir>/.cookie (mode 0600,
//     rewritten at each start, removed on clean exit) as
//     "Authorization: Bearer <token>", compared in constant time, or
//     another Authenticator. Clients beyond loopback need it for all, and
//     so do requests whose Host is not a loopback name (a page that reached
//     the API through DNS rebinding).
//   - The Server parses every input before the Backend sees it: IDs,
//     addresses (with their checksum), amounts, limits, body sizes. A
//     send's rules (an amount above zero, the memo) are the wallet's, and
//     come back as its 400s.
//   - A client's mistake is a 4xx, never a 500.
//
// # Errors
//
// Every error response is {"error": message, "code": code}. A dag.RuleError
// maps to 400 (409 for ErrDoubleSpend) with its code name, dag.ErrNotFound
// to 404 ErrNotFound, a missing or wrong cookie to 401 ErrUnauthorized, a
// malformed request to 400 ErrBadRequest, a proof that does not verify to
// 400 ErrInvalidProof, the wallet's insufficient funds to 422; a Backend
// chooses any other status and code by returning an *Error (Backend lists
// the whole mapping). The Client returns *Error for
// error responses and *NotRunningError (wrapping ErrNotRunning) when
// nothing listens at the address.
package api
