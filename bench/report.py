"""Turns the result files of bench/peers.sh into markdown tables.

usage: report.py RESULTS_DIR

Each result file holds the output lines of one benchmark client:
`print MS ROWS` per run, `addrm MS ITERATIONS` per round, `reply_bytes N`, `rss BEFORE PEAK`
(KiB: resident memory after login, before the first command; the process's peak, VmHWM).
The memory target is read on the whole process's peak (the highest of its rounds); the figure
above the RSS before the print is shown too. `baseline.rev`, when present, names the revision
whose client ran as `replay-baseline*` (BASELINE=REV bash bench/peers.sh).
"""

import os
import statistics
import sys

PRINT_CLIENTS = [
    # (file, label, is ours)
    ("print-raw", "raw socket (floor: blocking std TcpStream + our codec)", False),
    ("print-ours", "**ours**: `Client::call`, rows collected (multi-thread runtime, as the bot)", True),
    ("print-ours-stream", "ours: `Client::stream`, rows counted as they arrive (multi-thread)", True),
    ("print-ours-ct", "ours: `Client::call`, current-thread runtime", True),
    ("print-librouteros", "Python librouteros 4.2.2", False),
    ("print-routeros_api", "Python RouterOS-api 0.21.0", False),
    ("print-node-routeros", "Node node-routeros 1.6.9", False),
]
PEERS = ["librouteros", "routeros_api", "node-routeros"]


def read(results, name):
    """Lines of a result file split into words, grouped by their first word; None if absent."""
    path = os.path.join(results, name + ".txt")
    if not os.path.exists(path):
        return None
    out = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if words:
                out.setdefault(words[0], []).append(words[1:])
    return out


def median(values):
    return statistics.median(values) if values else None


