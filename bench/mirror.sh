#!/usr/bin/env bash
# The routeros-adapter mirror against listings from the router, with 20,000 secrets: first with
# routeros-sim in the bench's process (rows the router sent per listing, latency, the mirror's
# tables), then with routeros-sim as a process of its own (latency again, and the resident
# memory the mirror adds to the bot's side alone). Knobs: ROUNDS (30). Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p routeros-sim
cargo bench -q -p routeros-adapter --bench mirror --no-run

echo "== routeros-sim in the bench's process"
cargo bench -q -p routeros-adapter --bench mirror

echo
echo "== routeros-sim in a process of its own"
work=$(mktemp -d)
target/release/routeros-sim --listen 127.0.0.1:0 --seed-users 20000 --seed 42 --example-users \
  --user api --password api-secret > "$work/sim.out" &
sim=$!
trap 'kill "$sim" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/sim.out" && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$work/sim.out" | head -n 1)
[ -n "$addr" ] || { echo "routeros-sim did not start" >&2; exit 1; }
MIRROR_BENCH_ROUTER="$addr" cargo bench -q -p routeros-adapter --bench mirror
