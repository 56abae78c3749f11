#!/usr/bin/env bash
# Prints the numbers behind the speed and size targets; asserts nothing.
#   scripts/bench.sh                      SQLite, then PostgreSQL with 1 and 2 replicas
#   scripts/bench.sh --engine sqlite ...  only what the arguments say (see cfi-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
cargo build --profile server -p cfi-server --bins
if [ $# -gt 0 ]; then
  exec target/server/cfi-bench "$@"
fi
target/server/cfi-bench --engine sqlite --count 20000
target/server/cfi-bench --engine postgres --replicas 1 --count 20000
target/server/cfi-bench --engine postgres --replicas 2 --count 20000
if [ -f scripts/bench-widget.mjs ]; then
  ./scripts/build-widget.sh >/dev/null
  node scripts/bench-widget.mjs
fi