def mib(kib_or_bytes, unit="kib"):
    return kib_or_bytes / 1024 if unit == "kib" else kib_or_bytes / (1024 * 1024)


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def main():
    results = sys.argv[1]
    out = []

    # --- print all -----------------------------------------------------------------------
    raw = read(results, "print-raw") or {}
    reply_bytes = int(raw["reply_bytes"][-1][0]) if "reply_bytes" in raw else None
    medians = {}
    rows_seen = {}
    for name, _, _ in PRINT_CLIENTS:
        data = read(results, name)
        if data and "print" in data:
            medians[name] = median([float(w[0]) for w in data["print"]])
            rows_seen[name] = sorted({int(w[1]) for w in data["print"]})
    ours = medians.get("print-ours")
    runs = max((len((read(results, n) or {}).get("print", [])) for n, _, _ in PRINT_CLIENTS), default=0)
    rows = rows_seen.get("print-raw", ["?"])
    out.append(f"### Print all {rows[0]:,} secrets (`/ppp/secret/print`) over loopback" if rows != ["?"] else "### Print all secrets")
    out.append("")
    if reply_bytes:
        out.append(f"Reply on the wire: {reply_bytes:,} bytes ({mib(reply_bytes, 'bytes'):.2f} MiB), "
                   f"{rows[0]:,} `!re` sentences and `!done`. Median of {runs} runs per client, one connection each, same simulator.")
        out.append("")
    out.append("| client | median ms | time / ours | rows | peak RSS MiB (before the print) | peak RSS / reply | (peak − before) / reply |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, label, _ in PRINT_CLIENTS:
        data = read(results, name)
        if data is None or name not in medians:
            out.append(f"| {label} | failed | | | | | |")
            continue
        m = medians[name]
        ratio = "1" if name == "print-ours" else "n/a" if ours is None else f"{m / ours:.2f}"
        rss = data.get("rss")
        if rss:
            base, peak = int(rss[-1][0]), int(rss[-1][1])
            rss_text = f"{mib(peak):.1f} ({mib(base):.1f})"
            per_reply = f"{peak * 1024 / reply_bytes:.2f}x" if reply_bytes else "n/a"
            above = f"{(peak - base) * 1024 / reply_bytes:.2f}x" if reply_bytes else "n/a"
        else:
            rss_text, per_reply, above = "", "", ""
        out.append(f"| {label} | {fmt(m)} | {ratio} | {','.join(map(str, rows_seen[name]))} | {rss_text} | {per_reply} | {above} |")
    peer_medians = {p: medians.get("print-" + p) for p in PEERS if medians.get("print-" + p)}
    out.append("")
    if ours and peer_medians:
        fastest = min(peer_medians, key=peer_medians.get)
        speedup = peer_medians[fastest] / ours
        out.append(f"Target \"at least 10x faster than the fastest of them\": fastest peer is {fastest} "
                   f"({fmt(peer_medians[fastest])} ms); ours is {speedup:.1f}x faster: "
                   f"**{'met' if speedup >= 10 else 'not met'}**.")
    if reply_bytes:
        for name, what in [("print-ours", "`Client::call`, multi-thread"),
                           ("print-ours-stream", "`Client::stream`, multi-thread"),
                           ("print-ours-ct", "`Client::call`, current-thread")]:
            data = read(results, name) or {}
            if "rss" not in data:
                continue
            base, peak = (int(v) * 1024 for v in data["rss"][-1])
            out.append(f"Target \"peak memory of our process under 3x the reply's size\" ({what}): "
                       f"whole process's peak {peak / reply_bytes:.2f}x: **{'met' if peak < 3 * reply_bytes else 'not met'}** "
                       f"(above the RSS before the print: {(peak - base) / reply_bytes:.2f}x).")
    out.append("")

    # --- print all from the replay server: the client against the raw floor ----------------
    replay_raw = read(results, "replay-raw") or {}
    if "print" in replay_raw:
        replay_bytes = int(replay_raw["reply_bytes"][-1][0]) if "reply_bytes" in replay_raw else None
        floor = median([float(w[0]) for w in replay_raw["print"]])
        rows = sorted({int(w[1]) for w in replay_raw["print"]})
        out.append(f"### Print all {rows[0]:,} secrets from the replay server (the client's own cost)")
        out.append("")
        out.append("The server writes a reply encoded once, in memory, so the time is the client's: "
                   + (f"{replay_bytes:,} bytes on the wire. " if replay_bytes else "")
                   + "Medians of every run of every round, the clients alternating.")
        out.append("")
        out.append("| client | median ms | time / raw floor | target | peak RSS / reply |")
        out.append("|---|---:|---:|---|---:|")
        targets = {"replay-ours": 2.0, "replay-ours-stream": 1.5, "replay-ours-ct": 2.0}
        labels = [
            ("replay-raw", "raw socket (floor)"),
            ("replay-ours", "**ours**: `Client::call` (multi-thread)"),
            ("replay-ours-stream", "ours: `Client::stream` (multi-thread)"),
            ("replay-ours-ct", "ours: `Client::call`, current-thread"),
        ]
        baseline = os.path.join(results, "baseline.rev")
        if os.path.exists(baseline):
            with open(baseline) as f:
                rev = f.read().split()
            labels += [
                ("replay-baseline", f"before: `Client::call` of {' '.join(rev[1:])}"),
                ("replay-baseline-stream", f"before: `Client::stream` of {' '.join(rev[1:])}"),
            ]
        for name, label in labels:
            data = read(results, name) or {}
            if "print" not in data:
                out.append(f"| {label} | failed | | | |")
                continue
            m = median([float(w[0]) for w in data["print"]])
            ratio = m / floor
            target = targets.get(name)
            verdict = "" if target is None else f"under {target}x: **{'met' if ratio < target else 'not met'}**"
            mem = ""
            if "rss" in data and replay_bytes:
                peak = max(int(r[1]) for r in data["rss"]) * 1024
                mem = f"{peak / replay_bytes:.2f}x" + (" (target under 2x: **met**)" if name == "replay-ours" and peak < 2 * replay_bytes
                                                        else " (target under 2x: **not met**)" if name == "replay-ours" else "")
            out.append(f"| {label} | {fmt(m, 2)} | {ratio:.2f} | {verdict} | {mem} |")
        out.append("")

    # --- add + remove --------------------------------------------------------------------
    out.append("### Sequential add + remove round trips")
    out.append("")
    out.append("| client | iterations | rounds | median total ms | per add+remove µs | vs raw floor |")
    out.append("|---|---:|---:|---:|---:|---:|")
    per_pair = {}
    for name, label in [("addrm-raw", "raw socket (floor)"), ("addrm-ours", "**ours** (`Client::call`, multi-thread)"),
                        ("addrm-ours-ct", "ours, current-thread runtime")] + \
                       [("addrm-" + p, p) for p in PEERS]:
        data = read(results, name)
        if not data or "addrm" not in data:
            out.append(f"| {label} | failed | | | | |")
            continue
        totals = [float(w[0]) for w in data["addrm"]]
        iterations = int(data["addrm"][0][1])
        total = median(totals)
        per_pair[name] = total * 1e3 / iterations
        floor = per_pair.get("addrm-raw")
        vs = f"{per_pair[name] / floor:.2f}x" if floor and name != "addrm-raw" else ""
        out.append(f"| {label} | {iterations:,} | {len(totals)} | {fmt(total)} | {fmt(per_pair[name])} | {vs} |")
    out.append("")
    if "addrm-raw" in per_pair and "addrm-ours" in per_pair:
        r = per_pair["addrm-ours"] / per_pair["addrm-raw"]
        out.append(f"Target \"within 1.5x of the sim's own floor\": {r:.2f}x: **{'met' if r <= 1.5 else 'not met'}**.")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
