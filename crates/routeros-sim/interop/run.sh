#!/usr/bin/env bash
# Interop: unchanged third-party RouterOS API clients against routeros-sim, the proof that the
# simulator speaks RouterOS.
#
#   Python librouteros          (PyPI librouteros)
#   Python routeros_api         (PyPI RouterOS-api)
#   Node   node-routeros        (npm node-routeros)
#
# Each client logs in, lists profiles, adds a secret, sets its profile, prints it by query,
# kicks an active session (/ppp/active/remove), removes the secret, gets the trap on a
# duplicate add, and logs in to a second simulator that emulates RouterOS < 6.43 (MD5
# challenge). Each client gets a fresh simulator (--example-users: john123 is online).
#
# node-routeros runs against `--no-empty` (RouterOS before 7.18): node-routeros 1.6.9 does not
# know the `!empty` reply that RouterOS 7.18+ sends for an empty print; its Channel throws
# RosException UNKNOWNREPLY ("Tried to process unknown reply: !empty") from an event handler,
# an uncaught exception that kills the Node process (checked against this simulator). That is
# the bug users of that library hit on real 7.18 routers, not a defect of the simulator. The
# Python clients run against the default RouterOS 7.18 behaviour, `!empty` included.
#
# Clients are installed, at pinned versions, under $INTEROP_DIR (default
# ${TMPDIR:-/tmp}/routeros-sim-interop); nothing is installed system-wide. Prints one PASS/FAIL
# line per client and ends with "N passed, M failed"; exits non-zero on any failure.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${INTEROP_DIR:-${TMPDIR:-/tmp}/routeros-sim-interop}
USER_NAME=admin
PASSWORD=interop-Pass-1
LIBROUTEROS_VERSION=4.2.2
ROUTEROS_API_VERSION=0.21.0
NODE_ROUTEROS_VERSION=1.6.9
CLIENT_TIMEOUT=120

mkdir -p "$WORK/py" "$WORK/node" "$WORK/logs"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
}
trap cleanup EXIT

passed=0
failed=0
result() { # NAME OK|FAIL [why]
    if [[ $2 == OK ]]; then
        echo "PASS $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1${3:+ ($3)}"
        failed=$((failed + 1))
    fi
}

# --- install the clients --------------------------------------------------------------------
python_ok=1
if [[ ! -f "$WORK/py/.installed-$LIBROUTEROS_VERSION-$ROUTEROS_API_VERSION" ]]; then
    echo "installing librouteros==$LIBROUTEROS_VERSION RouterOS-api==$ROUTEROS_API_VERSION into $WORK/py"
    if python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --upgrade \
        --target "$WORK/py" "librouteros==$LIBROUTEROS_VERSION" "RouterOS-api==$ROUTEROS_API_VERSION" \
        >"$WORK/logs/pip.log" 2>&1; then
        touch "$WORK/py/.installed-$LIBROUTEROS_VERSION-$ROUTEROS_API_VERSION"
    else
        python_ok=0
        tail -n 20 "$WORK/logs/pip.log"
    fi
fi
node_ok=1
if [[ ! -f "$WORK/node/node_modules/node-routeros/package.json" ]] \
    || ! grep -q "\"version\": \"$NODE_ROUTEROS_VERSION\"" "$WORK/node/node_modules/node-routeros/package.json"; then
    echo "installing node-routeros@$NODE_ROUTEROS_VERSION into $WORK/node"
    [[ -f "$WORK/node/package.json" ]] || echo '{"name":"routeros-sim-interop","private":true}' >"$WORK/node/package.json"
    if ! (cd "$WORK/node" && npm install --no-audit --no-fund --silent "node-routeros@$NODE_ROUTEROS_VERSION") \
        >"$WORK/logs/npm.log" 2>&1; then
        node_ok=0
        tail -n 20 "$WORK/logs/npm.log"
    fi
fi

# --- build the simulator --------------------------------------------------------------------
cd "$HERE"
if ! cargo build --quiet -p routeros-sim --bin routeros-sim; then
    echo "FAIL building routeros-sim"
    echo "0 passed, 3 failed"
    exit 1
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
BIN=$TARGET_DIR/debug/routeros-sim

# start_sim LABEL [options...]: starts a simulator on a free port; sets SIM_PORT.
start_sim() {
    local label=$1
    shift
    local out="$WORK/logs/sim-$label.out"
    : >"$out"
    "$BIN" --listen 127.0.0.1:0 --user "$USER_NAME" --password "$PASSWORD" "$@" >"$out" 2>&1 &
    PIDS+=($!)
    SIM_PORT=
    local line
    for _ in $(seq 1 300); do
        line=$(head -n 1 "$out")
        if [[ $line == "listening on "* ]]; then
            SIM_PORT=${line##*:}
            return 0
        fi
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "simulator $label did not start:"
    cat "$out"
    return 1
}

if ! start_sim legacy --legacy-login --example-users; then
    echo "0 passed, 3 failed"
    exit 1
fi
LEGACY_PORT=$SIM_PORT

# run_client NAME INSTALLED SIM-OPTIONS -- COMMAND...
run_client() {
    local name=$1 installed=$2
    shift 2
    local sim_options=()
    while [[ $1 != -- ]]; do
        sim_options+=("$1")
        shift
    done
    shift
    echo "== $name"
    if [[ $installed != 1 ]]; then
        result "$name" FAIL "could not be installed"
        return
    fi
    if ! start_sim "$name" --seed-users 50 --example-users "${sim_options[@]}"; then
        result "$name" FAIL "simulator did not start"
        return
    fi
    if timeout "$CLIENT_TIMEOUT" "$@" 127.0.0.1 "$SIM_PORT" "$LEGACY_PORT" "$USER_NAME" "$PASSWORD"; then
        result "$name" OK
    else
        result "$name" FAIL "exit $?"
    fi
}

run_client librouteros "$python_ok" -- env PYTHONPATH="$WORK/py" python3 "$HERE/librouteros_check.py"
run_client routeros_api "$python_ok" -- env PYTHONPATH="$WORK/py" python3 "$HERE/routeros_api_check.py"
run_client node-routeros "$node_ok" --no-empty -- env NODE_PATH="$WORK/node/node_modules" node "$HERE/node_routeros_check.js"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
