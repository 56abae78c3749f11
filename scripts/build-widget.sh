#!/usr/bin/env bash
# Builds the embeddable widget into dist/:
#   dist/embed.js                                  the loader partners paste (short cache)
#   dist/assets/<version>/cfi_widget.js            wasm-bindgen glue   } immutable,
#   dist/assets/<version>/cfi_widget_bg.wasm       the first screen    } <version> is a
#   dist/assets/<version>/__wasm_split.js          the chunks' loader  } content hash
#   dist/assets/<version>/*.wasm                   the later steps     }
#   dist/assets/<version>/widget.css               its stylesheet      }
# each with .gz and .br siblings that the server sends when accepted.
# Needs wasm-pack, the wasm-bindgen CLI and tests/node_modules (binaryen's
# wasm-opt): scripts/setup.sh installs them. With wasm-split (wasm-split-cli,
# also installed by setup.sh) the later steps go to their own wasm, loaded
# while the person reads the first screen; without it everything is in one
# wasm: bigger before the first control, and working.
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
  cargo_extra=(-Zbuild-std=std,panic_abort)
else
  echo "   rust-src is not installed: plain stable std, a bigger wasm (rustup component add rust-src)"
fi
# The wasm-split version that reads what the helpers crate in Cargo.lock
# writes (setup.sh installs this one).
split_cli_version=0.2.4
split=no
# CFI_NO_SPLIT=1 builds the one-wasm fallback even where the tool is installed.
if [ -z "${CFI_NO_SPLIT:-}" ] && command -v wasm-split-cli >/dev/null && cargo install --list | grep -qx "wasm_split_cli_support v$split_cli_version:"; then
  split=yes
  echo "   later steps split into their own wasm (wasm-split-cli $split_cli_version)"
  # wasm-split needs the linker's relocations to move functions.
  RUSTFLAGS="$RUSTFLAGS -Clink-args=--emit-relocs"
  features=(--features split)
else
  echo "   no wasm-split-cli $split_cli_version (or CFI_NO_SPLIT): one wasm with every step, bigger before the first control (scripts/setup.sh installs it)"
  features=()
fi
wasm-pack build widget --target web --release --no-typescript --no-pack --out-dir "$root/$out" --out-name cfi_widget \
  -- "${features[@]}" "${cargo_extra[@]}"

wasm="$out/cfi_widget_bg.wasm"
if [ "$split" = yes ]; then
  # wasm-split cuts the linked wasm at the split point (src/ui/later.rs);
  # wasm-bindgen then makes the glue for the main part, keeping the exports
  # the chunks link to by name.
  raw=target/wasm32-unknown-unknown/release/cfi_widget.wasm
  parts=target/widget-split
  rm -rf "$parts"
  wasm-split-cli "$raw" "$parts" --target web --out-name cfi_widget
  rm -f "$out"/cfi_widget*
  wasm-bindgen "$parts/cfi_widget.wasm" --out-dir "$out" --out-name cfi_widget --target web --no-typescript \
    --keep-lld-exports --no-demangle
  cp "$parts/__wasm_split.js" "$out/"
  find "$parts" -name '*.wasm' ! -name cfi_widget.wasm -exec cp {} "$out/" \;
