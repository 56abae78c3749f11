#!/usr/bin/env node
// Prints the widget's weight and speed beside the floor it is measured
// against: a plain HTML form of the same start screen on the same page (the
// widget's own markup and stylesheet in a declarative shadow root, no
// script; served brotli, through the same network emulation). Median of
// BENCH_RUNS (default 7) runs, each with a cold cache.
//
//   - the download: loader, glue, wasm, CSS (raw, gzip, brotli), what the
//     first screen needs and the whole form;
//   - first control usable ("Start now" rendered, enabled, visible) from
//     navigation start, on the phone profile (390 px wide, CPU 4x, 150 ms
//     round trips, 1.6 Mbit/s down, 750 kbit/s up) and on loopback at 1x;
//     on the phone, when the page and the loader arrived (the waterfall);
//   - bytes over the wire for the whole page, and the widget's share;
//   - when the form itself takes over the first screen the loader drew
//     (its wasm arrived and started; polled every 50 ms);
//   - the longest main-thread task while the widget loads on the phone,
//     until a second after the form took over (only tasks of 50 ms or
//     more are reported by the browser), and the longest animation frame
//     in which the widget's own scripts ran (the Long Animation Frames API
//     names each script's source), split into the widget's script time
//     and the style and layout that followed; and every script that ran in
//     frames of 50 ms or more (what started it, its file), with the range
//     of its durations over the visits;
//   - layout shift of the host page's own content (shifts of nodes inside the
//     widget do not count) at 390 px (phone profile) and on a 1280 px desktop,
//     for every demo page;
//   - each wasm by crate and its largest functions (twiggy, if installed).
// The targets are in issue 20; nothing here asserts them. Needs dist/
// (scripts/build-widget.sh) and the server and demo binaries (target/server/
// if built with --profile server, else target/debug/). `--breakdown`: only
// the wasm's breakdown; `--phone`, only the phone's first control.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { start } = await import(path.join(ROOT, "tests/e2e/harness.js"));
const RUNS = Number(process.env.BENCH_RUNS || 7);
// The phone of issue 9: a mid-range phone on a weak 3G-like connection, its
// CPU slowed 4x (BENCH_CPU to change it). `calibrate` prints the slowdown
// Lighthouse would choose for this machine beside it, to compare machines:
// it is not used, as its reading moves too much from run to run on a
// shared two-core machine (1,276 to 2,182 on one day, 4x to 6.8x).
const PHONE = {
  viewport: { width: 390, height: 844 },
  cpu: Number(process.env.BENCH_CPU || 4),
  network: { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 },
};
const LOOPBACK = { viewport: { width: 1280, height: 800 }, cpu: 1, network: null };
const DESKTOP = LOOPBACK;

const embed = fs.readFileSync(path.join(ROOT, "dist/embed.js"), "utf8");
const VERSION = embed.match(/VERSION ?= ?"([0-9a-f]+)"/)[1];
const ASSETS = path.join(ROOT, "dist/assets", VERSION);
const CSS = fs.readFileSync(path.join(ASSETS, "widget.css"), "utf8");

/**
 * Each file's size; `first`: needed before the first control is usable (the
 * loader draws the first screen with the stylesheet; the call's definition,
 * a few hundred bytes of JSON, is not counted here).
 */
function sizes() {
  const a = (f) => `dist/assets/${VERSION}/${f}`;
  const files = [
    ["loader", "dist/embed.js", true],
    ["glue", a("cfi_widget.js"), false],
    ["wasm", a("cfi_widget_bg.wasm"), false],
    ["css", a("widget.css"), true],
  ];
  const size = (f) => fs.statSync(path.join(ROOT, f)).size;
  const rows = files.map(([name, f, first]) => ({ name, first, raw: size(f), gzip: size(`${f}.gz`), brotli: size(`${f}.br`) }));
  const sum = (list, k) => list.reduce((t, r) => t + r[k], 0);
  const total = (name, list) => ({ name, raw: sum(list, "raw"), gzip: sum(list, "gzip"), brotli: sum(list, "brotli") });
  return [
    ...rows,
    total("before the first control", rows.filter((r) => r.first)),
    total("whole form", rows),
  ];
}

