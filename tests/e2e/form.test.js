// The review's own form (`/calls/{call}/form`), for people whose browser runs
// no JavaScript or no WebAssembly: a whole submission with JavaScript off,
// the widget's fallback link when WebAssembly is missing, a double POST,
// the same questions and errors as the widget, axe-core and the keyboard.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { events, expectHeading, newContext, openWidget } from "./flow.js";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const REFERENCE = /^CFI-[0-9A-Z]{4}-[0-9A-Z]{4}$/;

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

const formUrl = () => `${env.serverUrl}/calls/call-for-ideas/form`;

async function h1(page) {
  return (await page.locator("h1").textContent()).trim();
}

/** From the first page to "Check your answers", as a person would. */
async function fillForm(page, { title = "A mentor for every care leaver" } = {}) {
  await page.getByRole("button", { name: "Start now" }).click();
  assert.equal(await h1(page), "About you");
  await page.locator("#respondent-capacity").check();
  await page.locator("#respondent-name").fill("Sam Example");
  await page.locator("#respondent-email").fill("sam@example.org");
  await page.locator("#respondent-perspectives").check();
  await page.locator("#respondent-age_band-18_25").check();
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await h1(page), "Your ideas");
  await page.locator("#ideas-0-title").fill(title);
  await page.locator("#ideas-0-theme").selectOption("leaving_care");
  await page.locator("#ideas-0-description").fill("Every young person leaving care should have a mentor until they are 25.");
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await h1(page), "Publishing and privacy");
  await page.locator("#publication").check();
  await page.locator("#privacy_notice_read").check();
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await h1(page), "Check your answers before sending your ideas");
}

async function sentReference(page) {
  const text = (await page.locator("#reference").textContent()).trim();
  assert.match(text, REFERENCE);
  return text;
}

test("a whole submission with JavaScript off, through the server's form, to a reference", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(formUrl());
  assert.equal(await h1(page), "Call for Ideas");
  await fillForm(page);
  await page.getByRole("button", { name: "Send ideas" }).click();
  assert.equal(await h1(page), "Ideas sent");
  const ref = await sentReference(page);
  const stored = (await env.submissions()).find((s) => s.reference === ref);
  assert.ok(stored, "the submission is stored");
  assert.equal(stored.ideas[0].title, "A mentor for every care leaver");
  assert.equal(stored.partner ?? null, null, "a partner is never recorded from the form");
  await context.close();
});

test("a step with errors, Back and Change lose nothing a person typed", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(formUrl());
  await page.getByRole("button", { name: "Start now" }).click();
  await page.locator("#respondent-name").fill("Kai");
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(page.url(), formUrl());
  assert.equal(await page.locator(".error-summary h2").textContent(), "There is a problem");
  assert.equal(await page.locator("#respondent-name").inputValue(), "Kai");
  assert.match(await page.title(), /^Error: About you/);
  // The summary's links land on the fields they name.
  const hrefs = await page.locator(".error-summary a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const href of hrefs) assert.equal(await page.locator(href).count(), 1, href);
  await page.locator("#respondent-capacity").check();
  await page.locator("#respondent-perspectives").check();
  await page.locator("#respondent-age_band-18_25").check();
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await h1(page), "Your ideas");
  await page.locator("#ideas-0-title").fill("Keep brothers and sisters together");
  await page.getByRole("button", { name: "Add another idea" }).click();
  assert.equal(await page.locator("#ideas-0-title").inputValue(), "Keep brothers and sisters together");
  assert.equal(await page.locator("#ideas-1-title").count(), 1);
  await page.getByRole("button", { name: "Remove idea 2" }).click();
  assert.equal(await page.locator("#ideas-1-title").count(), 0);
  await page.getByRole("button", { name: "Back" }).click();
  assert.equal(await h1(page), "About you");
  assert.equal(await page.locator("#respondent-name").inputValue(), "Kai");
  await page.getByRole("button", { name: "Continue" }).click();
  assert.equal(await page.locator("#ideas-0-title").inputValue(), "Keep brothers and sisters together");
  await context.close();
});

test("a double POST of the form stores one submission and shows the same reference", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(formUrl());
  await fillForm(page, { title: "Sent twice by a double tap" });
  // The body the page's "Send ideas" button sends, posted three times.
  const fields = await page.locator("form input[type=hidden]").evaluateAll((inputs) => inputs.map((i) => [i.name, i.value]));
  fields.push(["action", "send"], ["website", ""]);
  const post = () =>
    fetch(formUrl(), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const [first, second] = await Promise.all([post(), post()]);
  const third = await post();
  const refs = [first, second, third]
    .filter((r) => r.status === 200)
    .map((r) => r.text.match(/id="reference">([^<]+)</)?.[1]);
  assert.ok(refs.length >= 2, `answers: ${[first, second, third].map((r) => r.status)}`);
  assert.ok(refs.every((r) => r === refs[0] && REFERENCE.test(r)), refs.join(", "));
  const stored = (await env.submissions()).filter((s) => s.ideas[0].title === "Sent twice by a double tap");
  assert.equal(stored.length, 1);
  await context.close();
});

