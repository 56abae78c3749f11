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

test("the widget works under a strict Content Security Policy with only the documented additions", async () => {
  const context = await newContext(env.browser);
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  // demo/sites/review/strict.csp is the policy, sent by the demo server.
  const response = await page.goto(env.site("review", "strict.html"));
  assert.match(response.headers()["content-security-policy"], /'wasm-unsafe-eval'/);
  await openWidget(page, env.site("review", "strict.html"));
  const accent = await page.evaluate(() => {
    const host = document.getElementById("cfi");
    return getComputedStyle(host.shadowRoot.querySelector(".cfi-button")).backgroundColor;
  });
  assert.equal(accent, "rgb(255, 213, 0)", "the partner's colour applies without inline styles");
  await fillToCheck(page, { name: "Strict CSP" });
  await page.getByRole("button", { name: "Send my ideas" }).click();
  await reference(page);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  await context.close();
});
