#!/usr/bin/env bash
# The widget's tests in headless Chromium: component tests (wasm-bindgen-test
# through chromedriver), then the end-to-end suite in tests/ (Playwright's
# library driving Debian's Chromium against the real server and demo pages).
# Builds what it needs; scripts/setup.sh installs the tools.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "== widget component tests (wasm-bindgen-test, headless Chromium)"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" wasm-pack test --headless --chrome widget

echo "== building the widget, the server and the demo pages"
./scripts/build-widget.sh
cargo build -p cfi-server -p cfi-demo

echo "== end-to-end tests (Playwright, headless Chromium)"
cd tests
if [ ! -d node_modules ]; then
  if [ -f package-lock.json ]; then npm ci; else npm install; fi
fi
npm test
