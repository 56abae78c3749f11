#!/usr/bin/env bash
# Runs schemathesis against a real server (fresh SQLite database, port 0)
# using the server's own OpenAPI description, with a bounded number of
# examples: no 5xx, and every response must match the description.
#   scripts/schemathesis.sh [EXAMPLES]    (default 60 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-60}"
command -v st >/dev/null || python3 -m pip install --quiet schemathesis
cargo build -q --workspace --bins

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/review.toml" <<TOML
bind = "127.0.0.1:0"
database_url = "sqlite://$work/st.sqlite"
review_origins = ["https://review.example"]
[rate_limit]
submissions_per_minute = 1000000
burst = 1000000
[[partners]]
id = "become"
name = "Become"
origins = ["https://www.become.example"]
[[calls]]
id = "call-for-ideas"
title = "Call for Ideas"
opens = "2020-01-01T09:00"
closes = "2099-12-15T17:00"
privacy_notice_url = "https://review.example/privacy"
themes = [{ id = "leaving_care", label = "Leaving care" }]
TOML

RUST_LOG=warn target/debug/cfi-server --config "$work/review.toml" > "$work/out" &
server_pid=$!
for _ in $(seq 1 100); do grep -q 'listening on' "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$base" ] || { echo "server did not start" >&2; exit 1; }

# Every operation is about one call: aim generated requests at the configured
# one (other ids are covered by the 404 tests) so they reach the real logic.
cat > "$work/schemathesis.toml" <<TOML
[parameters]
"path.call" = "call-for-ideas"
TOML

st --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
  --url "$base" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --max-examples "$examples" \
  --generation-deterministic \
  --workers 2 \
  --request-timeout 10
