#!/usr/bin/env bash
# Benchmarks of the RouterOS stack against third-party clients, over loopback.
#
#   bash bench/peers.sh
#
# Starts ONE routeros-sim seeded with $USERS (20,000) subscribers and, against it, in this order:
#
# 1. print all secrets ($RUNS runs per client, one connection per client): a raw-socket floor,
#    our client (collecting rows, streaming them, and on a current-thread runtime), Python
#    librouteros and RouterOS-api, npm node-routeros; then the same print from the replay
#    server (crates/routeros-api/examples/replay_server.rs), which writes a reply encoded once
#    in memory, so that the client's own cost is measured against the raw floor (the
#    simulator spends about 15 ms producing the reply);
# 2. $ADDRM sequential add+remove round trips, our client against a raw-socket floor,
#    alternated over $ROUNDS rounds;
# 3. $PEER_ADDRM sequential add+remove round trips for each third-party client.
#
# With BASELINE set to a git revision (e.g. BASELINE=6d65a54), the bench_client of that
# revision is built too (in a worktree under $BENCH_DIR) and takes part in the replay rounds,
# alternating with ours: a before/after measured side by side in one run.
#
# Prints markdown tables (medians, ratios, peak memory against the reply's size on the wire)
# and keeps the raw outputs under $BENCH_DIR/results. Our clients are built in release mode;
# the third-party ones are installed, at pinned versions, under $BENCH_DIR (default
# ${TMPDIR:-/tmp}/pppoe-bench) with pip --target and npm, nothing system-wide. Needs cargo,
# python3 with pip, node with npm. Not run by CI: figures from a shared machine are noisy, so
# read them as ratios from one run.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/pppoe-bench}
RESULTS=$WORK/results
USERS=${USERS:-20000}
RUNS=${RUNS:-5}
ADDRM=${ADDRM:-1000}
ROUNDS=${ROUNDS:-3}
PEER_ADDRM=${PEER_ADDRM:-100}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-900}
USER_NAME=bench
PASSWORD=bench-Pass-1
LIBROUTEROS_VERSION=4.2.2
ROUTEROS_API_VERSION=0.21.0
NODE_ROUTEROS_VERSION=1.6.9

mkdir -p "$WORK/py" "$WORK/node" "$WORK/logs"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
SIM_PID=
REPLAY_PID=
cleanup() {
    for pid in $SIM_PID $REPLAY_PID; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}
trap cleanup EXIT

# --- install the third-party clients ---------------------------------------------------------
python_ok=1
if [[ ! -f "$WORK/py/.installed-$LIBROUTEROS_VERSION-$ROUTEROS_API_VERSION" ]]; then
    echo "installing librouteros==$LIBROUTEROS_VERSION RouterOS-api==$ROUTEROS_API_VERSION into $WORK/py" >&2
    if python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --upgrade \
        --target "$WORK/py" "librouteros==$LIBROUTEROS_VERSION" "RouterOS-api==$ROUTEROS_API_VERSION" \
        >"$WORK/logs/pip.log" 2>&1; then
        touch "$WORK/py/.installed-$LIBROUTEROS_VERSION-$ROUTEROS_API_VERSION"
    else
        python_ok=0
        tail -n 20 "$WORK/logs/pip.log" >&2
    fi
fi
node_ok=1
if [[ ! -f "$WORK/node/node_modules/node-routeros/package.json" ]] \
    || ! grep -q "\"version\": \"$NODE_ROUTEROS_VERSION\"" "$WORK/node/node_modules/node-routeros/package.json"; then
    echo "installing node-routeros@$NODE_ROUTEROS_VERSION into $WORK/node" >&2
    [[ -f "$WORK/node/package.json" ]] || echo '{"name":"pppoe-bench","private":true}' >"$WORK/node/package.json"
    if ! (cd "$WORK/node" && npm install --no-audit --no-fund --silent "node-routeros@$NODE_ROUTEROS_VERSION") \
        >"$WORK/logs/npm.log" 2>&1; then
        node_ok=0
        tail -n 20 "$WORK/logs/npm.log" >&2
    fi
