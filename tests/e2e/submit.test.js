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