/** The bytes of `url`'s body as the server sends it to a browser taking brotli. */
function brotliBytes(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { "accept-encoding": "br" } }, (res) => {
        let n = 0;
        res.on("data", (c) => (n += c.length));
        res.on("end", () => (res.headers["content-encoding"] === "br" ? resolve(n) : reject(new Error(`${url} was not sent brotli`))));
      })
      .on("error", reject);
  });
}

/**
 * The plain floor's pages, each served from 127.0.0.1 (without the demo
 * page's CSP, which is about the widget's files: the floor is plain markup
 * with an inline stylesheet).
 */
const floor = await (async () => {
  const pages = new Map();
  let next = 0;
  const server = http.createServer((req, res) => {
    const page = pages.get(req.url);
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    // Compressed as the widget's own files are, so that the floor is the
    // quickest a plain page could be.
    const br = /\bbr\b/.test(req.headers["accept-encoding"] || "");
    const headers = { "content-type": page.type || "text/html; charset=utf-8", "cache-control": "no-store", vary: "accept-encoding" };
    if (br) headers["content-encoding"] = "br";
    res.writeHead(200, headers).end(br ? zlib.brotliCompressSync(page.body) : page.body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    async serve(body, type) {
      const at = `/floor/${next++}`;
      pages.set(at, { body, type });
      return `http://127.0.0.1:${server.address().port}${at}`;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
})();

/**
 * This machine's speed as Lighthouse measures it (its "benchmark index": how
 * many times a second a page builds a 100,000-character string one
 * character at a time, for half a second), median of 5, and the CPU
 * slowdown Lighthouse's throttling calculator gives for it: the slowdown
 * that makes this machine its mid-tier mobile phone (2x at 800, 3x at 1,300,
 * 4x at 1,533, 6x at 2,000, straight lines between).
 */
async function calibrate(browser) {
  const page = await browser.newPage();
  const runs = [];
  for (let i = 0; i < 5; i++) {
    runs.push(
      await page.evaluate(() => {
        const t0 = Date.now();
        let n = 0;
        while (Date.now() - t0 < 500) {
          let s = "";
          for (let j = 0; j < 100000; j++) s += "a";
          n += s.length > 0 ? 1 : 0;
        }
        return n / ((Date.now() - t0) / 1000);
      }),
    );
  }
  await page.close();
  const index = median(runs);
  const points = [
    [150, 1],
    [800, 2],
    [1300, 3],
    [2000, 6],
  ];
  // Beyond 2,000, the last line goes on, as the calculator's does.
  let cpu = 1;
  for (let i = 1; i < points.length && index > points[0][0]; i++) {
    const [[x0, y0], [x1, y1]] = [points[i - 1], points[i]];
    cpu = y0 + ((index - x0) * (y1 - y0)) / (x1 - x0);
    if (index <= x1) break;
  }
  return { index, cpu: Math.max(1, cpu) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

// Registered before any page script: layout shifts (with whether a source
// node is the host page's own) and long tasks.
function observe() {
  window.__bench = { shifts: [], tasks: [] };
  const inWidget = (node) => {
    for (let n = node; n; n = n.parentNode || n.host) {
      if (n.nodeType === 11 && n.host) return true;
    }
    return false;
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      const host = e.sources.some((s) => s.node && !inWidget(s.node));
      window.__bench.shifts.push({ value: e.value, host });
    }
  }).observe({ type: "layout-shift", buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.tasks.push(e.duration);
  }).observe({ type: "longtask", buffered: true });
  // Long animation frames (50 ms or more) name the scripts that ran in them:
  // a frame counts as the widget's when one of its scripts came from the
  // review's server (the loader, the glue and so the wasm it calls). Its
  // time is split into script and the style and layout that followed.
  window.__bench.frames = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const ours = e.scripts.filter((x) => window.__benchOrigin && (x.sourceURL || "").startsWith(window.__benchOrigin));
        window.__bench.frames.push({
          duration: e.duration,
          widget: ours.length > 0,
          // Each script that ran in it: what started it (the loader's
          // evaluation, a timer, an observer...) and from which file, where
          // the browser names one.
          scripts: e.scripts.map((x) => ({
            what: `${x.invokerType === "classic-script" ? "evaluation" : x.invoker.replace(/^(TimerHandler|Response\.json\.then):?/, "$1 ")} of ${(x.sourceURL || "").split("/").pop() || "(no file)"}`,
            duration: x.duration,
          })),
          script: ours.reduce((t, x) => t + x.duration, 0),
          layout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
        });
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch {
    // A browser without the API reports no frames.
  }
}

/** The plain HTML floor of a demo page: each embed script replaced by the start screen it shows. */
function plainFor(html, screens) {
  let out = html;
  let i = 0;
  const tags = [...html.matchAll(/<script src="[^"]*\/embed\.js"([^>]*)><\/script>/g)];
  for (const [tag, attrs] of tags) {
    const form = `<template shadowrootmode="open"><style>${CSS}</style>${screens[Math.min(i++, screens.length - 1)]}</template>`;
    const target = attrs.match(/data-target="#([^"]+)"/);
    if (target) {
      // In place of what the target holds (a link for people without JavaScript, or nothing).
      const inside = new RegExp(`(id="${target[1]}"[^>]*>)[\\s\\S]*?</div>`);
      out = out.replace(tag, "").replace(inside, (_, open) => `${open}${form}</div>`);
    } else {
      out = out.replace(tag, `<div>${form}</div>`);
    }
  }
  return out;
}

/**
 * One cold-cache visit. `plain`: the start screens to serve instead of the
 * widget (undefined: the real widget). Returns the measures, and the widget's
 * start screens (their markup) when it was the real widget.
 */
async function visit(env, url, profile, plain) {
  const context = await env.browser.newContext({ viewport: profile.viewport });
  const page = await context.newPage();
  await page.addInitScript((origin) => {
    window.__benchOrigin = origin;
  }, new URL(env.serverUrl).origin);
  await page.addInitScript(observe);
  // The floor is served by a server of its own, not by a route the bench
  // fulfils: a fulfilled route never reaches the browser's network
  // emulation, so its page would arrive without the phone's round trip.
  let target = url;
  if (plain) {
    const res = await fetch(url);
    target = await floor.serve(plainFor(await res.text(), plain), res.headers.get("content-type"));
  }
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (profile.network) await cdp.send("Network.emulateNetworkConditions", profile.network);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  const origin = new URL(env.serverUrl).origin;
  const bytes = { page: 0, widget: 0 };
  const urls = new Map();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => {
    bytes.page += e.encodedDataLength;
    if ((urls.get(e.requestId) || "").startsWith(origin)) bytes.widget += e.encodedDataLength;
  });
  await page.goto(target, { waitUntil: "commit" });
  // The first animation frame in which the first form's first control
  // exists, is enabled and has a size: the person can use it.
  const usable = await (
    await page.waitForFunction(
      () => {
        const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot);
        const b = host?.shadowRoot.querySelector("button.cfi-button");
        if (!b || b.disabled || b.getBoundingClientRect().height === 0) return false;
        return performance.now();
      },
      null,
      { polling: "raf", timeout: 120000 },
    )
  ).jsonValue();
  // The widget: until the form itself has taken the loader's first screen
  // over (its wasm arrived, started and rendered), so that the tasks it
  // takes are counted too. Polled every 50 ms, not every frame, to keep the
  // bench's own work out of those frames.
  const takeover = plain
    ? 0
    : await (
        await page.waitForFunction(
          () => {
            const hosts = [...document.querySelectorAll("*")].filter((e) => e.shadowRoot);
            const done = (h) => !h.shadowRoot.getElementById("cfi-first") && h.shadowRoot.querySelector(".cfi");
            return hosts.length > 0 && hosts.every(done) && performance.now();
          },
          null,
          { polling: 50, timeout: 120000 },
        )
      ).jsonValue();
  // Anything still arriving (a late shift, a last task) has a moment to.
  await page.waitForTimeout(1000);
  const result = await page.evaluate(() => ({
    shift: window.__bench.shifts.filter((s) => s.host).reduce((t, s) => t + s.value, 0),
    widgetShift: window.__bench.shifts.filter((s) => !s.host).reduce((t, s) => t + s.value, 0),
    longest: Math.max(0, ...window.__bench.tasks),
    // The scripts of every frame of 50 ms or more (the demo pages have no
    // scripts of their own).
    longScripts: window.__bench.frames.flatMap((f) => f.scripts),
    // When the page's last byte arrived, and when the loader was asked for
    // and had arrived (0 for the floor, which has none).
    arrived: performance.getEntriesByType("navigation")[0].responseEnd,
    ...(() => {
      const loader = performance.getEntriesByType("resource").find((e) => /\/embed\.js$/.test(new URL(e.name).pathname));
      return { loaderAsked: loader ? loader.startTime : 0, loaderArrived: loader ? loader.responseEnd : 0 };
    })(),
    // The longest frame in which the widget's scripts ran, and of it the
    // widget's script time and the style and layout after it.
    ...(() => {
      const frames = window.__bench.frames.filter((f) => f.widget);
      const top = frames.reduce((a, f) => (!a || f.duration > a.duration ? f : a), null);
      return { widgetFrame: top ? top.duration : 0, widgetScript: top ? top.script : 0, widgetLayout: top ? top.layout : 0 };
    })(),
    // The reserve (the page's or the loader's) beside the room the first screen really takes.
    reserve: (() => {
      const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot);
      return parseFloat(getComputedStyle(host).minHeight) || 0;
    })(),
    height: (() => {
      const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot);
      const form = host.shadowRoot.querySelector(".cfi");
      return form ? Math.round(form.getBoundingClientRect().height) : 0;
    })(),
    screens: [...document.querySelectorAll("*")]
      .filter((e) => e.shadowRoot)
      .map((h) => [...h.shadowRoot.children].filter((c) => c.tagName !== "LINK" && c.tagName !== "STYLE").map((c) => c.outerHTML).join("")),
  }));
  await context.close();
  return { usable, takeover, ...bytes, ...result };
}

