#!/usr/bin/env bash
# Checks the systemd units in deploy/ with `systemd-analyze verify`: every
# key known, every value parsed, every command there. The units name the
# installed binary (/usr/local/bin/cfi-server); the check runs on copies
# naming the binary built here. Any word from the verifier fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${CFI_SERVER_BIN:-$PWD/target/debug/cfi-server}
[ -x "$binary" ] || { echo "verify-units: build the server first ($binary)" >&2; exit 1; }
copies=$(mktemp -d)
trap 'rm -rf "$copies"' EXIT
for unit in deploy/*.service deploy/*.timer; do
  sed "s|/usr/local/bin/cfi-server|$binary|g" "$unit" > "$copies/$(basename "$unit")"
done
said=$(systemd-analyze verify "$copies"/*.service "$copies"/*.timer 2>&1) || {
  echo "$said" >&2
  exit 1
}
if [ -n "$said" ]; then
  echo "$said" >&2
  exit 1
fi
echo "verify-units: $(ls deploy/*.service deploy/*.timer | wc -l) units verified"
