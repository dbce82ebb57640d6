// Package web is the node's web wallet and explorer: HTML pages with their
// scripts and styles embedded in the binary (plain HTML, CSS and JavaScript
// modules, no build step, nothing loaded from elsewhere), served next to
// the local API by mounting a Server as api.Config.Fallback.
//
// Pages (the scripts fill them from the /v1/ API):
//
//	GET /                  wallet: address and QR code, balance, a payment request
//	                       (ttx: URI and its QR code), send form, history
//	GET /tx/{id}           a transaction: state, inputs, outputs, burn, memo,
//	                       conflicts, raw tx.json, magnet links, proof download
//	GET /address/{addr}    an address: balance and history
//	GET /dag               the recent DAG as a graph, updated live
//	GET /network           peers, digest, sync
//	GET /search?q=         to the tx or address page
//
// and the Server's own endpoints:
//
//	GET  /qr?text=         a QR code (SVG), drawn by the encoder in qr.go
//	GET  /events           Server-Sent Events: one "tx" event per committed change
//	POST /login            trade the API cookie for a session
//	POST /logout           end the session
//	GET  /static/…         the embedded assets
//
// # Sessions
//
// Spending from a page works the way Jupyter does it. New makes a one-time
// login token; ttx start prints LoginURL. Visiting it opens a session: an
// HttpOnly, SameSite=Strict cookie named after the server's port (browsers
// share cookies across the ports of a host), and a redirect to the same page
// without the token. Authorized, added to the API's Auth, accepts a request
// that carries an open session's cookie and comes from one of the Server's
// own pages (Origin, Sec-Fetch-Site): SameSite alone would let a page on
// another port of the same host spend. Without a session the pages are
// read-only: the send form is not in the HTML at all, and the API answers a
// spend with 401. A browser that lost its session can log in again by
// pasting the node's API cookie (<datadir>/.cookie) into the read-only
// page's form.
//
// # Invariants
//
//   - Every response carries a Content-Security-Policy that allows scripts,
//     styles, images and connections from the node's own origin only, and
//     forbids framing (no clickjacking of the send button).
//   - A login token works once; sessions live in memory (at most 64, the
//     oldest dropped first) and end with the process. The table holds the
//     SHA-256 of each session cookie, so lookups leak nothing useful.
//   - Money is never a float: the scripts do amounts in BigInt base units.
//   - A state is never shown by colour alone: each has an icon and a word.
//   - An event stream ends when its client goes, when the node closes, or
//     when the http.Server serving it shuts down (RegisterOnShutdown), so
//     streams never hold up a node's shutdown.
//
// # Errors
//
// New fails only if the system's random source does. The QR encoder
// returns ErrQRTooLong for text over 213 bytes (/qr answers 400). A page
// whose subject is malformed (not 64 hex digits, not an address's
// characters) is a 404 page; the API's errors are shown in the page.
package web
