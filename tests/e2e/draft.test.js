import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { expectHeading, fillToCheck, newContext, openWidget, problem, reference, savedDrafts, until } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

test("reloading mid-way restores the draft, the step and the idempotency key", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await page.getByRole("button", { name: "Start now" }).click();
  await page.locator("#respondent-capacity-organisation").check();
  await page.locator("#respondent-organisation").fill("Care Leavers Together");
  await page.locator("#respondent-perspectives-charity_or_voluntary_sector").check();
  await page.locator("#respondent-age_band-26_plus").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expectHeading(page, "Your ideas");
  await page.locator("#ideas-0-title").fill("Half-written idea");
  await page.locator("#ideas-0-description").fill("one two three");
  const [before] = await savedDrafts(page);
  assert.equal(before.key, "cfi-draft:call-for-ideas:become");
  assert.equal(before.value.step, "ideas");

  await page.reload();
  await page.locator("#ideas-0-title").waitFor();
  assert.equal(await page.locator("#ideas-0-title").inputValue(), "Half-written idea");
  assert.equal(await page.locator("#ideas-0-description").inputValue(), "one two three");
  assert.equal((await page.locator("#ideas-0-description-count").textContent()).trim(), "You have 247 words remaining");
  const [after] = await savedDrafts(page);
  assert.equal(after.value.key, before.value.key, "the idempotency key survives the reload");

  await page.getByRole("button", { name: "Back" }).click();
  assert.equal(await page.locator("#respondent-organisation").inputValue(), "Care Leavers Together");
  assert.equal(await page.locator("#respondent-capacity-organisation").isChecked(), true);
  await context.close();
});

test("“clear it” forgets the draft and “do not save” stops saving", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("home-for-good"));
  await page.getByRole("button", { name: "Start now" }).click();
  await page.locator("#respondent-name").fill("Shared computer user");
  assert.equal((await savedDrafts(page)).length, 1);
  await page.getByRole("button", { name: /Clear it/ }).click();
  await expectHeading(page, "Call for Ideas");
  assert.deepEqual(await savedDrafts(page), []);

  await page.locator("#cfi-no-save").check();
  await page.getByRole("button", { name: "Start now" }).click();
  await page.locator("#respondent-name").fill("Not kept");
  assert.deepEqual(await savedDrafts(page), []);
  assert.match(await page.locator("#cfi-saved-status").textContent(), /not being saved/);
  await page.reload();
  await page.locator("#cfi-heading").waitFor();
  assert.equal(await page.locator("#cfi-no-save").isChecked(), true, "the choice is remembered");
  await page.getByRole("button", { name: "Start now" }).click();
  assert.equal(await page.locator("#respondent-name").inputValue(), "");
  await context.close();
});

test("a draft is only cleared after the server stored it", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("review"));
  await fillToCheck(page);
  await page.route("**/submissions", (route) =>
    problem(route, 503, { type: "/problems/storage-unavailable", title: "Storage unavailable", detail: "Try again later" }, { "Retry-After": "30" }),
  );
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-retry").waitFor();
  assert.match(await page.locator("#cfi-submit-status").textContent(), /Trying again in 30 seconds/);
  assert.equal((await savedDrafts(page)).length, 1, "still on the device while the server is unavailable");
  await page.unroute("**/submissions");
  await page.locator("#cfi-retry").click();
  await reference(page);
  assert.deepEqual(await savedDrafts(page), []);
  await context.close();
});

test("two widgets for the same call on one page each keep their own draft across a reload", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  const url = env.site("review", "two.html");
  const ready = () => page.waitForFunction(() => window.__cfiEvents.filter((e) => e.type === "cfi:ready").length === 2);
  await page.goto(url);
  await ready();
  for (const [host, name] of [
    ["#one", "First Person"],
    ["#two", "Second Person"],
  ]) {
    await page.locator(host).getByRole("button", { name: "Start now" }).click();
    await page.locator(`${host} #respondent-name`).fill(name);
  }
  await until(page, () => Object.keys(localStorage).filter((k) => k.startsWith("cfi-draft:")).length === 2);
  const drafts = await savedDrafts(page);
  assert.deepEqual(drafts.map((d) => d.key).sort(), ["cfi-draft:call-for-ideas:-", "cfi-draft:call-for-ideas:-:2"]);
  await page.reload();
  await ready();
  // Each comes back on its own step with its own answers.
  for (const [host, name] of [
    ["#one", "First Person"],
    ["#two", "Second Person"],
  ]) {
    assert.equal(await page.locator(`${host} #respondent-name`).inputValue(), name);
  }
  await context.close();
});