/** Median of RUNS visits, widget and floor alternating so both see the same machine load. */
async function compare(env, url, profile) {
  const widget = [];
  const plain = [];
  for (let i = 0; i < RUNS; i++) {
    const w = await visit(env, url, profile);
    widget.push(w);
    plain.push(await visit(env, url, profile, w.screens));
  }
  const m = (runs, k) => median(runs.map((r) => r[k]));
  const keys = ["usable", "arrived", "loaderAsked", "loaderArrived", "takeover", "page", "widget", "longest", "widgetFrame", "widgetScript", "widgetLayout", "shift", "widgetShift", "reserve", "height"];
  // Each kind of script in frames of 50 ms or more, over every widget visit:
  // the range of its durations and in how many visits it came.
  const scripts = new Map();
  widget.forEach((r, visit) => {
    for (const x of r.longScripts) {
      const e = scripts.get(x.what) || { min: Infinity, max: 0, visits: new Set() };
      e.min = Math.min(e.min, x.duration);
      e.max = Math.max(e.max, x.duration);
      e.visits.add(visit);
      scripts.set(x.what, e);
    }
  });
  return {
    scripts: [...scripts].sort((a, b) => b[1].max - a[1].max),
    widget: Object.fromEntries(keys.map((k) => [k, m(widget, k)])),
    plain: Object.fromEntries(keys.map((k) => [k, m(plain, k)])),
    runs: widget.map((r) => r.usable),
  };
}

