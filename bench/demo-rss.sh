#!/usr/bin/env bash
# Resident memory of `pppoe-bot demo`: peak RSS after start (no commands) and after 10,000
# scripted commands (adds, edits, checks, listings, restarts, deletes), measured with GNU time
# in one run. Target: under 30 MB. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p pppoe-bot
bin=target/release/pppoe-bot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=${1:-10000}
python3 - "$n" > "$work/commands.txt" <<'PY'
import sys
n = int(sys.argv[1])
ops = []
i = 0
while len(ops) < n:
    u = f"rss{i:05d}"
    ops += [
        f"addpppoe {u} password123 Basic",
        f"editpppoe {u} profile Premium",
        f"checkpppoe {u}",
        "checkpppoe john123",
        f"pppoe rss {1 + i % 5}",
        "restartpppoe john123",
        f"delpppoe {u} benchmark",
    ]
    i += 1
print("\n".join(ops[:n]))
PY

measure() { # label stdin-file
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" demo --db "$work/demo-$1.db" --rate-limit 1000000 \
    < "$2" > "$work/out-$1.txt" 2>/dev/null
  echo "$(( $(cat "$work/rss") / 1024 ))"
}
: > "$work/empty.txt"
start=$(measure start "$work/empty.txt")
after=$(measure run "$work/commands.txt")
rows=$("$bin" audit verify --db "$work/demo-run.db" | sed -n 's/audit log intact: \([0-9]*\) rows.*/\1/p')
echo "| measurement | peak RSS |"
echo "|---|---|"
echo "| demo after start (302 subscribers) | ${start} MB |"
echo "| demo after $n commands ($rows audit rows) | ${after} MB |"
