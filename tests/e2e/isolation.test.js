import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { start } from "./harness.js";
import { newContext, openWidget } from "./flow.js";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

const PROPS = [
  "display", "position", "opacity", "visibility", "appearance",
  "font-family", "font-size", "font-weight", "font-style", "line-height",
  "letter-spacing", "word-spacing", "text-transform", "text-align", "text-decoration-line",
  "margin-top", "margin-right", "margin-bottom", "margin-left",
  "padding-top", "padding-right", "padding-bottom", "padding-left",
  "border-top-width", "border-top-style", "border-left-width", "border-left-style",
  "border-radius", "height", "transform", "outline-style",
];
// Colours that follow the partner's accent differ on purpose.
const ACCENT = ["color", "background-color"];

async function styles(page, selectors, withColours) {
  return page.evaluate(
    ({ selectors, props }) => {
      const out = {};
      for (const sel of selectors) {
        const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot?.querySelector(sel));
        const el = host.shadowRoot.querySelector(sel);
        const cs = getComputedStyle(el);
        out[sel] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
      }
      return out;
    },
    { selectors, props: withColours ? [...PROPS, ...ACCENT] : PROPS },
  );
}

async function snapshot(site) {
  const context = await newContext(env.browser, { viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  await openWidget(page, env.site(site));
  const start = {
    ...(await styles(page, ["#cfi-heading", ".cfi-body", ".cfi-inset, .cfi-saved"], true)),
    ...(await styles(page, [".cfi-button", ".cfi-details-summary"], false)),
  };
  await page.getByRole("button", { name: "Start now" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("#cfi-error-summary").waitFor();
  // The summary takes focus (and its focus outline) once drawn: compared
  // before that on one page and after it on the other, they would differ.
  await page.waitForFunction(() => {
    const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot?.getElementById("cfi-error-summary"));
    return host?.shadowRoot.activeElement?.id === "cfi-error-summary";
  });
  const form = await styles(
    page,
    ["#respondent-name", "label[for=respondent-name]", "#respondent-capacity", ".cfi-legend", ".cfi-hint", ".cfi-error-message", "#cfi-error-summary", ".cfi-checkbox-label"],
    true,
  );
  const hostile = await page.evaluate(() => ({
    html: getComputedStyle(document.documentElement).fontSize,
    inputs: document.styleSheets.length,
  }));
  await context.close();
  return { start, form, hostile };
}

test("the hostile page's CSS does not change the widget", async () => {
  const plain = await snapshot("review");
  const hostile = await snapshot("barnardos");
  assert.equal(hostile.hostile.html, "10px", "the hostile CSS is in force on its page");
  assert.equal(plain.hostile.html, "16px");
  assert.deepEqual(hostile.start, plain.start);
  assert.deepEqual(hostile.form, plain.form);
  // Spot checks of what the hostile rules would have done.
  assert.equal(hostile.start["#cfi-heading"]["font-size"], "32px");
  assert.equal(hostile.form["#respondent-name"]["height"], "40px");
  assert.equal(hostile.form["#respondent-capacity"]["opacity"], "1");
});
