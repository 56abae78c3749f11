#!/usr/bin/env node
// Prints what a visitor downloads for the widget (loader, glue, wasm, CSS:
// raw, gzip, brotli) and the time from navigation to the first field being
// interactive (the "Start now" button of the widget, ready to click) at 1x
// and 4x CPU throttling, median of 5 runs, each with an empty cache.
// Needs dist/ (scripts/build-widget.sh) and the server and demo binaries
// (target/server/ if built with --profile server, else target/debug/).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { start } = await import(path.join(ROOT, "tests/e2e/harness.js"));
const RUNS = 5;
const RATES = [1, 4];

function sizes() {
  const embed = fs.readFileSync(path.join(ROOT, "dist/embed.js"), "utf8");
  const version = embed.match(/var VERSION = "([0-9a-f]+)"/)[1];
  const files = [
    ["loader", "dist/embed.js"],
    ["glue", `dist/assets/${version}/cfi_widget.js`],
    ["wasm", `dist/assets/${version}/cfi_widget_bg.wasm`],
    ["css", `dist/assets/${version}/widget.css`],
  ];
  const size = (f) => fs.statSync(path.join(ROOT, f)).size;
  const rows = files.map(([name, f]) => ({ name, raw: size(f), gzip: size(`${f}.gz`), brotli: size(`${f}.br`) }));
  const total = rows.reduce((t, r) => ({ name: "total", raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), {
    name: "total",
    raw: 0,
    gzip: 0,
    brotli: 0,
  });
  return [...rows, total];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function timeToInteractive(env, rate) {
  const context = await env.browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate });
  await page.goto(env.site("review"), { waitUntil: "commit" });
  // Measured inside the page from navigation start: the first animation
  // frame in which the widget's first control exists and can take focus.
  const handle = await page.waitForFunction(
    () => {
      const host = document.querySelector("#cfi");
      const button = host?.shadowRoot?.querySelector("button.cfi-button");
      if (!button || button.disabled || button.getBoundingClientRect().height === 0) return false;
      return performance.now();
    },
    null,
    { polling: "raf", timeout: 60000 },
  );
  const ms = await handle.jsonValue();
  await context.close();
  return ms;
}

const env = await start({
  binDir: fs.existsSync(path.join(ROOT, "target/server/cfi-demo")) ? "target/server" : "target/debug",
});
try {
  console.log("Widget download (bytes)");
  console.log("  file        raw      gzip    brotli");
  for (const r of sizes()) {
    console.log(`  ${r.name.padEnd(7)} ${String(r.raw).padStart(8)} ${String(r.gzip).padStart(9)} ${String(r.brotli).padStart(9)}`);
  }
  console.log(`Navigation to first field interactive (median of ${RUNS}, cold cache, 127.0.0.1)`);
  for (const rate of RATES) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await timeToInteractive(env, rate));
    console.log(`  ${rate}x CPU: ${median(runs).toFixed(0)} ms   (runs: ${runs.map((r) => r.toFixed(0)).join(", ")})`);
  }
} finally {
  await env.stop();
}
