#!/usr/bin/env bash
# Ten minutes at a steady 500 submissions/s on SQLite, printing the server's
# memory and latency every minute. Arguments are passed to cfi-bench
# (e.g. --engine postgres, --rate 1000, --soak 120).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
cargo build --profile server -p cfi-server --bins
exec target/server/cfi-bench --soak 600 --rate 500 --report-every 60 "$@"
