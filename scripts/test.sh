#!/usr/bin/env bash
# Sets up everything and runs every test: formatting and lints, unit and
# property tests, the server's integration tests on SQLite and on
# PostgreSQL, and the widget's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

# Every cargo command below selects the whole workspace, so dependencies are
# resolved with the same features and built once: `-p cfi-server` alone
# would unify features differently and build them all again.
echo "== unit, property and integration tests (SQLite)"
cargo test --workspace

echo "== server integration tests (PostgreSQL)"
export CFI_TEST_POSTGRES_URL="${CFI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
drop_test_databases() {
  psql "$CFI_TEST_POSTGRES_URL/postgres" -qAt -c \
    "SELECT 'DROP DATABASE IF EXISTS ' || datname || ';' FROM pg_database WHERE datname LIKE 'cfi_test_%'" \
    | psql "$CFI_TEST_POSTGRES_URL/postgres" -q >/dev/null
}
drop_test_databases
trap drop_test_databases EXIT
CFI_TEST_ENGINE=postgres cargo test --workspace --test api

echo "== schemathesis against the OpenAPI description"
./scripts/schemathesis.sh 100

if [ -x scripts/test-e2e.sh ]; then
  echo "== widget tests in headless Chromium"
  ./scripts/test-e2e.sh
fi
echo "== admin and published pages keep payloads inert (headless Chromium)"
cargo build -q --workspace --bins
(cd tests && node --test admin-xss.test.mjs)
echo "== staff, partner and published pages: axe-core and keyboard-only use (headless Chromium)"
(cd tests && node --test staff-pages.test.mjs)

echo "== all tests passed"
