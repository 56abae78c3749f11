import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN_TOKEN, start } from "./harness.js";
import { events, expectFocus, expectHeading, fillToCheck, newContext, openWidget, problem, savedDrafts } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

test("missing answers: the error summary takes focus and links to each field", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("home-for-good"));
  await page.getByRole("button", { name: "Start now" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  const summary = page.locator("#cfi-error-summary");
  await expectFocus(page, "cfi-error-summary");
  const links = summary.locator("a");
  assert.deepEqual(await links.allTextContents(), [
    "Select whether you are answering as an individual or on behalf of an organisation",
    "Select at least one that applies to you, or 'Other'",
    "Select your age group, or 'Prefer not to say'",
  ]);
  await links.nth(2).click();
  await expectFocus(page, "respondent-age_band");
  // The inline message is above the field and read with it.
  const fieldset = page.locator("fieldset", { has: page.locator("#respondent-age_band") });
  assert.match(await fieldset.getAttribute("aria-describedby"), /respondent-age_band-error/);
  assert.match(await page.locator("#respondent-age_band-error").textContent(), /Select your age group/);
  await context.close();
});

test("too many words: the live count and the rules crate's message", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await fillToCheck(page);
  await page.getByRole("button", { name: "Change description of idea 1" }).click();
  await page.locator("#ideas-0-description").fill("word ".repeat(252));
  assert.equal((await page.locator("#ideas-0-description-count").textContent()).trim(), "You have 2 words too many");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#ideas-0-description-error").waitFor();
  assert.match(
    await page.locator("#ideas-0-description-error").textContent(),
    /Idea 1 must be 250 words or fewer – it has 252, so remove 2/,
  );
  await context.close();
});

test("a 422 from the server appears at its field", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("barnardos"));
  await fillToCheck(page);
  await page.route("**/submissions", (route) =>
    problem(route, 422, {
      type: "/problems/validation",
      title: "Some answers need changing",
      errors: [
        { pointer: "#/ideas/0/title", code: "too_long", detail: "The server refused this title" },
        { pointer: "#/ideas/0/theme", code: "invalid_choice", detail: "Select a theme from the list, or leave it empty" },
      ],
    }),
  );
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#ideas-0-title-error").waitFor();
  // The theme's list reads its error with it, as the text fields do.
  assert.match(await page.locator("#ideas-0-theme-error").textContent(), /Select a theme from the list/);
  assert.equal(await page.locator("#ideas-0-theme").getAttribute("aria-describedby"), "ideas-0-theme-error");
  assert.match(await page.locator("#ideas-0-title-error").textContent(), /The server refused this title/);
  assert.equal((await page.locator("#cfi-heading").textContent()).trim(), "Your ideas");
  await expectFocus(page, "cfi-error-summary");
  assert.match(await page.locator("#ideas-0-title").getAttribute("aria-describedby"), /ideas-0-title-error/);
  const events = await page.evaluate(() => window.__cfiEvents.map((e) => e.type));
  assert.ok(events.includes("cfi:error"));
  // After fixing it, "Continue" returns to the check page.
  await page.unroute("**/submissions");
  await page.locator("#ideas-0-title").fill("A shorter title");
  await page.getByRole("button", { name: "Continue" }).click();
  await expectHeading(page, "Check your answers");
  await context.close();
});

test("a closed call shows its closed message with the dates", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("review", "?call=closed-call"));
  assert.equal((await page.locator("#cfi-heading").textContent()).trim(), "Call for Evidence has closed");
  assert.match(await page.locator(".cfi-body strong").textContent(), /closed at 5pm on 15 December 2021/);
  assert.equal(await page.locator("input, textarea").count(), 0);
  await context.close();
});

test("a call that closes while someone writes: the server's 409 shows the closed message", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await fillToCheck(page);
  await page.route("**/submissions", (route) =>
    problem(route, 409, { type: "/problems/call-closed", title: "This call has closed" }),
  );
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-heading").filter({ hasText: "has closed" }).waitFor();
  await context.close();
});

test("a page the review does not allow for its partner says where ideas can be sent, and tells the host", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  // The review's site claiming to be Become's page: the server refuses it.
  await openWidget(page, env.site("review", "not-allowed.html"));
  await fillToCheck(page);
  await page.getByRole("button", { name: "Send my ideas" }).click();
  const status = page.locator("#cfi-submit-status");
  await page.locator("#cfi-review-page").waitFor();
  await expectFocus(page, "cfi-submit-status");
  const text = (await status.textContent()).trim();
  assert.doesNotMatch(text, /connection/);
  assert.match(text, /send your ideas on the review's own page/);
  assert.match(text, /\.$/);
  assert.equal(await page.locator("#cfi-review-page").getAttribute("href"), env.serverUrl);
  assert.equal(await page.locator("#cfi-retry").count(), 0, "retrying cannot help");
  const errors = (await page.evaluate(() => window.__cfiEvents)).filter((e) => e.type === "cfi:error");
  assert.deepEqual(errors.map((e) => e.detail), [{ kind: "submit", status: "403", code: "partner-not-allowed" }]);
  await context.close();
});

test("a retry of a submission erased meanwhile: the draft and key are cleared and the person is told", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  await fillToCheck(page, { name: "Erased Meanwhile" });
  const [draft] = await savedDrafts(page);
  assert.ok(draft, "the draft is saved on the device");
  let erased = null;
  await page.route("**/submissions", async (route) => {
    if (erased === null) {
      // The server stores it, but the answer never reaches the browser;
      // meanwhile the review team erases it at the person's request.
      const response = await route.fetch();
      const { reference } = await response.json();
      erased = await fetch(`${env.serverUrl}/api/admin/submissions/${reference}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  // The widget retries with the same key and body.
  await page.locator("#cfi-retry").click();
  const status = page.locator("#cfi-submit-status");
  await status.filter({ hasText: "removed by the review team at someone's request" }).waitFor();
  assert.match(await status.textContent(), /You are welcome to write to us again if you wish\.$/);
  assert.equal(erased.status, 200);
  await expectFocus(page, "cfi-submit-status");
  assert.equal(await page.locator("#cfi-retry").count(), 0, "no retry is offered");
  const drafts = await savedDrafts(page);
  assert.ok(
    drafts.every((d) => d.value.key !== draft.value.key),
    "the erased submission's key is gone from the device",
  );
  assert.ok(
    drafts.every((d) => !JSON.stringify(d.value).includes("Erased Meanwhile")),
    "the erased answers are gone from the device",
  );
  const errors = (await events(page)).filter((e) => e.type === "cfi:error");
  assert.equal(errors.at(-1)?.detail?.code, "submission-erased");
  assert.equal(errors.at(-1)?.detail?.status, "410");
  const left = (await env.submissions()).filter((s) => s.name === "Erased Meanwhile");
  assert.equal(left.length, 0, "nothing was stored again");
  await context.close();
});
