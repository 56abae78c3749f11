#!/usr/bin/env bash
# Sets up everything, builds the widget, and runs the collection server on
# SQLite (demo/review.toml, database in .data/) plus the partner pages, a
# mail catcher for the emails it sends, and an identity provider for single
# sign-on, with an account for each role.
# Stop with Ctrl-C; both servers stop with it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-widget.sh
cargo build --profile server -p cfi-server -p cfi-demo
mkdir -p .data

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The mail catcher that receives the demo's alerts and acknowledgements.
tests/node_modules/.bin/maildev --ip 127.0.0.1 --smtp 1025 --web-ip 127.0.0.1 --web 1080 --silent &
pids+=($!)
# The identity provider for single sign-on (any address signs in there).
node tests/oidc/provider.mjs 8090 cfi-demo demo-oidc-secret \
  http://127.0.0.1:8080/admin/sign-in/oidc/callback >/dev/null 2>&1 &
pids+=($!)
target/server/cfi-server seed --config demo/review.toml --count 300
# An account for each role (kept from an earlier run if already there).
for role in reader moderator safeguarding administrator; do
  target/server/cfi-server staff add --config demo/review.toml \
    --email "$role@review.example" --name "Demo $role" --role "$role" >/dev/null 2>&1 || true
done
target/server/cfi-server staff add --config demo/review.toml --email partner@become.example \
  --name "Demo partner (Become)" --role partner --partner become >/dev/null 2>&1 || true
target/server/cfi-server --config demo/review.toml &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  sleep 0.1
done
target/server/cfi-demo --server-url http://127.0.0.1:8080 &
pids+=($!)
# The README's and the guides' screenshots, from what is running now.
sleep 2
node scripts/screenshots.mjs >/dev/null 2>&1 || echo "screenshots: not taken this time (scripts/screenshots.mjs says why)"

cat <<'URLS'

Call for Ideas demo
  Home for Good (partner page):  http://127.0.0.1:8081/
  Become (partner page):         http://127.0.0.1:8082/
  Barnardo's (hostile CSS page): http://127.0.0.1:8083/
  The review's own page:         http://127.0.0.1:8084/
  Collection server:             http://127.0.0.1:8080/healthz
  Stored submissions (staff):    curl -H 'Authorization: Bearer demo-reviewer-token' \
                                   http://127.0.0.1:8080/api/admin/submissions
  Review team's pages:           http://127.0.0.1:8080/admin/sign-in
    as each role: "Sign in with the demo identity provider", then type one of
      reader@review.example         moderator@review.example
      safeguarding@review.example   administrator@review.example
      partner@become.example        (any password; press Continue)
    or ask for a sign-in link by email with one of those addresses and open
    it in the mail catcher below; or sign in with the token demo-reviewer-token
    (every staff role, as before accounts existed)
  Published (after switching on): http://127.0.0.1:8080/published/call-for-ideas
  Emails sent (mail catcher):    http://127.0.0.1:1080/
                                 (send an idea saying "I am not safe at home" to
                                 see a safeguarding alert arrive)
Press Ctrl-C to stop.
URLS
wait
