import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SITES, start } from "./harness.js";
import { events, fillToCheck, newContext, openWidget, reference } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

for (const site of SITES) {
  test(`a complete submission from the ${site} page lands with the right partner`, async () => {
    const context = await newContext(env.browser);
    const page = await context.newPage();
    await openWidget(page, env.site(site));
    await fillToCheck(page, { name: `Person from ${site}` });
    await page.getByRole("button", { name: "Send my ideas" }).click();
    const ref = await reference(page);
    assert.deepEqual(
      (await events(page)).map((e) => e.type),
      ["cfi:ready", "cfi:submitted"],
    );
    assert.equal((await events(page))[1].detail.reference, ref, "cfi:submitted carries the reference");
    const stored = (await env.submissions()).filter((s) => s.reference === ref);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].partner, site === "review" ? null : site);
    assert.equal(stored[0].name, `Person from ${site}`);
    assert.equal(stored[0].ideas[0].theme, "leaving_care");
    // The draft is gone from the device once the server has it.
    const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("cfi-draft:")));
    assert.deepEqual(keys, []);
    await context.close();
  });
}

test("two widgets on one page: the wasm is fetched once and both forms work", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  const wasm = [];
  page.on("request", (r) => r.url().endsWith(".wasm") && wasm.push(r.url()));
  await page.goto(env.site("review", "two.html"));
  await page.waitForFunction(() => window.__cfiEvents.filter((e) => e.type === "cfi:ready").length === 2);
  // Each file once for both widgets.
  assert.equal(wasm.filter((url) => url.endsWith("/cfi_widget_bg.wasm")).length, 1, wasm.join(", "));
  assert.equal(new Set(wasm).size, wasm.length, wasm.join(", "));
  const hosts = await page.evaluate(() => ["one", "two"].map((id) => Boolean(document.getElementById(id).shadowRoot)));
  assert.deepEqual(hosts, [true, true]);
  // Each has its own shadow root: the second form's button works on its own.
  await page.locator("#two").getByRole("button", { name: "Start now" }).click();
  await page.locator("#two #cfi-heading").filter({ hasText: "About you" }).waitFor();
  assert.equal((await page.locator("#one #cfi-heading").textContent()).trim(), "Call for Ideas");
  await context.close();
});

test("the page's room for the first screen is kept until the person first clicks in the form", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await page.goto(env.site("become"));
  await page.waitForFunction(() => window.__cfiEvents.some((e) => e.type === "cfi:ready"));
  const room = () => page.evaluate(() => getComputedStyle(document.getElementById("call-for-ideas")).minHeight);
  // Releasing it by itself could move the page under the person's eyes.
  assert.notEqual(await room(), "0px");
  await page.locator("#call-for-ideas").getByRole("button", { name: "Start now" }).click();
  assert.equal(await room(), "0px");
  await context.close();
});

test("a deferred loader on a page without its own room reserves it where the browser lays the page out, with no error on the page", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__errors = [];
    window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
  });
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/cfi_widget.js", async (route) => {
    await held;
    await route.continue();
  });
  // Become's page with its own reserve taken out once it is parsed, before
  // its deferred tag runs: the loader reads the host's width in a
  // ResizeObserver's first report.
  await page.addInitScript(() => {
    document.addEventListener("readystatechange", () => {
      if (document.readyState !== "interactive") return;
      const drop = (list) => {
        for (let i = list.cssRules.length - 1; i >= 0; i--) {
          const rule = list.cssRules[i];
          if (rule.selectorText === "#call-for-ideas") list.deleteRule(i);
          else if (rule.cssRules) drop(rule);
        }
      };
      for (const sheet of document.styleSheets) drop(sheet);
    });
  });
  await page.goto(env.site("become"));
  const reserved = await page.waitForFunction(() => parseFloat(document.getElementById("call-for-ideas").style.minHeight));
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById("call-for-ideas")).minHeight), `${await reserved.jsonValue()}px`);
  assert.ok((await reserved.jsonValue()) > 700);
  release();
  await page.waitForFunction(() => window.__cfiEvents.some((e) => e.type === "cfi:ready"));
  // Disconnected before the reserve: no "ResizeObserver loop" error.
  assert.deepEqual(await page.evaluate(() => window.__errors), []);
  await context.close();
});

test("the loader reserves room for the first screen when the page does not", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/cfi_widget.js", async (route) => {
    await held;
    await route.continue();
  });
  // Home for Good gives no target: the loader makes the host after its tag.
  await page.goto(env.site("home-for-good"));
  const reserved = await page.waitForFunction(() => {
    const host = document.querySelector("script[data-call] + div");
    return host && parseFloat(host.style.minHeight);
  });
  assert.ok((await reserved.jsonValue()) > 700);
  release();
  await page.waitForFunction(() => window.__cfiEvents.some((e) => e.type === "cfi:ready"));
  await context.close();
});