test("without WebAssembly the widget offers a link to the server's form, which goes on to a reference", async () => {
  const context = await newContext(env.browser);
  await context.addInitScript(() => {
    delete window.WebAssembly;
  });
  const page = await context.newPage();
  await page.goto(env.site("become"));
  const link = page.locator("#call-for-ideas a", { hasText: "Send your ideas on the review's own form" });
  await link.waitFor();
  assert.match(await page.locator("#call-for-ideas").textContent(), /This form cannot run in this browser/);
  assert.doesNotMatch(await page.locator("#call-for-ideas").textContent(), /connection/);
  const error = (await events(page)).find((e) => e.type === "cfi:error");
  assert.equal(error?.detail?.code, "no-webassembly");
  assert.equal(await link.getAttribute("target"), null, "the link opens in the same tab");
  await link.click();
  await page.waitForURL(/\/calls\/call-for-ideas\/form/);
  await fillForm(page);
  await page.getByRole("button", { name: "Send ideas" }).click();
  const ref = await sentReference(page);
  const stored = (await env.submissions()).find((s) => s.reference === ref);
  assert.ok(stored);
  assert.equal(stored.partner ?? null, null, "the partner on the link is not recorded");
  await context.close();
});

test("when the form's files cannot be fetched the widget says to check the connection and links to the server's form", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await page.route("**/cfi_widget_bg.wasm", (route) => route.abort());
  await page.goto(env.site("become"));
  const link = page.locator("#call-for-ideas a", { hasText: "Send your ideas on the review's own form" });
  await link.waitFor();
  // In the shadow root when the loader drew the first screen there first.
  const said = await page.evaluate(() => {
    const host = document.querySelector("#call-for-ideas");
    return (host.shadowRoot || host).textContent;
  });
  assert.match(said, /Check your connection/);
  assert.doesNotMatch(said, /Start now/);
  const error = (await events(page)).find((e) => e.type === "cfi:error");
  assert.equal(error?.detail?.code, "load-failed");
  assert.match(await link.getAttribute("href"), /\/calls\/call-for-ideas\/form\?partner=become$/);
  await context.close();
});

test("the partner's link for people without JavaScript is replaced by the widget", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));
  assert.equal(await page.locator("#call-for-ideas > a").count(), 0);
  await context.close();
  const noScript = await env.browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto(env.site("become"));
  await plain.locator("#call-for-ideas > a").click();
  await plain.waitForURL(/\/calls\/call-for-ideas\/form\?partner=become$/);
  assert.equal(await h1(plain), "Call for Ideas");
  await noScript.close();
});

/** Every label and legend of the form on the page, inside the widget's shadow root or not. */
async function questions(page) {
  return page.evaluate(() => {
    const root = [...document.querySelectorAll("*")].find((e) => e.shadowRoot?.querySelector(".cfi"))?.shadowRoot ?? document;
    return [...root.querySelectorAll("label, legend")]
      .map((e) => e.textContent.trim())
      .filter((t) => t && t !== "Leave this empty" && !t.startsWith("Do not save"));
  });
}

async function summary(page, selector) {
  return page.locator(`${selector} a`).evaluateAll((as) => as.map((a) => a.textContent.trim()));
}

