"""libtorrent on its default settings, as a user's client (run with /usr/bin/python3).

  lt_client.py <magnet> <outdir> <timeout-seconds> [dht-bootstrap host:port]

Adds the magnet and nothing else: no connect_peer, so the peers come from
the magnet's x.pe and, with a bootstrap node, the DHT (the magnet is added
once the DHT has bootstrapped). Prints "done" when
seeding, with the peer transports seen (utp, tcp); exit 2 on timeout, 3 on
a torrent error.

Every setting is libtorrent's default (uTP and TCP in and out, encryption
enabled, DHT on when a bootstrap node is given) except what keeps the run
on loopback: it listens on 127.0.0.1, local service discovery, UPnP and
NAT-PMP are off, and the DHT starts from the given node only.
"""
import sys
import time

import libtorrent as lt

sys.dont_write_bytecode = True  # no __pycache__ in testdata
from lt_peer import wait_seeding  # noqa: E402

# peer_info::utp_socket (bit 17); the Python binding does not export it.
UTP_SOCKET = 1 << 17


def wait_dht(s, deadline):
    """Waits until the DHT has bootstrapped, as it has in a client that
    runs for a while before it is handed a magnet: a torrent added before
    that may make no DHT lookup for many minutes."""
    while time.time() < deadline:
        if any(isinstance(a, lt.dht_bootstrap_alert) for a in s.pop_alerts()):
            return
        time.sleep(0.01)
    print('timeout dht bootstrap', flush=True)
    sys.exit(2)


def main():
    magnet, outdir, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    boot = sys.argv[4] if len(sys.argv) > 4 else ''
    s = lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_dht': bool(boot),
        'dht_bootstrap_nodes': boot,
        'alert_mask': lt.alert.category_t.error_notification | lt.alert.category_t.dht_notification,
    })
    deadline = time.time() + timeout
    if boot:
        wait_dht(s, deadline)
    atp = lt.parse_magnet_uri(magnet)
    atp.save_path = outdir
    h = s.add_torrent(atp)
    transports = set()

    def poll():
        for p in h.get_peer_info():
            transports.add('utp' if int(p.flags) & UTP_SOCKET else 'tcp')

    wait_seeding(s, h, deadline, poll)
    print('done', ' '.join(sorted(transports)), flush=True)


if __name__ == '__main__':
    main()
