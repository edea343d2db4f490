# Convenience recipes. Never required: README commands use cargo only.

# What CI runs (.ci/run), exactly.
ci:
    bash .ci/run

test:
    cargo test --workspace

demo:
    cargo run --release -p pppoe-bot -- demo

# Engine benchmark (criterion); figures in docs/benchmarks.md.
bench:
    cargo bench -p pppoe-core --bench engine

# Rewrite the golden reply texts after an intended change; review the diff.
golden:
    UPDATE_GOLDEN=1 cargo test -p pppoe-core --test engine golden