test("the widget and the server's form ask the same questions and give the same error for the same bad answer", async () => {
  const context = await newContext(env.browser);
  const widget = await context.newPage();
  await openWidget(widget, env.site("review"));
  await widget.getByRole("button", { name: "Start now" }).click();
  await expectHeading(widget, "About you");
  const form = await context.newPage();
  await form.goto(formUrl());
  await form.getByRole("button", { name: "Start now" }).click();
  assert.deepEqual(await questions(form), await questions(widget));

  // Nothing chosen, and an email address that is not one.
  for (const page of [widget, form]) {
    await page.locator("#respondent-email").fill("not an address");
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await widget.locator("#cfi-error-summary").waitFor();
  const widgetErrors = await summary(widget, "#cfi-error-summary");
  assert.ok(widgetErrors.length >= 3, widgetErrors.join(" | "));
  assert.deepEqual(await summary(form, ".error-summary"), widgetErrors);

  // The ideas step, with a description over the word limit.
  for (const page of [widget, form]) {
    await page.locator("#respondent-capacity").check();
    await page.locator("#respondent-name").fill("Sam");
    await page.locator("#respondent-email").fill("");
    await page.locator("#respondent-perspectives").check();
    await page.locator("#respondent-age_band-18_25").check();
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await expectHeading(widget, "Your ideas");
  assert.equal(await h1(form), "Your ideas");
  assert.deepEqual(await questions(form), await questions(widget));
  const long = Array.from({ length: 260 }, (_, i) => `word${i}`).join(" ");
  for (const page of [widget, form]) {
    await page.locator("#ideas-0-description").fill(long);
    await page.getByRole("button", { name: "Continue" }).click();
  }
  await widget.locator("#cfi-error-summary").waitFor();
  assert.deepEqual(await summary(form, ".error-summary"), await summary(widget, "#cfi-error-summary"));
  await context.close();
});

async function axe(page, step) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return found.map((v) => ({ step, ...v }));
}

test("axe-core finds no violations on any page of the server's form", async () => {
  // Scripts run only for axe: the pages have none and their CSP forbids them.
  const context = await env.browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(formUrl());
  const found = [...(await axe(page, "start"))];
  await page.getByRole("button", { name: "Start now" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  found.push(...(await axe(page, "about you, with errors")));
  await page.locator("#respondent-capacity-organisation").check();
  await page.getByRole("button", { name: "Continue" }).click();
  found.push(...(await axe(page, "about you, organisation")));
  await page.goto(formUrl());
  await fillForm(page);
  found.push(...(await axe(page, "check your answers")));
  await page.getByRole("button", { name: "Change title of idea 1" }).click();
  await page.getByRole("button", { name: "Add another idea" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  found.push(...(await axe(page, "ideas, with errors")));
  await page.getByRole("button", { name: "Remove idea 2" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Back" }).click();
  found.push(...(await axe(page, "publishing")));
  await page.goto(formUrl());
  await fillForm(page, { title: "Checked by axe" });
  await page.getByRole("button", { name: "Send ideas" }).click();
  found.push(...(await axe(page, "sent")));
  await page.goto(`${env.serverUrl}/calls/closed-call/form`);
  found.push(...(await axe(page, "closed call")));
  assert.deepEqual(found, []);
  await context.close();
});

/** Presses Tab until the focused element matches, at most `limit` times. */
async function tabTo(page, matches, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const here = await page.evaluate(() => {
      const e = document.activeElement;
      return { id: e.id, text: e.textContent.trim(), tag: e.tagName, value: e.value ?? "" };
    });
    if (matches(here)) return here;
  }
  throw new Error("never reached by Tab");
}

test("the server's form can be filled in and sent with the keyboard alone", async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(formUrl());
  await tabTo(page, (e) => e.text === "Start now");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "About you" }).waitFor();
  await tabTo(page, (e) => e.id === "respondent-capacity");
  await page.keyboard.press("Space");
  await tabTo(page, (e) => e.id === "respondent-name");
  await page.keyboard.type("Robin Keys");
  // Enter in a field is Continue (here: the step's errors), never Back.
  await page.keyboard.press("Enter");
  await page.locator(".error-summary").waitFor();
  assert.equal(await h1(page), "About you");
  assert.equal(await page.locator("#respondent-name").inputValue(), "Robin Keys");
  await tabTo(page, (e) => e.id === "respondent-perspectives");
  await page.keyboard.press("Space");
  await tabTo(page, (e) => e.id === "respondent-age_band");
  await page.keyboard.press("Space");
  await tabTo(page, (e) => e.text === "Continue");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "Your ideas" }).waitFor();
  await tabTo(page, (e) => e.id === "ideas-0-title");
  await page.keyboard.type("Typed without a mouse");
  await tabTo(page, (e) => e.id === "ideas-0-description");
  await page.keyboard.type("Every step of the form works from the keyboard.");
  await tabTo(page, (e) => e.text === "Continue");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "Publishing and privacy" }).waitFor();
  await tabTo(page, (e) => e.id === "publication");
  await page.keyboard.press("Space");
  await tabTo(page, (e) => e.id === "privacy_notice_read");
  await page.keyboard.press("Space");
  await tabTo(page, (e) => e.text === "Continue");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "Check your answers" }).waitFor();
  await tabTo(page, (e) => e.text === "Send ideas");
  await page.keyboard.press("Enter");
  await page.locator("h1", { hasText: "Ideas sent" }).waitFor();
  const ref = await sentReference(page);
  const stored = (await env.submissions()).find((s) => s.reference === ref);
  assert.equal(stored.ideas[0].title, "Typed without a mouse");
  await context.close();
});
