"""Benchmark client for bench/peers.sh: Python RouterOS-api (module routeros_api), used as its
documentation shows.

usage: peer_routeros_api.py print|add-remove HOST PORT USER PASSWORD COUNT

Output as peer_librouteros.py.
"""

import sys
import time

import routeros_api

from peer_common import rss_kib


def main():
    mode, host, port, user, password, count = sys.argv[1:7]
    count = int(count)
    pool = routeros_api.RouterOsApiPool(host, username=user, password=password, port=int(port), plaintext_login=True)
    api = pool.get_api()
    baseline, _ = rss_kib()
    secrets = api.get_resource("/ppp/secret")
    if mode == "print":
        for _ in range(count):
            start = time.perf_counter()
            rows = secrets.get()
            print(f"print {(time.perf_counter() - start) * 1e3:.3f} {len(rows)}", flush=True)
            del rows
    elif mode == "add-remove":
        start = time.perf_counter()
        for i in range(count):
            added = secrets.add(name=f"bench-routeros-api-{i}", password="Bench-Pass-1", service="pppoe", profile="Basic")
            secrets.remove(id=added.done_message["ret"])
        print(f"addrm {(time.perf_counter() - start) * 1e3:.3f} {count}", flush=True)
    else:
        raise SystemExit(__doc__)
    pool.disconnect()
    print("rss %d %d" % (baseline, rss_kib()[1]))


if __name__ == "__main__":
    main()
