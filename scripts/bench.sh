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
# (Each table is also copied to stderr as it comes, so it shows as it runs.)
ours=$(target/server/cfi-bench --engine postgres --replicas 1 --count 20000 | tee /dev/stderr \
  | awk '$1 == 64 { print $2 }')
# PostgreSQL's own ceiling on this machine, in the same run: pgbench
# inserting one row shaped like a submission per transaction (autocommit,
# synchronous_commit on) into a scratch table, 64 clients, as above. Our
# submissions/s at 64 clients divided by this tps is the ratio to watch.
PG_URL=${CFI_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
scratch="cfi_pgbench_$$"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $scratch" -c "CREATE DATABASE $scratch"
psql -q "$PG_URL/$scratch" -c "CREATE TABLE raw_insert (id BIGSERIAL PRIMARY KEY, \
  reference TEXT NOT NULL UNIQUE, call_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, \
  body TEXT NOT NULL, submitted_at TEXT NOT NULL, UNIQUE (call_id, idempotency_key))"
script=$(mktemp)
cat >"$script" <<'SQL'
INSERT INTO raw_insert (reference, call_id, idempotency_key, body, submitted_at)
VALUES (md5(random()::text), 'bench', md5(random()::text),
        repeat('An idea of about the size of a real one. ', 12), now()::text);
SQL
echo "== pgbench: one-row INSERT per transaction, 64 clients, 15 s"
raw=$(PGOPTIONS='-c synchronous_commit=on' pgbench -n -M prepared -c 64 -j 2 -T 15 -f "$script" "$PG_URL/$scratch" \
  | grep -E '^(tps|latency average)' | tee /dev/stderr | awk '$1 == "tps" { print $3 }')
awk -v ours="$ours" -v raw="$raw" 'BEGIN { if (ours > 0 && raw > 0)
  printf "== PostgreSQL at 64 clients: ours %d submissions/s, pgbench %d tps: %.0f %% of raw\n", ours, raw, 100 * ours / raw }'
rm -f "$script"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $scratch"
target/server/cfi-bench --engine postgres --replicas 2 --count 20000
# The review team's full CSV export and searches over 100,000 submissions.
target/server/cfi-bench --admin --engine sqlite --count 100000
target/server/cfi-bench --admin --engine postgres --count 100000
# The analyses over a planted corpus of 100,000 ideas: campaign detection's
# precision and recall against the planted truth, and the staff's analysis
# pages and API cold and warm.
target/server/cfi-bench --analysis --engine sqlite --count 100000
target/server/cfi-bench --analysis --engine postgres --count 100000
# The same once every idea is read for meaning: groups and similar ideas
# blend words and meaning (384 more numbers per idea).
target/server/cfi-bench --analysis --engine sqlite --count 100000 --meaning
# Groups, similar ideas and suggested codes against people's codes on real
# public text (patient comments coded by NHS staff): words, meaning, blend.
target/server/cfi-bench --quality
# The safeguarding net on its labelled set: the threshold sweeps on the
# tuning part, then the confusion matrix per category on the held-out part,
# beside the phrases alone and the substring match it replaced.
target/server/cfi-bench --safeguarding
# The embeddings worker: ideas read per second at each thread count, and
# submission latency at a steady rate while it reads a backlog of 2,000
# seeded submissions, beside the same without it, with resident memory.
target/server/cfi-bench --embeddings --count 2000
# Campaign detection alone over one campaign of 2,000, 4,000 and 20,000
# near-copies with small edits beside 1,000 other ideas, each in a fresh
# process: its time and peak memory, beside the time only to sign the texts.
target/server/cfi-bench --campaigns
# 96 concurrent anonymous readers of each published format over 20,000
# submissions: the server's resident memory and /healthz latency.
target/server/cfi-bench --published --engine sqlite --count 20000
target/server/cfi-bench --published --engine postgres --count 20000
# Fuzzing the shared rules (nightly toolchain, bounded): any crash found is
# saved under fuzz/artifacts/ and must become a regression test in rules/.
if rustup toolchain list | grep -q '^nightly'; then
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
  for target in parse_submission count_words; do
    echo "== fuzzing $target for 60 s"
    (cd fuzz && cargo +nightly fuzz run "$target" -- -max_total_time=60 -print_final_stats=1 2>&1 \
      | grep -E 'stat::number_of_executed_units|stat::peak_rss|Done|ERROR|panicked' || true)
  done
else
  echo "fuzzing skipped: no nightly toolchain (rustup toolchain install nightly)"
fi
# The widget beside a plain HTML form of its start screen, on a phone
# profile and on loopback; twiggy (optional) breaks the wasm down.
if [ -f scripts/bench-widget.mjs ]; then
  ./scripts/build-widget.sh >/dev/null
  cargo build --profile server -p cfi-demo
  command -v twiggy >/dev/null || cargo install twiggy --locked || echo "twiggy could not be installed: no wasm breakdown"
  node scripts/bench-widget.mjs
fi
