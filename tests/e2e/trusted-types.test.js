import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { fillToCheck, newContext, openWidget, reference } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

test("the widget mounts and sends ideas on a page that enforces Trusted Types", async () => {
  const context = await newContext(env.browser);
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
    );
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // demo/sites/review/trusted-types.csp is the policy, sent by the demo server.
  const response = await page.goto(env.site("review", "trusted-types.html"));
  assert.match(response.headers()["content-security-policy"], /require-trusted-types-for 'script'/);
  await openWidget(page, env.site("review", "trusted-types.html"));
  await fillToCheck(page, { name: "Trusted Types" });
  // The error summary and the steps' other views are built the same way.
  await page.getByRole("button", { name: "Change title of idea 1" }).click();
  await page.locator("#ideas-0-title").fill("");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#cfi-error-summary").waitFor();
  await page.locator("#ideas-0-title").fill("Trusted ideas");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Send my ideas" }).click();
  const ref = await reference(page);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(errors, []);
  const stored = (await env.submissions()).find((s) => s.reference === ref);
  assert.equal(stored.ideas[0].title, "Trusted ideas");
  await context.close();
});
