// torrent-stream (from the npm registry) as a user's client, for the client
// matrix test (run with node; NODE_PATH names the node_modules holding it).
//
//   node js_client.js <magnet> <host:port> <outdir> <timeout-seconds>
//
// Downloads the magnet's torrent (v1, TCP) from the peer at host:port into
// outdir and prints "done" once its file is complete. DHT and trackers are
// off, so nothing leaves loopback. Exit 2 on timeout, 3 on an error.
const torrentStream = require('torrent-stream')

const [magnet, peer, outdir, timeout] = process.argv.slice(2)
const engine = torrentStream(magnet, { dht: false, tracker: false, path: outdir, tmp: outdir, verify: true })
const timer = setTimeout(() => {
  console.log('timeout')
  process.exit(2)
}, Number(timeout) * 1000)
engine.on('error', (err) => {
  console.log('error', err.message)
  process.exit(3)
})
engine.on('ready', () => {
  engine.files.forEach((f) => f.select())
})
engine.on('idle', () => {
  if (!engine.files.length) return
  clearTimeout(timer)
  engine.destroy(() => {
    console.log('done')
    process.exit(0)
  })
})
engine.connect(peer)
