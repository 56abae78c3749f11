// The loader draws the call's first screen from the call definition before
// the form's code arrives, and the form takes it over without anything
// moving; "Start now" pressed before that is not lost.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { expectHeading, newContext } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

/**
 * A page whose form code (the main wasm) is held back until `release()`,
 * as on a slow connection, with the page's CSP violations and errors kept.
 */
async function heldBack(file) {
  const context = await newContext(env.browser);
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    );
  });
  let release;
  // Resolves true to let the wasm through, false to fail its download.
  const released = new Promise((r) => (release = r));
  await context.route(/cfi_widget_bg\.wasm$/, async (route) => {
    if (await released) await route.continue();
    else await route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(env.site("review", file));
  return { context, page, errors, release: () => release(true), fail: () => release(false) };
}

/** The loader's first screen, once shown (it waits for the stylesheet). */
async function firstScreen(page) {
  const screen = page.locator("#cfi-first");
  await screen.waitFor();
  return screen;
}

for (const file of ["strict.html", "trusted-types.html"]) {
  test(`the first screen shows before the form's code on ${file}, and Start pressed then leads to the next step`, async () => {
    const { context, page, errors, release } = await heldBack(file);
    const screen = await firstScreen(page);
    assert.equal((await screen.locator("h2").textContent()).trim(), "Call for Ideas");
    assert.match(await screen.textContent(), /Send your ideas by/);
    // In the form's colours before the form has set them.
    const start = screen.getByRole("button", { name: "Start now" });
    assert.equal(await start.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(0, 112, 60)");
    // Nothing of the form itself yet: the wasm is still on its way.
    assert.equal(await page.locator("#cfi-heading").count(), 0);
    await screen.getByRole("button", { name: "Start now" }).click();
    await screen.getByRole("status").filter({ hasText: "Opening the first question" }).waitFor();
    release();
    await expectHeading(page, "About you");
    assert.equal(await page.locator("#cfi-first").count(), 0);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("the form takes over the loader's first screen without moving it, and the focused control keeps focus", async () => {
  const { context, page, errors, release } = await heldBack("index.html");
  const screen = await firstScreen(page);
  const boxes = async (root) => ({
    heading: await root.locator("h2").first().boundingBox(),
    button: await root.getByRole("button", { name: "Start now" }).boundingBox(),
  });
  // Focused first: focusing scrolls the button into view.
  await screen.getByRole("button", { name: "Start now" }).focus();
  const before = await boxes(screen);
  release();
  await page.locator("#cfi-first").waitFor({ state: "detached" });
  const form = page.locator(".cfi").filter({ has: page.locator("#cfi-heading") });
  assert.deepEqual(await boxes(form), before);
  const focused = await page.evaluate(() => {
    const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot);
    const a = host.shadowRoot.activeElement;
    return a && `${a.tagName} ${a.textContent.trim()}`;
  });
  assert.equal(focused, "BUTTON Start now");
  // Not pressed: the form stays on its first screen.
  assert.equal((await page.locator("#cfi-heading").textContent()).trim(), "Call for Ideas");
  assert.deepEqual(errors, []);
  await context.close();
});

test("when the form's files fail after Start was pressed on the loader's screen, the fallback is said at once and its link has focus", async () => {
  const { context, page, fail } = await heldBack("index.html");
  const screen = await firstScreen(page);
  await screen.getByRole("button", { name: "Start now" }).click();
  await screen.getByRole("status").filter({ hasText: "Opening the first question" }).waitFor();
  fail();
  const alert = page.getByRole("alert").filter({ hasText: "Check your connection" });
  await alert.waitFor();
  assert.equal(await page.locator("#cfi-first").count(), 0);
  const focused = await page.evaluate(() => {
    const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot);
    const a = host.shadowRoot.activeElement;
    return a && `${a.tagName} ${a.getAttribute("href")}`;
  });
  assert.match(focused, /^A .*\/calls\/call-for-ideas\/form/);
  await context.close();
});

test("from the call's own loader neither the first screen nor the form asks for the definition or the stylesheet: the screen shows styled while the form's code is held back", async () => {
  const { context, page, errors, release } = await heldBack("strict.html");
  // heldBack's route holds the wasm.
  const asked = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/calls/") || /widget\.css$/.test(r.url())) asked.push(r.url());
  });
  // The page's load event is not held back by the form's files either.
  await page.reload({ waitUntil: "load" });
  const screen = await firstScreen(page);
  const start = screen.getByRole("button", { name: "Start now" });
  assert.equal(await start.evaluate((b) => getComputedStyle(b).backgroundColor), "rgb(0, 112, 60)");
  assert.deepEqual(asked, []);
  release();
  await page.locator("#cfi-first").waitFor({ state: "detached" });
  assert.equal((await page.locator("#cfi-heading").textContent()).trim(), "Call for Ideas");
  // The form itself is styled by the same stylesheet, in the partner's colour.
  assert.equal(
    await page.getByRole("button", { name: "Start now" }).evaluate((b) => getComputedStyle(b).backgroundColor),
    "rgb(255, 213, 0)",
  );
  assert.deepEqual(asked, []);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
  await context.close();
});
