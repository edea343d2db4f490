#!/usr/bin/env bash
# Resident memory of the bot's WhatsApp path (issue 10): the real whatsapp-rust client, the
# adapter, the engine, routeros-sim and the SQLite audit log, connected to the WhatsApp test
# server, idle and after N commands (default 1,000) from a technician's phone. One process:
# the script prints the figure before the bot starts and the bot's share. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -p whatsapp-adapter --example wa_memory -- "${1:-1000}"