fi

# --- build the simulator and our client ------------------------------------------------------
cd "$ROOT"
echo "building routeros-sim and the bench_client example (release)" >&2
if ! cargo build --release --quiet -p routeros-sim --bin routeros-sim -p routeros-api --example bench_client --example replay_server; then
    echo "build failed" >&2
    exit 1
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
SIM=$TARGET_DIR/release/routeros-sim
OURS=$TARGET_DIR/release/examples/bench_client
REPLAY=$TARGET_DIR/release/examples/replay_server
BASE_CLIENT=
if [[ -n ${BASELINE:-} ]]; then
    echo "building the bench_client of $BASELINE (release)" >&2
    rm -rf "$WORK/baseline"
    git -C "$ROOT" worktree prune
    if git -C "$ROOT" worktree add --quiet --detach "$WORK/baseline" "$BASELINE" \
        && (cd "$WORK/baseline" && CARGO_TARGET_DIR="$WORK/baseline-target" \
            cargo build --release --quiet -p routeros-api --example bench_client); then
        BASE_CLIENT=$WORK/baseline-target/release/examples/bench_client
        echo "$BASELINE $(git -C "$ROOT" log -1 --format='%h %cs' "$BASELINE")" >"$RESULTS/baseline.rev"
    else
        echo "could not build the baseline $BASELINE" >&2
        exit 1
    fi
    git -C "$ROOT" worktree remove --force "$WORK/baseline"
fi

# --- start one simulator -----------------------------------------------------------------------
SIM_OUT=$WORK/logs/sim.out
: >"$SIM_OUT"
"$SIM" --listen 127.0.0.1:0 --user "$USER_NAME" --password "$PASSWORD" --seed-users "$USERS" >"$SIM_OUT" 2>&1 &
SIM_PID=$!
PORT=
for _ in $(seq 1 600); do
    line=$(head -n 1 "$SIM_OUT")
    if [[ $line == "listening on "* ]]; then
        PORT=${line##*:}
        break
    fi
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $PORT ]]; then
    echo "the simulator did not start:" >&2
    cat "$SIM_OUT" >&2
    exit 1
fi
echo "routeros-sim with $USERS subscribers on 127.0.0.1:$PORT" >&2

