#!/usr/bin/env bash
# Builds the embeddable widget into dist/:
#   dist/embed.js                                  the loader partners paste (short cache)
#   dist/assets/<version>/cfi_widget.js            wasm-bindgen glue   } immutable, <version>
#   dist/assets/<version>/cfi_widget_bg.wasm       the form            } is a content hash
#   dist/assets/<version>/widget.css               its stylesheet      }
#   dist/widget.css                                the same, which /calls/{call}/embed.js carries
# each with .gz and .br siblings that the server sends when accepted.
# Needs wasm-pack, the wasm-bindgen CLI and tests/node_modules (binaryen's
# wasm-opt, terser): scripts/setup.sh installs them.
#
# The form is one wasm. It was once split (the later steps in a second wasm
# fetched while the person read the first screen), but the loader now draws
# that screen itself, so the split only delayed the steps after it: the two
# parts came to 145 KB brotli, one wasm to less than 120.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ ! -x tests/node_modules/.bin/wasm-opt ] || [ ! -x tests/node_modules/.bin/terser ]; then
  echo "== installing tests/ npm packages (binaryen's wasm-opt, terser)"
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
  cargo_extra=(-Zbuild-std=std,panic_abort)
else
  echo "   rust-src is not installed: plain stable std, a bigger wasm (rustup component add rust-src)"
fi
wasm-pack build widget --target web --release --no-typescript --no-pack --out-dir "$root/$out" --out-name cfi_widget \
  -- "${cargo_extra[@]}"

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
wasm_features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types)
# The optimised wasm keeps its function names in target/ for
# scripts/bench-widget.mjs (twiggy's breakdown); the published one does not.
# --converge runs the passes again until the wasm stops shrinking (0.7 KB brotli).
wasm-opt "$wasm" -Oz --converge "${wasm_features[@]}" -g --strip-dwarf --strip-producers -o "$out/cfi_widget_bg.names.wasm"
wasm-opt "$out/cfi_widget_bg.names.wasm" "${wasm_features[@]}" --strip-debug --strip-producers -o "$wasm"
echo "   $(wc -c <"$wasm") bytes after"
# The names the wasm and its glue share, shortened in both (3 KB brotli).
node scripts/short-names.mjs "$wasm" "$out/cfi_widget.js" "${wasm_features[@]}"
# The glue wasm-bindgen writes is readable JavaScript: minified, it is 1.7 KB
# brotli smaller (its module exports and the wasm's import names, property
# names here, are kept).
terser "$out/cfi_widget.js" --module --compress --mangle -o "$out/cfi_widget.min.js"
mv "$out/cfi_widget.min.js" "$out/cfi_widget.js"

css=widget/widget.css
version=$(cat "$out/cfi_widget.js" "$wasm" "$css" | sha256sum | cut -c1-12)
rm -rf dist
mkdir -p "dist/assets/$version"
cp "$out/cfi_widget.js" "$wasm" "dist/assets/$version/"
# The stylesheet's and the loader's comments are for their readers, not
# their visitors; the loader is minified too (0.5 KB brotli), keeping its
# opening comment, which says how to use it, and its VERSION.
node -e 'const fs = require("fs"); fs.writeFileSync(process.argv[2], fs.readFileSync(process.argv[1], "utf8").replace(/\/\*[^]*?\*\//g, "").replace(/\n\s*\n/g, "\n"))' \
  "$css" "dist/assets/$version/widget.css"
# The same stylesheet beside the loader: /calls/{call}/embed.js carries it
# (and the call's definition) inside the loader.
cp "dist/assets/$version/widget.css" dist/widget.css
{
  sed -n '1,/\*\//p' widget/embed.js
  sed -e "s/__CFI_VERSION__/$version/g" widget/embed.js | terser --compress --mangle "reserved=['VERSION']" --comments false
} >dist/embed.js
grep -q "VERSION=\"$version\"" dist/embed.js

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

# The loader, minified: loading the form, the link to the review's own form
# where the form cannot run, drawing the call's first screen before the wasm
# arrives, and doing its work in tasks short enough for a slow phone's main
# thread; taking the call's definition and the stylesheet from its own
# script element when served as /calls/{call}/embed.js costs 0.2 KB of it.
loader_gz=$(wc -c <dist/embed.js.gz)
if [ "$loader_gz" -gt 2850 ]; then
  echo "embed.js is $loader_gz bytes gzipped, over the 2.85 KB budget" >&2
  exit 1
fi
# What a visitor downloads before the first control is usable: the loader
# draws the call's first screen with the stylesheet (brotli; and the call's
# definition, a few hundred bytes of JSON the form needs anyway; from
# /calls/{call}/embed.js all three come in one response). Target 15 KB; the
# budget sits just above what the build reaches.
first_control_budget=4250
first_control=$(cat dist/embed.js.br "dist/assets/$version/widget.css.br" | wc -c)
echo "== before the first control: $first_control bytes brotli (budget $first_control_budget)"
if [ "$first_control" -gt "$first_control_budget" ]; then
  echo "the loader and stylesheet are $first_control bytes brotli, over their $first_control_budget budget" >&2
  exit 1
fi
# The whole form (brotli: the loader, the wasm, its glue and the stylesheet).
# Target 120 KB; the budget sits just above what the build reaches, so it can
# only shrink. Of it, building every view node by node (no
# HTML string reaches innerHTML on pages that enforce Trusted Types) costs
# about 3.3 KB; saying that a draft was cleared because the review team
# erased what was sent, about 0.4 KB; drawing the first screen from the
# rules crate's blocks, which the loader also draws, and taking over the
# loader's screen (focus and an early "Start now" kept), about 1.8 KB.
whole_form_budget=121300
dir="dist/assets/$version"
whole_form=$(cat dist/embed.js.br "$dir/cfi_widget_bg.wasm.br" "$dir/cfi_widget.js.br" "$dir/widget.css.br" | wc -c)
echo "== the whole form: $whole_form bytes brotli (budget $whole_form_budget)"
if [ "$whole_form" -gt "$whole_form_budget" ]; then
  echo "the whole form is $whole_form bytes brotli, over its $whole_form_budget budget" >&2
  exit 1
fi
# Subresource Integrity values for partners who pin the loader.
node -e '
  const fs = require("fs"), crypto = require("crypto");
  for (const f of process.argv.slice(1)) {
    const h = crypto.createHash("sha384").update(fs.readFileSync("dist/" + f)).digest("base64");
    console.log(f + " sha384-" + h);
  }' embed.js $(cd dist && find "assets/$version" -type f ! -name '*.br' ! -name '*.gz' | sort) >dist/sri.txt
cat dist/sri.txt
echo "== dist/ (version $version)"
find dist -type f | sort | while read -r f; do printf '%8d  %s\n' "$(wc -c <"$f")" "$f"; done
