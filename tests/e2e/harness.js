// Starts what the end-to-end tests need — the collection server on a fresh
// SQLite file, the demo partner pages and headless Chromium — on free ports
// of 127.0.0.1, and stops and removes all of it afterwards.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ADMIN_TOKEN = "demo-reviewer-token";
export const SITES = ["home-for-good", "become", "barnardos", "review"];
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns a program and resolves with the first stdout line matching `re`. */
export function startAndWaitFor(cmd, args, re, env, label, timeoutMs = 30000) {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  const stderr = [];
  child.stderr.on("data", (d) => {
    stderr.push(String(d));
    if (stderr.length > 200) stderr.shift();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not get ready: ${stderr.join("")}`)), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}: ${stderr.join("")}`));
    });
    const rl = readline.createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      lines.push(line);
      const m = line.match(re);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ child, match: m, lines, stderr });
      }
    });
  });
}

/** The demo config with this run's ports, database, assets and a closed call. */
function testConfig(sitePorts, dbPath) {
  let toml = fs.readFileSync(path.join(ROOT, "demo/review.toml"), "utf8");
  SITES.forEach((site, i) => {
    const demoPort = 8081 + i;
    toml = toml
      .replaceAll(`http://127.0.0.1:${demoPort}`, `http://127.0.0.1:${sitePorts[site]}`)
      .replaceAll(`http://localhost:${demoPort}`, `http://localhost:${sitePorts[site]}`);
  });
  toml = toml
    .replace(/^database_url = .*$/m, `database_url = "sqlite://${dbPath}"`)
    .replace(/^assets_dir = .*$/m, `assets_dir = ${JSON.stringify(path.join(ROOT, "dist"))}`)
    // Every test submits from the same address: keep the limiter out of the way.
    .replace(/^submissions_per_minute = .*$/m, "submissions_per_minute = 10000")
    .replace(/^burst = .*$/m, "burst = 10000");
  // A second call whose window is over, for the "closed" message.
  const call = toml.slice(toml.indexOf("[[calls]]"));
  const closed = call
    .replace(/^id = .*$/m, 'id = "closed-call"')
    .replace(/^title = .*$/m, 'title = "Call for Evidence"')
    .replace(/^opens = .*$/m, 'opens = "2021-11-04T09:00"')
    .replace(/^closes = .*$/m, 'closes = "2021-12-15T17:00"');
  return `${toml}\n${closed}`;
}

function chromiumScopedDirs() {
  const tmp = os.tmpdir();
  return new Set(fs.readdirSync(tmp).filter((n) => n.startsWith("org.chromium.Chromium.scoped_dir.")));
}

/**
 * Starts everything (the binaries in `binDir`, built by cargo). Returns { serverUrl, site(name) -> URL, browser,
 * submissions(), stop() }.
 */
export async function start(options = {}) {
  // A port found free can be taken before the demo binds it (by any
  // outgoing connection on this machine): then start again with others.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test(String(e?.message))) throw e;
    }
  }
}

async function startOnce({ binDir = "target/debug" } = {}) {
  const scopedBefore = chromiumScopedDirs();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cfi-e2e-"));
  const sitePorts = {};
  for (const site of SITES) sitePorts[site] = await freePort();
  const configPath = path.join(tmp, "review.toml");
  fs.writeFileSync(configPath, testConfig(sitePorts, path.join(tmp, "db.sqlite")));
  const children = [];
  let browser;
  const stop = async () => {
    if (browser) await browser.close().catch(() => {});
    for (const c of children) {
      if (c.exitCode === null) {
        c.kill("SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => {
            c.kill("SIGKILL");
            r();
          }, 5000);
          c.once("exit", () => {
            clearTimeout(t);
            r();
          });
        });
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const name of chromiumScopedDirs()) {
      if (!scopedBefore.has(name)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  };
  try {
    const server = await startAndWaitFor(
      path.join(ROOT, binDir, "cfi-server"),
      ["--config", configPath, "--bind", "127.0.0.1:0"],
      /^listening on (http:\/\/127\.0\.0\.1:\d+)/,
      { RUST_LOG: "warn" },
      "cfi-server",
    );
    children.push(server.child);
    const serverUrl = server.match[1];
    const demoArgs = ["--server-url", serverUrl, "--sites", path.join(ROOT, "demo/sites")];
    for (const site of SITES) demoArgs.push("--port", `${site}=${sitePorts[site]}`);
    const demo = await startAndWaitFor(
      path.join(ROOT, binDir, "cfi-demo"),
      demoArgs,
      /^site review (http\S+)/,
      {},
      "cfi-demo",
    );
    children.push(demo.child);
    await waitForHttp(`${serverUrl}/healthz`);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    return {
      serverUrl,
      browser,
      site: (name, page = "") => `http://127.0.0.1:${sitePorts[name]}/${page}`,
      submissions: async (call = "call-for-ideas") => {
        const res = await fetch(`${serverUrl}/api/admin/submissions?call=${call}`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        if (!res.ok) throw new Error(`admin API answered ${res.status}`);
        return (await res.json()).submissions;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls a URL until it answers 2xx. */
export async function waitForHttp(url, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval
  }
}
