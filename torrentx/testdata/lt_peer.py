"""A libtorrent peer for torrentx's interop tests (run with /usr/bin/python3).

  lt_peer.py get <magnet> <host:port> <outdir> <timeout-seconds>
      Download the magnet from the peer at host:port into outdir; print
      "done" when seeding. Exit 2 on timeout, 3 on a torrent error.
  lt_peer.py seed <file.torrent> <dir> <timeout-seconds>
      Seed the torrent from dir (which holds its file); print "port <n>"
      once seeding, then run until stdin closes or the timeout passes.

Loopback only: no DHT, LSD, UPnP, NAT-PMP or uTP; plaintext connections.
"""
import os
import sys
import threading
import time

import libtorrent as lt


def session():
    return lt.session({
        'listen_interfaces': '127.0.0.1:0',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'enable_outgoing_utp': False,
        'enable_incoming_utp': False,
        'out_enc_policy': int(lt.enc_policy.disabled),
        'tick_interval': 20,
        'alert_mask': lt.alert.category_t.error_notification,
    })


def wait_seeding(s, h, deadline, poll=None):
    """Waits until h seeds, calling poll() (if given) every round; exits
    the process on a torrent error or at the deadline."""
    while time.time() < deadline:
        st = h.status()
        if st.errc.value() != 0:
            print('error', st.errc.message(), flush=True)
            sys.exit(3)
        for a in s.pop_alerts():
            if isinstance(a, lt.torrent_error_alert):
                print('error', a.message(), flush=True)
                sys.exit(3)
        if poll:
            poll()
        if st.is_seeding:
            return
        time.sleep(0.01)
    print('timeout', h.status().state, flush=True)
    sys.exit(2)


def get(magnet, peer, outdir, timeout):
    s = session()
    atp = lt.parse_magnet_uri(magnet)
    atp.save_path = outdir
    h = s.add_torrent(atp)
    host, port = peer.rsplit(':', 1)
    h.connect_peer((host, int(port)))
    wait_seeding(s, h, time.time() + timeout)
    print('done', flush=True)


def seed(torrent, d, timeout):
    s = session()
    h = s.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': d})
    wait_seeding(s, h, time.time() + timeout)
    print('port', s.listen_port(), flush=True)
    t = threading.Thread(target=sys.stdin.read, daemon=True)
    t.start()
    t.join(timeout)


def main():
    mode = sys.argv[1]
    if mode == 'get':
        get(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif mode == 'seed':
        seed(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