function pages() {
  const dir = path.join(ROOT, "demo/sites");
  const list = [];
  for (const site of fs.readdirSync(dir).sort()) {
    for (const f of fs.readdirSync(path.join(dir, site)).sort()) {
      if (f.endsWith(".html")) list.push([site, f === "index.html" ? "" : f]);
    }
  }
  return list;
}

function twiggy(wasm, label) {
  try {
    execFileSync("twiggy", ["--version"], { stdio: "ignore" });
  } catch {
    console.log("\nWasm breakdown skipped: twiggy is not installed (cargo install twiggy).");
    return;
  }
  if (!fs.existsSync(wasm)) {
    console.log(`\nWasm breakdown skipped: ${path.relative(ROOT, wasm)} (the build's copy with names) is missing.`);
    return;
  }
  // The names themselves are not shipped.
  const items = JSON.parse(execFileSync("twiggy", ["top", "-n", "100000", "-f", "json", wasm], { maxBuffer: 1 << 28 }).toString()).filter(
    (i) => !/names" subsection|^custom section/.test(i.name),
  );
  const total = items.reduce((t, i) => t + i.shallow_size, 0);
  // The crate a function belongs to: the first path segment of its
  // demangled name (`<T as cr::Tr>::f` counts for the type's crate).
  const crateOf = (name) => {
    const n = name
      .replace(/^<+/, "")
      .replace(/^_ as /, "")
      .replace(/^(&|mut |dyn |\*const |\*mut |\[)+/, "");
    const m = n.match(/^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/);
    if (m) return m[1];
    if (/^data segment/.test(name)) return "(constant data)";
    if (/^(code|elem)\[/.test(name)) return "(unnamed code)";
    if (/shim/.test(name)) return "(wasm-bindgen shims)";
    return "(other)";
  };
  const byCrate = new Map();
  for (const i of items) byCrate.set(crateOf(i.name), (byCrate.get(crateOf(i.name)) || 0) + i.shallow_size);
  console.log(`\n${label} by crate (before compression, ${total} bytes; twiggy, names kept)`);
  for (const [crate, size] of [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`  ${String(size).padStart(8)}  ${((100 * size) / total).toFixed(1).padStart(5)}%  ${crate}`);
  }
  console.log("Largest functions");
  for (const i of items.slice(0, 20)) {
    const name = i.name.replace(/\[[0-9a-f]{16}\]/g, "");
    console.log(`  ${String(i.shallow_size).padStart(8)}  ${((100 * i.shallow_size) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 110)}`);
  }
}

/** The breakdown of the wasm. */
function breakdowns() {
  twiggy(path.join(ROOT, "target/widget-pkg/cfi_widget_bg.names.wasm"), "The wasm");
}

// `--phone`: only the Become page on the phone profile (its loopback rows
// repeat the phone's), for a quick comparison of two builds.
const PHONE_ONLY = process.argv.includes("--phone");
if (process.argv.includes("--breakdown")) {
  breakdowns();
  process.exit(0);
}

const env = await start({
  binDir: fs.existsSync(path.join(ROOT, "target/server/cfi-demo")) ? "target/server" : "target/debug",
});
try {
  console.log(`Widget download, version ${VERSION} (bytes)`);
  console.log(`  ${"file".padEnd(24)}      raw      gzip    brotli`);
  for (const r of sizes()) {
    console.log(`  ${r.name.slice(0, 24).padEnd(24)} ${String(r.raw).padStart(8)} ${String(r.gzip).padStart(9)} ${String(r.brotli).padStart(9)}`);
  }
  console.log("  (before the first control: the loader and the stylesheet, target 15 KB brotli; the whole form: target 120 KB)");
  const own = await brotliBytes(`${env.serverUrl}/calls/call-for-ideas/embed.js`);
  console.log(`  the call's own loader as served (/calls/{call}/embed.js: the loader, the call's definition and the stylesheet), brotli: ${own}`);

  const machine = await calibrate(env.browser);
  console.log(
    `\nThis machine's benchmark index (Lighthouse's): ${machine.index.toFixed(0)}, for which Lighthouse would slow the CPU ${machine.cpu.toFixed(1)}x; the phone's is slowed ${PHONE.cpu}x`,
  );
  console.log(`The Become demo page, widget beside a plain HTML form of its start screen (median of ${RUNS}, cold cache)`);
  const become = env.site("become");
  const phone = await compare(env, become, PHONE);
  const loop = PHONE_ONLY ? null : await compare(env, become, LOOPBACK);
  const row = (label, w, p) => console.log(`  ${label.padEnd(44)} ${w.padStart(12)} ${p.padStart(12)}`);
  row("", "widget", "plain HTML");
  row(`first control usable, phone (390 px, ${PHONE.cpu}x, 3G)`, `${phone.widget.usable.toFixed(0)} ms`, `${phone.plain.usable.toFixed(0)} ms`);
  row("  ratio to plain (target <= 1.5)", `${(phone.widget.usable / phone.plain.usable).toFixed(2)}x`, "");
  row("  the page itself arrived, phone", `${phone.widget.arrived.toFixed(0)} ms`, `${phone.plain.arrived.toFixed(0)} ms`);
  row("  the loader asked for, phone", `${phone.widget.loaderAsked.toFixed(0)} ms`, "");
  row("  the loader arrived, phone", `${phone.widget.loaderArrived.toFixed(0)} ms`, "");
  row("  first control after its last request, phone", `${(phone.widget.usable - phone.widget.loaderArrived).toFixed(0)} ms`, `${(phone.plain.usable - phone.plain.arrived).toFixed(0)} ms`);
  row("  the form takes that screen over, phone", `${phone.widget.takeover.toFixed(0)} ms`, "");
  if (!PHONE_ONLY) {
    row("first control usable, loopback 1x", `${loop.widget.usable.toFixed(0)} ms`, `${loop.plain.usable.toFixed(0)} ms`);
    row("  ratio to plain (target <= 2)", `${(loop.widget.usable / loop.plain.usable).toFixed(2)}x`, "");
  }
  row("bytes over the wire, whole page", kb(phone.widget.page), kb(phone.plain.page));
  row("  of which from the review's server", kb(phone.widget.widget), kb(phone.plain.widget));
  const task = (ms) => (ms > 0 ? `${ms.toFixed(0)} ms` : "none >= 50");
  row("longest main-thread task on the phone", task(phone.widget.longest), task(phone.plain.longest));
  row("longest frame running the widget's code on the phone", task(phone.widget.widgetFrame), "");
  row("  of which the widget's script", `${phone.widget.widgetScript.toFixed(0)} ms`, "");
  row("  of which style and layout after it", `${phone.widget.widgetLayout.toFixed(0)} ms`, "");
  console.log(`  scripts in the phone's frames of 50 ms or more (all ${RUNS} widget visits):`);
  for (const [what, e] of phone.scripts) {
    console.log(`    ${what.slice(0, 60).padEnd(60)} ${`${e.min.toFixed(0)}-${e.max.toFixed(0)} ms`.padStart(12)}  in ${e.visits.size} of ${RUNS}`);
  }
  if (!phone.scripts.length) console.log("    none");
  console.log(`  (phone runs: ${phone.runs.map((r) => r.toFixed(0)).join(", ")} ms${PHONE_ONLY ? "" : `; loopback: ${loop.runs.map((r) => r.toFixed(0)).join(", ")} ms`})`);

  if (!PHONE_ONLY) {
    console.log(`\nLayout shift of the host page's own content (CLS, median of ${RUNS}; in brackets: shifts inside the widget)`);
    console.log("and the first screen's real height beside the room kept for it, by the page's CSS or the loader (px)");
    console.log(
      `  ${"page".padEnd(26)} ${"390 px widget".padStart(16)} ${"plain".padStart(7)} ${"height/reserve".padStart(15)}` +
        ` ${"desktop widget".padStart(16)} ${"plain".padStart(7)} ${"height/reserve".padStart(15)}`,
    );
    const cls = (r) => `${r.shift.toFixed(3)} (${r.widgetShift.toFixed(3)})`;
    const room = (r) => `${r.height}/${r.reserve}`;
    for (const [site, file] of pages()) {
      const url = env.site(site, file);
      const p = await compare(env, url, PHONE);
      const d = await compare(env, url, DESKTOP);
      console.log(
        `  ${`${site}/${file}`.padEnd(26)} ${cls(p.widget).padStart(16)} ${p.plain.shift.toFixed(3).padStart(7)} ${room(p.widget).padStart(15)}` +
          ` ${cls(d.widget).padStart(16)} ${d.plain.shift.toFixed(3).padStart(7)} ${room(d.widget).padStart(15)}`,
      );
    }
  }
} finally {
  await floor.close();
  await env.stop();
}
if (!PHONE_ONLY) breakdowns();
