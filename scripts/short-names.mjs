#!/usr/bin/env node
// Gives the wasm's imports and exports short names, in the wasm and in its
// glue alike (run by build-widget.sh, after wasm-opt and before terser).
//
// wasm-bindgen names each import after the JavaScript it calls and a 16-digit
// hash (`__wbg_querySelectorAll_bd785907acdf7800`), and each closure's export
// after its whole Rust type (over 300 characters): the wasm and the glue each
// carry every name, and hashes barely compress. binaryen renames them in the
// wasm (`--minify-imports-and-exports-and-modules`) and prints what it renamed;
// this applies the same renaming to the glue, where imports are the keys of
// one object and exports are read as `wasm.<name>`, and stops the build if a
// name is not where it should be.
//
//   node scripts/short-names.mjs <wasm> <glue.js> <wasm-opt feature flags...>
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [wasm, glue, ...features] = process.argv.slice(2);
const fail = (message) => {
  console.error(`short-names: ${message}`);
  process.exit(1);
};

const map = JSON.parse(
  execFileSync("wasm-opt", [wasm, ...features, "--minify-imports-and-exports-and-modules", "-o", wasm], { maxBuffer: 1 << 24 }).toString()
);
const { default: binaryen } = await import(path.join(ROOT, "tests/node_modules/binaryen/index.js"));
const module = binaryen.readBinary(fs.readFileSync(wasm));
const modules = new Set();
for (let i = 0; i < module.getNumFunctions(); i++) {
  const f = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
  if (f.module) modules.add(f.module);
}
const oldModules = new Set(map.imports.map(([m]) => m));
if (modules.size !== 1 || oldModules.size !== 1) fail(`expected one import module, found ${[...oldModules]} renamed to ${[...modules]}`);
const [newModule] = modules;
const [oldModule] = oldModules;

let js = fs.readFileSync(glue, "utf8");
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// Replaces every match of `pattern` (global) by `to`, and fails unless there
// was at least one.
const replace = (pattern, to, what) => {
  let n = 0;
  js = js.replace(pattern, () => {
    n++;
    return to;
  });
  if (n === 0) fail(`${what} is not in the glue`);
};
replace(new RegExp(`"${escape(oldModule)}":`, "g"), `"${newModule}":`, `the import module ${oldModule}`);
for (const [, from, to] of map.imports) {
  replace(new RegExp(`(?<![\\w$.])${escape(from)}(?=: function)`, "g"), `${to}`, `the import ${from}`);
}
for (const [from, to] of map.exports) {
  // Exports the glue never reads stay unused; the others must all be found.
  if (!new RegExp(`\\bwasm\\.${escape(from)}\\b`).test(js)) continue;
  replace(new RegExp(`\\bwasm\\.${escape(from)}\\b`, "g"), `wasm.${to}`, `the export ${from}`);
}
fs.writeFileSync(glue, js);
console.log(`== short names: ${map.imports.length} imports and ${map.exports.length} exports`);
