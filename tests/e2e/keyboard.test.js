import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { expectHeading, newContext, openWidget, reference } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

/** What has focus, looking inside shadow roots. */
function focused(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return { id: a?.id ?? "", text: (a?.textContent ?? "").trim() };
  });
}

/** Presses Tab until the focused element matches, as a keyboard user would. */
async function tabTo(page, want) {
  for (let i = 0; i < 80; i++) {
    const f = await focused(page);
    if ((want.id && f.id === want.id) || (want.text && f.text === want.text)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${JSON.stringify(want)}`);
}

test("the whole form can be completed with the keyboard alone", async () => {
  const context = await newContext(env.browser);
  const page = await context.newPage();
  await openWidget(page, env.site("become"));

  await tabTo(page, { text: "Start now" });
  await page.keyboard.press("Enter");
  await expectHeading(page, "About you");

  await tabTo(page, { id: "respondent-capacity" });
  await page.keyboard.press("Space");
  await tabTo(page, { id: "respondent-name" });
  await page.keyboard.type("Kim Keyboard");
  await tabTo(page, { id: "respondent-perspectives" });
  await page.keyboard.press("Space");
  await tabTo(page, { id: "respondent-age_band" });
  // Arrow keys move through a radio group and select.
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.equal((await focused(page)).id, "respondent-age_band-18_25");
  await tabTo(page, { text: "Continue" });
  await page.keyboard.press("Enter");
  await expectHeading(page, "Your ideas");

  await tabTo(page, { id: "ideas-0-title" });
  await page.keyboard.type("Keyboard idea");
  await tabTo(page, { id: "ideas-0-description" });
  await page.keyboard.type("Typed without a mouse, from the first field to the last.");
  await tabTo(page, { text: "Continue" });
  await page.keyboard.press("Enter");
  await expectHeading(page, "Publishing and privacy");

  await tabTo(page, { id: "publication" });
  await page.keyboard.press("Space");
  await tabTo(page, { id: "privacy_notice_read" });
  await page.keyboard.press("Space");
  await tabTo(page, { text: "Continue" });
  await page.keyboard.press("Enter");
  await expectHeading(page, "Check your answers");

  await tabTo(page, { id: "cfi-send" });
  await page.keyboard.press("Enter");
  const ref = await reference(page);
  const stored = (await env.submissions()).find((s) => s.reference === ref);
  assert.equal(stored.name, "Kim Keyboard");
  assert.equal(stored.age_band, "18_25");
  assert.equal(stored.partner, "become");
  await context.close();
});
