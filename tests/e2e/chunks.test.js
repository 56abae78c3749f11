// The later steps arrive in their own wasm (a build with wasm-split, see
// widget/src/ui/later.rs): the form must work when they are slow and
// recover when they fail.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { ROOT, start } from "./harness.js";
import { events, expectHeading, fillToCheck, newContext, openWidget, reference } from "./flow.js";

const version = fs.readFileSync(path.join(ROOT, "dist/embed.js"), "utf8").match(/var VERSION = "([0-9a-f]+)"/)[1];
const chunks = fs.readdirSync(path.join(ROOT, "dist/assets", version)).filter((f) => f.endsWith(".wasm") && f !== "cfi_widget_bg.wasm");
// Built without wasm-split (scripts/setup.sh could not install it) there is
// nothing to load later.
const skip = chunks.length === 0 && "built without wasm-split: the form is one wasm";

/** Whether a request is for one of the later steps' chunks. */
const isChunk = (url) => /\/assets\/[0-9a-f]+\/[^/]+\.wasm$/.test(url.pathname) && !url.pathname.endsWith("/cfi_widget_bg.wasm");

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

test("the first screen comes without the later steps, which arrive when the page is idle", { skip }, async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  const requested = [];
  let ready = 0;
  page.on("request", (r) => {
    if (isChunk(new URL(r.url()))) requested.push([r.url(), ready]);
  });
  await page.exposeFunction("__cfiReadyAt", () => (ready = Date.now()));
  await page.addInitScript(() => document.addEventListener("cfi:ready", () => window.__cfiReadyAt()));
  await openWidget(page, env.site("become"));
  await page.waitForFunction(() => window.__cfiEvents.some((e) => e.type === "cfi:ready"));
  await page.waitForTimeout(1500);
  assert.ok(requested.length > 0, "the later steps are fetched while the person reads the first screen");
  assert.ok(requested.every(([, readyAt]) => readyAt > 0), "and only after the first screen was ready");
  await context.close();
});

test("the form completes a submission when the later steps arrive slowly", { skip }, async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  let delayed = 0;
  await page.route(isChunk, async (route) => {
    delayed++;
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue();
  });
  await openWidget(page, env.site("become"));
  await page.getByRole("button", { name: "Start now" }).click();
  // The person moved on before the chunk came: they are told it is coming.
  await page.locator("#cfi-later-status").filter({ hasText: "Loading the next part of the form." }).waitFor();
  await expectHeading(page, "About you");
  await page.getByRole("button", { name: "Back" }).click();
  await fillToCheck(page, { name: "Slow Chunks" });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  const ref = await reference(page);
  const stored = (await env.submissions()).filter((s) => s.name === "Slow Chunks");
  assert.equal(stored.length, 1);
  assert.equal(stored[0].reference, ref);
  assert.ok(delayed > 0, "the later steps came through the slowed route");
  await context.close();
});

test("a later step that fails to load says what to do, keeps the answers and recovers", { skip }, async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  let failing = false;
  let failed = 0;
  await page.route(isChunk, async (route) => {
    if (failing) {
      failed++;
      return route.abort("internetdisconnected");
    }
    return route.continue();
  });
  await openWidget(page, env.site("home-for-good"));
  await page.getByRole("button", { name: "Start now" }).click();
  await expectHeading(page, "About you");
  await page.locator("#respondent-name").fill("Failed Chunk");
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith("cfi-draft:") && localStorage.getItem(k).includes("Failed Chunk")));

  // Back on the page with the connection gone: the saved draft opens on
  // "About you", whose code cannot arrive.
  failing = true;
  await page.reload();
  const error = page.locator("#cfi-later-error");
  await error.waitFor();
  assert.match(await error.textContent(), /The next part of the form could not be loaded\. Your answers are still here\. Check your connection and try again\./);
  assert.equal(await error.getAttribute("role"), "alert");
  const reported = (await events(page)).filter((e) => e.type === "cfi:error");
  assert.equal(reported.length, 1);
  assert.equal(reported[0].detail.kind, "load");
  assert.equal(reported[0].detail.code, "chunk");
  assert.ok(failed > 0);

  // The connection is back: "Try again" brings the step, and the answer.
  failing = false;
  await page.getByRole("button", { name: "Try again" }).click();
  await expectHeading(page, "About you");
  assert.equal(await page.locator("#respondent-name").inputValue(), "Failed Chunk");
  await page.getByRole("button", { name: "Back" }).click();
  await fillToCheck(page, { name: "Failed Chunk" });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  const ref = await reference(page);
  const stored = (await env.submissions()).filter((s) => s.name === "Failed Chunk");
  assert.equal(stored.length, 1);
  assert.equal(stored[0].reference, ref);
  await context.close();
});
