import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { SITES, start } from "./harness.js";
import { expectHeading, fillToCheck, newContext, openWidget, reference } from "./flow.js";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

/** Runs axe-core on the widget's host element; axe walks its shadow tree. */
async function violations(page, step) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot?.querySelector(".cfi"));
    const r = await window.axe.run(host, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return result.map((v) => ({ step, ...v }));
}

// Every partner's page, and the review's pages in another language, right
// to left, and under Trusted Types (axe is injected as a script, which that
// page's policy forbids: its CSP is set aside for the audit only; the
// Trusted Types test runs the form under it).
const PAGES = [
  ...SITES.map((site) => [site, ""]),
  ["review", "welsh.html"],
  ["review", "rtl.html"],
  ["review", "trusted-types.html"],
];

for (const [site, file] of PAGES) {
  test(`axe-core finds no violations on any step of the ${site} ${file || "home"} page`, async () => {
    const context = await newContext(env.browser, { bypassCSP: file === "trusted-types.html" });
    const page = await context.newPage();
    await openWidget(page, env.site(site, file));
    const found = [];
    found.push(...(await violations(page, "start")));
    await page.getByRole("button", { name: "Start now" }).click();
    await expectHeading(page, "About you");
    found.push(...(await violations(page, "about you")));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator("#cfi-error-summary").waitFor();
    found.push(...(await violations(page, "about you, with errors")));
    await page.locator("#respondent-capacity-organisation").check();
    found.push(...(await violations(page, "about you, organisation")));
    await page.getByRole("button", { name: /Clear it/ }).click();
    await fillToCheck(page);
    found.push(...(await violations(page, "check your answers")));
    await page.getByRole("button", { name: "Change title of idea 1" }).click();
    await page.getByRole("button", { name: "Add another idea" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator("#cfi-error-summary").waitFor();
    found.push(...(await violations(page, "your ideas, two, with errors")));
    await page.getByRole("button", { name: "Remove idea 2" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await expectHeading(page, "Check your answers");
    await page.getByRole("button", { name: "Change published" }).click();
    found.push(...(await violations(page, "publishing and privacy")));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Send my ideas" }).click();
    await reference(page);
    found.push(...(await violations(page, "confirmation")));
    assert.deepEqual(found, []);
    await context.close();
  });
}

test("axe-core finds no violations on the closed-call message", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("review", "?call=closed-call"));
  assert.deepEqual(await violations(page, "closed"), []);
  await context.close();
});

test("axe-core finds no violations on the message of a page the review does not allow", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("review", "not-allowed.html"));
  await fillToCheck(page);
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await page.locator("#cfi-review-page").waitFor();
  assert.deepEqual(await violations(page, "not allowed"), []);
  await context.close();
});