fi
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
wasm-opt "$wasm" -Oz "${wasm_features[@]}" -g --strip-dwarf --strip-producers -o "$out/cfi_widget_bg.names.wasm"
wasm-opt "$out/cfi_widget_bg.names.wasm" "${wasm_features[@]}" --strip-debug --strip-producers -o "$wasm"
echo "   $(wc -c <"$wasm") bytes after"
chunks=()
for f in "$out"/*.wasm; do
  case "$f" in "$wasm" | *.names.wasm) continue ;; esac
  chunks+=("$(basename "$f")")
  names="${f%.wasm}.names.wasm"
  wasm-opt "$f" -Oz "${wasm_features[@]}" -g --strip-dwarf --strip-producers -o "$names"
  wasm-opt "$names" "${wasm_features[@]}" --strip-debug --strip-producers -o "$f"
  echo "   chunk $(basename "$f"): $(wc -c <"$f") bytes"
done

css=widget/widget.css
split_js=()
[ -f "$out/__wasm_split.js" ] && split_js=("$out/__wasm_split.js")
version=$(cat "$out/cfi_widget.js" "$wasm" "${split_js[@]}" "${chunks[@]/#/$out/}" "$css" | sha256sum | cut -c1-12)
rm -rf dist
mkdir -p "dist/assets/$version"
cp "$out/cfi_widget.js" "$wasm" "${split_js[@]}" "${chunks[@]/#/$out/}" "dist/assets/$version/"
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

# The loader: 2 KB for loading the form, half a kilobyte more for the link
# to the review's own form where the form cannot run, 0.65 KB for drawing
# the call's first screen before the wasm arrives, and 0.1 KB for doing its
# work in tasks short enough for a slow phone's main thread.
loader_gz=$(wc -c <dist/embed.js.gz)
if [ "$loader_gz" -gt 3300 ]; then
  echo "embed.js is $loader_gz bytes gzipped, over the 3.3 KB budget" >&2
  exit 1
fi
# What a visitor downloads before the first control is usable: the loader
# draws the call's first screen with the stylesheet (brotli; and the call's
# definition, a few hundred bytes of JSON the form needs anyway). Target
# 15 KB; the budget sits just above what the build reaches.
first_control_budget=5000
first_control=$(cat dist/embed.js.br "dist/assets/$version/widget.css.br" | wc -c)
echo "== before the first control: $first_control bytes brotli (budget $first_control_budget)"
if [ "$first_control" -gt "$first_control_budget" ]; then
  echo "the loader and stylesheet are $first_control bytes brotli, over their $first_control_budget budget" >&2
  exit 1
fi
# What a visitor downloads before the form takes that screen over (brotli:
# the main wasm, the glue, the chunks' loader it imports, the stylesheet),
# and the whole form (those and the later steps' chunks). The targets are 60 KB
# and 90 KB; the budgets sit just above what the split build reaches, so
# they can only shrink. The build without wasm-split has one wasm, checked
# against its own budget (over the split budgets by design: it says so and
# is not stopped); it carries the later steps' loading states too.
# Building every view node by node, so no HTML string reaches innerHTML on
# pages that enforce Trusted Types, costs about 3.3 KB of it. The first
# screen also says, when a retry was refused because the review team erased
# what was sent, that the draft was cleared (about 0.4 KB). Taking every
# question and heading from the rules crate, which the server's own form
# shares, costs about 0.15 KB. Drawing the first screen from the rules
# crate's blocks, which the loader also draws, and taking over the loader's
# screen (focus and an early "Start now" kept) cost about 2.3 KB of the main
# wasm and 1.8 KB of the whole form; the theme's list reading its error
# with it, about 0.2 KB.
first_screen_budget=85200
whole_form_budget=142300
one_wasm_budget=126600
dir="dist/assets/$version"
first_files=("$dir/cfi_widget_bg.wasm.br" "$dir/cfi_widget.js.br" "$dir/widget.css.br")
[ -f "$dir/__wasm_split.js" ] && first_files+=("$dir/__wasm_split.js.br")
chunk_files=("${chunks[@]/#/$dir/}")
first_screen=$(cat "${first_files[@]}" | wc -c)
whole_form=$(cat "${first_files[@]}" "${chunk_files[@]/%/.br}" | wc -c)
if [ "$split" = no ]; then
  first_screen_budget=$one_wasm_budget whole_form_budget=$one_wasm_budget
  echo "   one wasm (no wasm-split): checked against the one-wasm budget"
fi
echo "== before the form takes over: $first_screen bytes brotli (budget $first_screen_budget)"
echo "== the whole form: $whole_form bytes brotli (budget $whole_form_budget)"
if [ "$whole_form" -gt "$whole_form_budget" ]; then
  echo "the whole widget is $whole_form bytes brotli, over its $whole_form_budget budget" >&2
  exit 1
fi
if [ "$first_screen" -gt "$first_screen_budget" ]; then
  echo "what the form needs to take over its first screen is $first_screen bytes brotli, over its $first_screen_budget budget" >&2
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
