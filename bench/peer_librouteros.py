"""Benchmark client for bench/peers.sh: Python librouteros, used as its documentation shows.

usage: peer_librouteros.py print|add-remove HOST PORT USER PASSWORD COUNT

print:      /ppp/secret/print COUNT times on one connection; one line `print MS ROWS` per run.
add-remove: add a secret and remove it, COUNT times in sequence; one line `addrm MS COUNT`.
Ends with `rss BASELINE_KIB PEAK_KIB` (after login; peak of the process).
"""

import sys
import time

from librouteros import connect

from peer_common import rss_kib


def main():
    mode, host, port, user, password, count = sys.argv[1:7]
    count = int(count)
    api = connect(host=host, username=user, password=password, port=int(port), timeout=300)
    baseline, _ = rss_kib()
    if mode == "print":
        for _ in range(count):
            start = time.perf_counter()
            rows = list(api("/ppp/secret/print"))
            print(f"print {(time.perf_counter() - start) * 1e3:.3f} {len(rows)}", flush=True)
            del rows
    elif mode == "add-remove":
        secrets = api.path("ppp", "secret")
        start = time.perf_counter()
        for i in range(count):
            new_id = secrets.add(name=f"bench-librouteros-{i}", password="Bench-Pass-1", service="pppoe", profile="Basic")
            secrets.remove(new_id)
        print(f"addrm {(time.perf_counter() - start) * 1e3:.3f} {count}", flush=True)
    else:
        raise SystemExit(__doc__)
    api.close()
    print("rss %d %d" % (baseline, rss_kib()[1]))


if __name__ == "__main__":
    main()
