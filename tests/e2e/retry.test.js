import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { fillToCheck, newContext, openWidget, problem, reference } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

async function recordsNamed(name) {
  return (await env.submissions()).filter((s) => s.name === name);
}

test("double-clicking “Send my ideas” stores exactly one record", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("barnardos"));
  await fillToCheck(page, { name: "Double Clicker" });
  const posts = [];
  page.on("request", (r) => r.method() === "POST" && posts.push(r));
  await page.getByRole("button", { name: "Send my ideas" }).dblclick();
  const ref = await reference(page);
  const stored = await recordsNamed("Double Clicker");
  assert.equal(stored.length, 1);
  assert.equal(stored[0].reference, ref);
  assert.equal(posts.length, 1, "the second click is ignored while sending");
  await context.close();
});

test("a connection dropped before the server answered is retried with the same key: one record", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await fillToCheck(page, { name: "Dropped Before" });
  const keys = [];
  let first = true;
  await page.route("**/submissions", async (route) => {
    keys.push(route.request().headers()["idempotency-key"]);
    if (first) {
      first = false;
      return route.abort("internetdisconnected");
    }
    return route.continue();
  });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-submit-status").filter({ hasText: "Trying again" }).waitFor();
  const ref = await reference(page);
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], "the retry reuses the idempotency key");
  assert.match(keys[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const stored = await recordsNamed("Dropped Before");
  assert.equal(stored.length, 1);
  assert.equal(stored[0].reference, ref);
  await context.close();
});

test("a connection dropped after the server stored it, then “Try again now”: one record, same reference", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("home-for-good"));
  await fillToCheck(page, { name: "Dropped After" });
  let firstReference = null;
  await page.route("**/submissions", async (route) => {
    if (firstReference === null) {
      // The server stores it, but the answer never reaches the browser.
      const response = await route.fetch();
      firstReference = (await response.json()).reference;
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-retry").click();
  const ref = await reference(page);
  assert.equal(ref, firstReference, "the retry gets the stored record's reference");
  assert.equal((await recordsNamed("Dropped After")).length, 1);
  await context.close();
});

test("offline, then back online: the automatic retry stores one record", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("review"));
  await fillToCheck(page, { name: "Was Offline" });
  await context.setOffline(true);
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-submit-status").filter({ hasText: "Trying again" }).waitFor();
  await context.setOffline(false);
  await reference(page);
  assert.equal((await recordsNamed("Was Offline")).length, 1);
  await context.close();
});

test("429 is retried after Retry-After and the person sees the wait", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await fillToCheck(page, { name: "Rate Limited" });
  let limited = false;
  await page.route("**/submissions", (route) => {
    if (route.request().method() === "POST" && !limited) {
      limited = true;
      return problem(route, 429, { type: "/problems/too-many-requests", title: "Too many requests" }, { "Retry-After": "2" });
    }
    return route.continue();
  });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-submit-status").filter({ hasText: "Trying again in 2 seconds" }).waitFor();
  await reference(page);
  assert.equal((await recordsNamed("Rate Limited")).length, 1);
  await context.close();
});
