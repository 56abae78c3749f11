// Steps through the widget as a person would. Playwright's CSS selectors
// pierce open shadow roots, so the widget's ids are used directly.
import assert from "node:assert/strict";

export const HEADING = "#cfi-heading";

/** Opens a page and waits for the widget's start step. */
export async function openWidget(page, url) {
  await page.goto(url);
  await page.locator(HEADING).waitFor();
}

export async function headingText(page) {
  return (await page.locator(HEADING).textContent()).trim();
}

/** From the start step to the check step, with valid answers. */
export async function fillToCheck(page, { name = "Sam Example", title = "A mentor for every care leaver" } = {}) {
  await page.getByRole("button", { name: "Start now" }).click();
  await expectHeading(page, "About you");
  await page.locator("#respondent-capacity").check();
  await page.locator("#respondent-name").fill(name);
  await page.locator("#respondent-email").fill("sam@example.org");
  await page.locator("#respondent-perspectives").check();
  await page.locator("#respondent-age_band-18_25").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expectHeading(page, "Your ideas");
  await page.locator("#ideas-0-title").fill(title);
  await page.locator("#ideas-0-theme").selectOption("leaving_care");
  await page.locator("#ideas-0-description").fill("Every young person leaving care should have a mentor until they are 25.");
  await page.getByRole("button", { name: "Continue" }).click();
  await expectHeading(page, "Publishing and privacy");
  await page.locator("#publication").check();
  await page.locator("#privacy_notice_read").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expectHeading(page, "Check your answers before sending your ideas");
}

/** Waits for the confirmation and returns the reference. */
export async function reference(page) {
  const ref = page.locator("#cfi-reference");
  await ref.waitFor();
  const text = (await ref.textContent()).trim();
  assert.match(text, /^CFI-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  return text;
}

/** Waits until the step heading says `text` and has focus. */
export async function expectHeading(page, text) {
  const h = page.locator(HEADING);
  await h.filter({ hasText: text }).waitFor();
  await page.waitForFunction(
    () => {
      const host = [...document.querySelectorAll("*")].find((e) => e.shadowRoot && e.shadowRoot.getElementById("cfi-heading"));
      return host && host.shadowRoot.activeElement && host.shadowRoot.activeElement.id === "cfi-heading";
    },
    null,
    { timeout: 5000 },
  );
}

/** A browser context that records the widget's host events in `window.__cfiEvents`. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    window.__cfiEvents = [];
    for (const type of ["cfi:ready", "cfi:submitted", "cfi:error"]) {
      document.addEventListener(type, (e) => window.__cfiEvents.push({ type, detail: e.detail ?? null }));
    }
  });
  return context;
}

export async function events(page) {
  return page.evaluate(() => window.__cfiEvents);
}

/** The id of the focused element, looking inside shadow roots. */
export async function activeId(page) {
  return page.evaluate(() => {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a ? a.id : null;
  });
}

/** The saved drafts on this page's origin. */
export async function savedDrafts(page) {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("cfi-draft:"))
      .map((k) => ({ key: k, value: JSON.parse(localStorage.getItem(k)) })),
  );
}

/** Waits for a condition on the page (polling inside the browser). */
export async function until(page, fn, arg) {
  await page.waitForFunction(fn, arg, { timeout: 10000 });
}

/** Answers a cross-origin request from the widget with a problem document. */
export function problem(route, status, body, headers = {}) {
  const origin = route.request().headers()["origin"] ?? "*";
  return route.fulfill({
    status,
    contentType: "application/problem+json",
    headers: { "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "Retry-After", ...headers },
    body: JSON.stringify({ status, ...body }),
  });
}

/** Waits until the element with `id` (inside the widget) has focus. */
export async function expectFocus(page, id) {
  await page.waitForFunction(
    (want) => {
      let a = document.activeElement;
      while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
      return a && a.id === want;
    },
    id,
    { timeout: 5000 },
  );
}
