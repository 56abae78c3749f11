#!/usr/bin/env bash
# The widget's tests in headless Chromium: component tests (wasm-bindgen-test
# through chromedriver), then the end-to-end suite in tests/ (Playwright's
# library driving Debian's Chromium against the real server and demo pages).
# Builds what it needs; scripts/setup.sh installs the tools.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "== widget component tests (wasm-bindgen-test, headless Chromium)"
# Chromium leaves a profile folder per run in the temp dir: remove the ones
# this run created.
tmp="${TMPDIR:-/tmp}"
scoped() { find "$tmp" -maxdepth 1 -name 'org.chromium.Chromium.scoped_dir.*' 2>/dev/null | sort; }
before=$(scoped)
cleanup_scoped() { comm -13 <(echo "$before") <(scoped) | xargs -r rm -rf; }
trap cleanup_scoped EXIT
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" wasm-pack test --headless --chrome widget
cleanup_scoped

echo "== building the widget, the server and the demo pages"
./scripts/build-widget.sh
cargo build --workspace --bins

echo "== end-to-end tests (Playwright, headless Chromium)"
cd tests
if [ ! -d node_modules ]; then
  if [ -f package-lock.json ]; then npm ci; else npm install; fi
fi
npm test