# bench NAME INSTALLED COMMAND...: runs a client, its output appended to $RESULTS/NAME.txt.
failed=0
bench() {
    local name=$1 installed=$2
    shift 2
    if [[ $installed != 1 ]]; then
        echo "  $name: not installed, skipped" >&2
        failed=$((failed + 1))
        return
    fi
    echo "  $name" >&2
    if ! timeout "$CLIENT_TIMEOUT" "$@" >>"$RESULTS/$name.txt" 2>>"$WORK/logs/$name.err"; then
        echo "  $name FAILED (see $WORK/logs/$name.err)" >&2
        tail -n 5 "$WORK/logs/$name.err" >&2
        failed=$((failed + 1))
    fi
}
TARGET=(127.0.0.1 "$PORT" "$USER_NAME" "$PASSWORD")
PY=(env PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$WORK/py:$HERE" python3)
NODE=(env NODE_PATH="$WORK/node/node_modules" node)

echo "print all ($RUNS runs each)" >&2
bench print-raw 1 "$OURS" print raw "${TARGET[@]}" "$RUNS"
bench print-ours 1 "$OURS" print ours "${TARGET[@]}" "$RUNS"
bench print-ours-stream 1 "$OURS" print ours-stream "${TARGET[@]}" "$RUNS"
bench print-ours-ct 1 env BENCH_CURRENT_THREAD=1 "$OURS" print ours "${TARGET[@]}" "$RUNS"
bench print-librouteros "$python_ok" "${PY[@]}" "$HERE/peer_librouteros.py" print "${TARGET[@]}" "$RUNS"
bench print-routeros_api "$python_ok" "${PY[@]}" "$HERE/peer_routeros_api.py" print "${TARGET[@]}" "$RUNS"
bench print-node-routeros "$node_ok" "${NODE[@]}" "$HERE/peer_node_routeros.js" print "${TARGET[@]}" "$RUNS"

# --- the same print from the replay server: the client's own cost -----------------------------
REPLAY_OUT=$WORK/logs/replay.out
: >"$REPLAY_OUT"
"$REPLAY" "$USERS" >"$REPLAY_OUT" 2>&1 &
REPLAY_PID=$!
REPLAY_PORT=
for _ in $(seq 1 600); do
    line=$(head -n 1 "$REPLAY_OUT")
    if [[ $line == "listening "* ]]; then
        REPLAY_PORT=${line##* }
        break
    fi
    kill -0 "$REPLAY_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $REPLAY_PORT ]]; then
    echo "the replay server did not start:" >&2
    cat "$REPLAY_OUT" >&2
    exit 1
fi
REPLAY_TARGET=(127.0.0.1 "$REPLAY_PORT" "$USER_NAME" "$PASSWORD")
echo "print all from the replay server ($RUNS runs each, alternating over $ROUNDS rounds)" >&2
for _ in $(seq 1 "$ROUNDS"); do
    bench replay-raw 1 "$OURS" print raw "${REPLAY_TARGET[@]}" "$RUNS"
    bench replay-ours 1 "$OURS" print ours "${REPLAY_TARGET[@]}" "$RUNS"
    bench replay-ours-stream 1 "$OURS" print ours-stream "${REPLAY_TARGET[@]}" "$RUNS"
    bench replay-ours-ct 1 env BENCH_CURRENT_THREAD=1 "$OURS" print ours "${REPLAY_TARGET[@]}" "$RUNS"
    if [[ -n $BASE_CLIENT ]]; then
        bench replay-baseline 1 "$BASE_CLIENT" print ours "${REPLAY_TARGET[@]}" "$RUNS"
        bench replay-baseline-stream 1 "$BASE_CLIENT" print ours-stream "${REPLAY_TARGET[@]}" "$RUNS"
    fi
done
kill "$REPLAY_PID" 2>/dev/null
wait "$REPLAY_PID" 2>/dev/null
REPLAY_PID=

echo "add+remove x $ADDRM ($ROUNDS rounds, alternating)" >&2
for _ in $(seq 1 "$ROUNDS"); do
    bench addrm-raw 1 "$OURS" add-remove raw "${TARGET[@]}" "$ADDRM"
    bench addrm-ours 1 "$OURS" add-remove ours "${TARGET[@]}" "$ADDRM"
    bench addrm-ours-ct 1 env BENCH_CURRENT_THREAD=1 "$OURS" add-remove ours "${TARGET[@]}" "$ADDRM"
done

echo "add+remove x $PEER_ADDRM, third-party clients" >&2
bench addrm-librouteros "$python_ok" "${PY[@]}" "$HERE/peer_librouteros.py" add-remove "${TARGET[@]}" "$PEER_ADDRM"
bench addrm-routeros_api "$python_ok" "${PY[@]}" "$HERE/peer_routeros_api.py" add-remove "${TARGET[@]}" "$PEER_ADDRM"
bench addrm-node-routeros "$node_ok" "${NODE[@]}" "$HERE/peer_node_routeros.js" add-remove "${TARGET[@]}" "$PEER_ADDRM"

# --- report ------------------------------------------------------------------------------------
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null); $(rustc --version 2>/dev/null), Python $(python3 -c 'import platform; print(platform.python_version())'), Node $(node --version 2>/dev/null)."
echo
python3 "$HERE/report.py" "$RESULTS"
echo "Raw outputs: $RESULTS" >&2
[[ $failed -eq 0 ]]
