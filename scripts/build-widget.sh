#!/usr/bin/env bash
# Builds the embeddable widget into dist/:
#   dist/embed.js                                  the loader partners paste (short cache)
#   dist/assets/<version>/cfi_widget.js            wasm-bindgen glue   } immutable,
#   dist/assets/<version>/cfi_widget_bg.wasm       the form            } <version> is a
#   dist/assets/<version>/widget.css               its stylesheet      } content hash
# each with .gz and .br siblings that the server sends when accepted.
# Needs wasm-pack, the wasm-bindgen CLI and tests/node_modules (binaryen's
# wasm-opt): scripts/setup.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -x tests/node_modules/.bin/wasm-opt ]; then
  echo "== installing tests/ npm packages (binaryen's wasm-opt)"
  (cd tests && if [ -f package-lock.json ]; then npm ci; else npm install; fi)
fi
# Debian's binaryen is too old for this output: use the npm one.
export PATH="$root/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
wasm-opt --version
command -v wasm-pack >/dev/null || { echo "wasm-pack is missing: run scripts/setup.sh" >&2; exit 1; }

out=target/widget-pkg
rm -rf "$out"
echo "== wasm-pack build (release)"
# wasm-pack's own wasm-opt step is off (see widget/Cargo.toml); it runs below
# with the npm binaryen so the version is known.
# Panic locations name source files: keep this machine's paths out of the
# published wasm (and a few bytes with them).
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src=/crates --remap-path-prefix=$root=/cfi"
# Leptos erases each component's view type: fewer distinct types, less code.
RUSTFLAGS="$RUSTFLAGS --cfg erase_components"
# A smaller std when the rust-src component is installed (scripts/setup.sh
# tries to add it): std rebuilt with this crate's settings, panics that abort
# at once (no message formatting, no locations), Debug output compiled away
# (nothing the form shows uses it). These flags are unstable, so the stable
# compiler is told to accept them; without rust-src the build uses the
# prebuilt std: bigger, and working.
cargo_extra=()
if rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  echo "   std rebuilt with immediate-abort panics (rust-src installed)"
  export RUSTC_BOOTSTRAP=1
  RUSTFLAGS="$RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
  cargo_extra=(-- -Zbuild-std=std,panic_abort)
else
  echo "   rust-src is not installed: plain stable std, a bigger wasm (rustup component add rust-src)"
fi
wasm-pack build widget --target web --release --no-typescript --no-pack --out-dir "$root/$out" --out-name cfi_widget "${cargo_extra[@]}"

wasm="$out/cfi_widget_bg.wasm"
# Leptos always brings server_fn, whose wasm-streams exports three stream
# classes to JavaScript; the form never makes one, but exported, their code
# could not be dropped (1.6 KB brotli). Their glue stays, never called.
node --input-type=module -e '
  import fs from "node:fs";
  const [wasm, root] = process.argv.slice(1);
  const { default: binaryen } = await import(`${root}/tests/node_modules/binaryen/index.js`);
  binaryen.setDebugInfo(true);
  const m = binaryen.readBinary(fs.readFileSync(wasm));
  const names = [];
  for (let i = 0; i < m.getNumExports(); i++) names.push(binaryen.getExportInfo(m.getExportByIndex(i)).name);
  const unused = names.filter((n) => n.includes("intounderlying"));
  for (const n of unused) m.removeExport(n);
  fs.writeFileSync(wasm, m.emitBinary());
  console.log(`== ${unused.length} unused stream exports removed`);
' "$wasm" "$root"
echo "== wasm-opt -Oz ($(wc -c <"$wasm") bytes before)"
features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types)
# The optimised wasm keeps its function names in target/ for
# scripts/bench-widget.mjs (twiggy's breakdown); the published one does not.
wasm-opt "$wasm" -Oz "${features[@]}" -g --strip-dwarf --strip-producers -o "$out/cfi_widget_bg.names.wasm"
wasm-opt "$out/cfi_widget_bg.names.wasm" "${features[@]}" --strip-debug --strip-producers -o "$wasm"
echo "   $(wc -c <"$wasm") bytes after"

css=widget/widget.css
version=$(cat "$out/cfi_widget.js" "$wasm" "$css" | sha256sum | cut -c1-12)
rm -rf dist
mkdir -p "dist/assets/$version"
cp "$out/cfi_widget.js" "$wasm" "dist/assets/$version/"
cp "$css" "dist/assets/$version/widget.css"
# The loader's whole-line comments are for its readers, not its visitors.
sed -E -e "s/__CFI_VERSION__/$version/g" -e '/^[[:space:]]*\/\//d' widget/embed.js >dist/embed.js
grep -q "$version" dist/embed.js

brotli_file() {
  if command -v brotli >/dev/null; then
    brotli -q 11 -k -f "$1"
  else
    node -e 'const fs=require("fs"),z=require("zlib");const f=process.argv[1];fs.writeFileSync(f+".br",z.brotliCompressSync(fs.readFileSync(f),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}))' "$1"
  fi
}
for f in dist/embed.js dist/assets/"$version"/*; do
  gzip -9 -k -f "$f"
  brotli_file "$f"
done

loader_gz=$(wc -c <dist/embed.js.gz)
if [ "$loader_gz" -gt 2048 ]; then
  echo "embed.js is $loader_gz bytes gzipped, over the 2 KB budget" >&2
  exit 1
fi
# What a visitor downloads before the first control is usable (brotli:
# wasm, glue, stylesheet). The target is 60 KB (whole form 90 KB); the
# budget sits just above what the build reaches today, so it can only shrink.
# Building every view node by node, so no HTML string reaches innerHTML on
# pages that enforce Trusted Types, costs about 3.3 KB of it.
first_screen_budget=122000
first_screen=$(cat "dist/assets/$version"/{cfi_widget_bg.wasm,cfi_widget.js,widget.css}.br | wc -c)
echo "== before the first control: $first_screen bytes brotli (budget $first_screen_budget)"
if [ "$first_screen" -gt "$first_screen_budget" ]; then
  echo "the widget's first screen is $first_screen bytes brotli, over its $first_screen_budget budget" >&2
  exit 1
fi
# Subresource Integrity values for partners who pin the loader.
node -e '
  const fs = require("fs"), crypto = require("crypto");
  for (const f of process.argv.slice(1)) {
    const h = crypto.createHash("sha384").update(fs.readFileSync("dist/" + f)).digest("base64");
    console.log(f + " sha384-" + h);
  }' embed.js "assets/$version/cfi_widget.js" "assets/$version/cfi_widget_bg.wasm" "assets/$version/widget.css" >dist/sri.txt
cat dist/sri.txt
echo "== dist/ (version $version)"
find dist -type f | sort | while read -r f; do printf '%8d  %s\n' "$(wc -c <"$f")" "$f"; done
