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

/** The widget root's lang and dir, and the direction its text is laid out in. */
function direction(page) {
  return page.evaluate(() => {
    // The element the form is mounted in, right inside the shadow root.
    const root = document.getElementById("cfi").shadowRoot.querySelector(".cfi").parentElement;
    const heading = root.querySelector("#cfi-heading");
    const radio = root.querySelector(".cfi-radio-input, .cfi-body");
    return {
      lang: root.getAttribute("lang"),
      dir: root.getAttribute("dir"),
      heading: getComputedStyle(heading).direction,
      text: getComputedStyle(radio).direction,
    };
  });
}

for (const [name, file, pageLang] of [
  ["a Welsh page", "welsh.html", "cy"],
  ["a right-to-left page", "rtl.html", "ar"],
]) {
  test(`on ${name} the widget's English text keeps its own language and direction`, async () => {
    const context = await newContext(env.browser);
    const page = await context.newPage();
    await openWidget(page, env.site("review", file));
    assert.equal(await page.evaluate(() => document.documentElement.lang), pageLang);
    const want = { lang: "en", dir: "ltr", heading: "ltr", text: "ltr" };
    assert.deepEqual(await direction(page), want);
    await fillToCheck(page, { name: `From ${file}` });
    assert.deepEqual(await direction(page), want);
    await page.getByRole("button", { name: "Send my ideas" }).click();
    const ref = await reference(page);
    const stored = (await env.submissions()).find((s) => s.reference === ref);
    assert.equal(stored.name, `From ${file}`);
    await context.close();
  });
}
