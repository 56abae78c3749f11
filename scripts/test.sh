#!/usr/bin/env bash
# Sets up everything and runs every test: formatting and lints, unit and
# property tests, the server's integration tests on SQLite and on
# PostgreSQL, and the widget's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# Each step's time, for the README's figure of how long the command takes.
step_started=$SECONDS
step() {
  echo "   (took $((SECONDS - step_started)) s)"
  step_started=$SECONDS
  echo "== $*"
}

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
step "the README and the guides: every link resolves"
(cd tests && node --test docs.test.mjs)

# Cargo resolves dependencies' features from the packages and targets it
# is asked for, so `cargo test -p cfi-server --test api` would build them
# all again with other features. The PostgreSQL pass runs the very test
# binary the first pass built instead, and every later build asks for the
# same whole-workspace binaries, built once.
step "unit, property and integration tests (SQLite)"
cargo test --workspace
api_tests=$(cargo test --workspace --no-run 2>&1 |
  sed -n 's|.*Executable tests/api/main.rs (\(.*\))|\1|p')
[ -n "$api_tests" ] || { echo "the server's API test binary was not found" >&2; exit 1; }

step "server integration tests (PostgreSQL)"
export CFI_TEST_POSTGRES_URL="${CFI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
drop_test_databases() {
  psql "$CFI_TEST_POSTGRES_URL/postgres" -qAt -c \
    "SELECT 'DROP DATABASE IF EXISTS ' || datname || ';' FROM pg_database WHERE datname LIKE 'cfi_test_%'" \
    | psql "$CFI_TEST_POSTGRES_URL/postgres" -q >/dev/null
}
drop_test_databases
trap drop_test_databases EXIT
(cd server && CFI_TEST_ENGINE=postgres "../$api_tests")

step "schemathesis against the OpenAPI description"
./scripts/schemathesis.sh 100

if [ -x scripts/test-e2e.sh ]; then
  step "widget tests in headless Chromium"
  ./scripts/test-e2e.sh
fi
step "admin and published pages keep payloads inert (headless Chromium)"
cargo build -q --workspace --bins
(cd tests && node --test admin-xss.test.mjs)
step "the systemd units in deploy/ (systemd-analyze verify)"
./scripts/verify-units.sh
step "staff, partner and published pages: axe-core and keyboard-only use (headless Chromium)"
(cd tests && node --test staff-pages.test.mjs)
step "single sign-on against a real OpenID Connect provider (headless Chromium)"
(cd tests && node --test sso.test.mjs)
step "behind Caddy with its own certificate authority, over HTTPS and HTTP/2"
(cd tests && node --test proxy.test.mjs)

step "all tests passed in $SECONDS s"
