#!/usr/bin/env bash
# Resident memory of the bot's WhatsApp path (issue 10), two ways, release builds:
# 1. the `pppoe-bot run` binary itself, connected over a WebSocket to the WhatsApp test server
#    (examples/bot_rss.rs in wa-testserver): its own process's VmRSS, idle and after N commands
#    (default 1,000) from 4 technicians' phones;
# 2. one process wiring the same parts (examples/wa_memory.rs in whatsapp-adapter), with the
#    figure before the bot starts and the bot's share.
# Not run by CI. BOT_RSS_LOG=FILE keeps the bot's log.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
cargo build --release -p pppoe-bot
cargo build --release -p wa-testserver --example bot_rss
./target/release/examples/bot_rss ./target/release/pppoe-bot "$n" 4
cargo run --release -p whatsapp-adapter --example wa_memory -- "$n"
