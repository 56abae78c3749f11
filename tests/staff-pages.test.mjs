// The review team's pages, the partner page and the published page in real
// headless Chromium: axe-core reports nothing on any of them, and the review
// team's everyday work (sign in, find a flagged submission, mark the flag
// handled, withhold an idea, create a code and code an idea, sign out) can
// be done with the keyboard alone,
// with a visible focus indicator on everything that takes focus.
//
// Run from the repository root after `cargo build -p cfi-server`, with the
// npm packages of tests/ installed:  node --test tests/staff-pages.test.mjs
// (CFI_SERVER_BIN overrides the server binary, CHROMIUM_PATH the browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startAndWaitFor, freePort } from './e2e/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.CFI_SERVER_BIN ?? join(root, 'target', 'debug', 'cfi-server');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const STAFF = 'staff-pages-test-token';
const PARTNER = 'staff-pages-partner-token';
const CALL = 'staff-call';

let server;
let base;
let mail;
let mailApi;
let browser;
let dir;
const references = {};
/** The id of the code made before the tests, for its edit page. */
let codeId;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function startMail() {
  const smtpPort = await freePort();
  const webPort = await freePort();
  const started = await startAndWaitFor(join(root, 'tests/node_modules/.bin/maildev'),
    ['--ip', '127.0.0.1', '--smtp', String(smtpPort), '--web-ip', '127.0.0.1', '--web', String(webPort)],
    /MailDev webapp running|MailDev.*running/i, {}, 'the mail catcher');
  mail = started.child;
  mailApi = `http://127.0.0.1:${webPort}`;
  return smtpPort;
}

async function startServer() {
  const smtpPort = await startMail();
  dir = mkdtempSync(join(tmpdir(), 'cfi-staff-'));
  const config = join(dir, 'review.toml');
  writeFileSync(config, `
bind = "127.0.0.1:0"
database_url = "sqlite://${join(dir, 'staff.sqlite')}"
assets_dir = "${join(dir, 'none')}"
[[admin_tokens]]
name = "keyboard reviewer"
sha256 = "${sha256(STAFF)}"
[[partners]]
id = "helping-hands"
name = "Helping Hands"
origins = ["https://helping-hands.example"]
token_sha256 = "${sha256(PARTNER)}"
[smtp]
host = "127.0.0.1"
port = ${smtpPort}
tls = "none"
from = "Call for Ideas <alerts@review.example>"
staff_base_url = "http://127.0.0.1"
[[calls]]
id = "${CALL}"
title = "Ideas for care"
opens = "2020-01-01T09:00"
closes = "2099-01-01T09:00"
privacy_notice_url = "https://review.example/privacy"
themes = [{ id = "housing", label = "Housing" }, { id = "other", label = "Something else" }]
`);
  const started = await startAndWaitFor(binary, ['--config', config], /listening on (http:\/\/\S+)/, { RUST_LOG: 'warn' }, 'the server');
  server = started.child;
  base = started.match[1];
}

async function submit(key, respondent, ideas, origin) {
  const headers = { 'content-type': 'application/json', 'idempotency-key': randomUUID() };
  if (origin) headers.origin = origin;
  const response = await fetch(`${base}/api/calls/${CALL}/submissions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      respondent: { perspectives: ['other'], age_band: '26_plus', ...respondent },
      ideas,
      publication: 'named',
      privacy_notice_read: true,
      website: '',
      ...(origin ? { partner: 'helping-hands' } : {}),
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  references[key] = JSON.parse(text).reference;
}

async function staffApi(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STAFF}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
}

before(async () => {
  await startServer();
  await submit('plain', { capacity: 'individual', name: 'Robin Plain', email: 'robin@example.org' }, [
    { title: 'More foster homes near schools', theme: 'housing', description: 'Keep children near their school when they move.' },
    { title: 'Listen first', description: 'Ask children what they want before deciding.' },
  ]);
  await submit('organisation', { capacity: 'organisation', organisation: 'Care Forum', name: 'Alex Contact' }, [
    { title: 'Fund kinship carers', theme: 'other', description: 'Kinship carers need the same support as foster carers.' },
  ], 'https://helping-hands.example');
  await submit('flagged', { capacity: 'individual', name: 'Jo Flagged' }, [
    { title: 'Help now', description: 'I am not safe at home and nobody listens.' },
  ]);
  // The same text from three people: a campaign for the campaigns page.
  for (const [n, text] of ['Ring-fence money for care leavers.', 'Ring-fence money for care leavers!',
    'ring-fence money for care leavers'].entries()) {
    await submit(`campaign${n}`, { capacity: 'individual', name: `Sender ${n}` }, [
      { title: 'Ring-fenced money', description: text },
    ]);
  }
  await staffApi(`/api/admin/submissions/${references.organisation}/actions`, {
    action: 'redact', idea: 1, field: 'description', text: 'foster', reason: 'Test redaction.',
  });
  await staffApi(`/api/admin/calls/${CALL}/publication`, { published: true });
  await staffApi(`/api/admin/calls/${CALL}/codes`, { name: 'Listening', description: 'Ask children first.' });
  const codes = await (await fetch(`${base}/api/admin/calls/${CALL}/codes`, {
    headers: { authorization: `Bearer ${STAFF}` },
  })).json();
  codeId = codes.codes[0].id;
  await staffApi(`/api/admin/submissions/${references.plain}/codings`, {
    action: 'apply', idea: 2, code: codeId,
  });
  await staffApi(`/api/admin/submissions/${references.plain}/read`, { idea: 2, read: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  mail?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** axe-core on the whole page, with every disclosure opened so that what is
 * inside `<details>` is checked too. */
async function assertNoViolations(page, what) {
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
  // The pages forbid scripts by CSP; the test injects axe through the
  // browser's own evaluation, which the CSP does not govern.
  await page.addScriptTag({ path: AXE }).catch(async () => {
    const { readFileSync } = await import('node:fs');
    await page.evaluate(readFileSync(AXE, 'utf8'));
  });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

async function signIn(page, token) {
  await page.goto(`${base}/admin/sign-in`);
  await page.getByLabel('Your token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

test('axe-core finds no violations on any staff, partner or published page', async () => {
  const staff = await browser.newContext({ bypassCSP: true });
  const page = await staff.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await assertNoViolations(page, 'sign-in page');
  await page.getByLabel('Your token').fill('not the token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await assertNoViolations(page, 'sign-in page with an error');
  await page.getByLabel('Email address').fill('kim@example.org');
  await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
  await page.waitForLoadState('load');
  assert.match(await page.getByRole('status').innerText(), /If kim@example.org has an account/);
  await assertNoViolations(page, 'sign-in page after asking for a link');
  await page.goto(`${base}/admin/sign-in/link?token=not-a-link`);
  assert.match(await page.getByRole('alert').innerText(), /This sign-in link does not work/);
  await assertNoViolations(page, 'a sign-in link that does not work');

  await signIn(page, STAFF);
  const pages = [
    ['/admin', 'dashboard'],
    ['/admin/submissions', 'submissions list'],
    ['/admin/submissions?q=foster&theme=housing', 'search with filters'],
    ['/admin/submissions?q=nothing-matches-this', 'search with no results'],
    ['/admin/submissions?flag=open', 'open flags'],
    [`/admin/submissions/${references.plain}`, 'submission page'],
    [`/admin/submissions/${references.organisation}`, 'organisation submission with a redaction'],
    [`/admin/submissions/${references.flagged}`, 'flagged submission'],
    ['/admin/submissions/CFI-0000-0000', 'a reference that does not exist'],
    [`/admin/calls/${CALL}/codes`, 'codebook with counts'],
    [`/admin/calls/${CALL}/codes/${codeId}`, "a code's edit page"],
    ['/admin/calls/no-such-call/codes', 'a call that does not exist'],
    [`/admin/calls/${CALL}/groups`, 'groups of similar ideas'],
    ['/admin/calls/no-such-call/groups', 'groups of a call that does not exist'],
    [`/admin/calls/${CALL}/campaigns`, 'campaigns with their variants and coding forms'],
  ];
  for (const [path, what] of pages) {
    await page.goto(`${base}${path}`);
    await assertNoViolations(page, what);
  }
  // The administrator's pages: empty, with a row, with an error, with a
  // token just made, and the record of the reads above.
  await page.goto(`${base}/admin/accounts`);
  await assertNoViolations(page, 'accounts page with no account');
  for (const outcome of ['with an account', 'with an error']) {
    await page.getByLabel('Email address').fill('sam@example.org');
    await page.getByLabel(/^reader:/).check();
    await page.getByRole('button', { name: 'Add the account' }).click();
    await page.waitForLoadState('load');
    await assertNoViolations(page, `accounts page ${outcome}`);
  }
  assert.match(await page.getByRole('alert').innerText(), /already an account for sam@example.org/);
  await page.goto(`${base}/admin/tokens`);
  await assertNoViolations(page, 'tokens page with no token');
  await page.getByLabel('What it is for').fill('Nightly export');
  await page.getByRole('button', { name: 'Make the token' }).click();
  await page.waitForLoadState('load');
  assert.match(await page.getByLabel('The token').inputValue(), /^cfi_[0-9a-f]{64}$/);
  await assertNoViolations(page, 'tokens page with a token just made');
  await page.goto(`${base}/admin/access`);
  assert.match(await page.locator('table').innerText(), /keyboard reviewer/);
  await assertNoViolations(page, 'who read what');
  await staff.close();

  const partner = await browser.newContext({ bypassCSP: true });
  const partnerPage = await partner.newPage();
  await signIn(partnerPage, PARTNER);
  await partnerPage.goto(`${base}/partner`);
  await assertNoViolations(partnerPage, 'partner page');
  await partner.close();

  const visitor = await browser.newContext({ bypassCSP: true });
  const published = await visitor.newPage();
  await published.goto(`${base}/published/${CALL}`);
  await assertNoViolations(published, 'published page');
  await visitor.close();
});

/** Presses Enter on a form's button and waits for the page it leads to
 * (the form posts and the browser follows the redirect), not for the page
 * already loaded. */
async function pressEnterAndWait(page) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

/** Presses Tab until the focused element matches `predicate`, failing after
 * `limit` presses: what a keyboard user would do. */
async function tabTo(page, description, predicate, limit = 80, arg = undefined) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate, arg)) return;
  }
  assert.fail(`Tab never reached ${description}`);
}

/** The focused element must look different from the same element without
 * focus (outline or shadow), as WCAG 2.4.7 asks. */
async function assertFocusVisible(page) {
  const visible = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const focused = `${style.outlineStyle} ${style.outlineWidth} ${style.boxShadow}`;
    const hasOutline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return { tag: el.tagName, text: el.textContent.trim().slice(0, 40), ok: hasOutline || style.boxShadow !== 'none', focused };
  });
  assert.ok(visible.ok, `no visible focus on ${visible.tag} "${visible.text}": ${visible.focused}`);
}

test('the review team can sign in, handle a flag, withhold an idea and sign out with the keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);

  // The skip link comes first and is visible when focused.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to main content');
  await assertFocusVisible(page);

  await tabTo(page, 'the token field', () => document.activeElement.id === 'token');
  await assertFocusVisible(page);
  await page.keyboard.type(STAFF);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/admin`);

  await tabTo(page, 'the open flags link', () => document.activeElement.textContent === 'Open safeguarding flags');
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.waitForURL(/flag=open/);

  await tabTo(page, 'the flagged submission', () =>
    document.activeElement.tagName === 'A' && document.activeElement.closest('main') !== null
      && /^CFI-/i.test(document.activeElement.textContent.trim()));
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/admin/submissions/${references.flagged}$`));

  await tabTo(page, 'the note on how the flag was handled', () => document.activeElement.id === 'handle-note');
  await assertFocusVisible(page);
  await page.keyboard.type('Called the safeguarding lead.');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Mark the flag as handled');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.locator('main').innerText(), /Handled\s+by keyboard reviewer/);

  // A disclosure opens with the keyboard and its form works.
  await tabTo(page, 'the withhold disclosure', () =>
    document.activeElement.tagName === 'SUMMARY' && /Withhold or redact idea 1/.test(document.activeElement.textContent));
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await tabTo(page, 'the reason to withhold', () => document.activeElement.id === 'withhold-1');
  await page.keyboard.type('Names a child.');
  await tabTo(page, 'the withhold button', () => document.activeElement.textContent === 'Withhold idea 1');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.locator('main').innerText(), /Withheld\s+Names a child\./);

  await tabTo(page, 'the sign-out button', () => document.activeElement.textContent === 'Sign out');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  const after = await context.request.get(`${base}/admin`, { maxRedirects: 0 });
  assert.equal(after.status(), 401, 'signed out: the dashboard asks to sign in again');
  assert.match(await after.text(), /Your token/);
  await context.close();
});

test('an administrator adds and deactivates a person, and makes and revokes a token, with the keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, STAFF);
  await page.goto(`${base}/admin/accounts`);
  await tabTo(page, 'the email field', () => document.activeElement.id === 'new-email');
  await assertFocusVisible(page);
  await page.keyboard.type('kim@example.org');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Kim Safeguarding');
  await tabTo(page, 'the safeguarding role', () => document.activeElement.id === 'new-safeguarding');
  await assertFocusVisible(page);
  await page.keyboard.press('Space');
  await tabTo(page, 'the add button', () => /Add the account/.test(document.activeElement.textContent));
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.getByRole('status').innerText(), /Added kim@example.org with the roles safeguarding/);
  const row = page.locator('tr', { hasText: 'kim@example.org' });
  const activeId = await row.locator('input[name=active]').getAttribute('id');
  await tabTo(page, "Kim's active box", (id) => document.activeElement.id === id, 200, activeId);
  await page.keyboard.press('Space');
  await tabTo(page, "Kim's save button", () => /Save kim@example.org/.test(document.activeElement.textContent));
  await pressEnterAndWait(page);
  assert.match(await page.getByRole('status').innerText(), /kim@example.org is deactivated/);
  // A token for a program, made and revoked the same way.
  await page.goto(`${base}/admin/tokens`);
  await tabTo(page, 'the token name', () => document.activeElement.id === 'token-name');
  await page.keyboard.type('Metrics scrape');
  await tabTo(page, 'the role list', () => document.activeElement.id === 'token-role');
  await assertFocusVisible(page);
  await page.keyboard.type('monitoring');
  assert.equal(await page.locator('#token-role').inputValue(), 'monitoring');
  await tabTo(page, 'the make button', () => /Make the token/.test(document.activeElement.textContent));
  await pressEnterAndWait(page);
  assert.match(await page.locator('#made-token').inputValue(), /^cfi_/);
  await tabTo(page, 'its revoke button', () => /Revoke Metrics scrape/.test(document.activeElement.textContent));
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.getByRole('status').innerText(), /is revoked/);
  // Who read what, for one reference, with the keyboard (after a read).
  await page.goto(`${base}/admin/submissions/${references.plain}`);
  await page.goto(`${base}/admin/access`);
  await tabTo(page, 'the reference field', () => document.activeElement.id === 'access-reference');
  await page.keyboard.type(references.plain);
  await pressEnterAndWait(page);
  assert.match(await page.locator('table caption').innerText(), new RegExp(`Reads of ${references.plain}`));
  await context.close();

  // A person signs in with a link by email, with the keyboard alone.
  const person = await browser.newContext({ bypassCSP: true });
  const own = await person.newPage();
  await own.goto(`${base}/admin/sign-in`);
  await tabTo(own, 'the email field', () => document.activeElement.id === 'email');
  await own.keyboard.type('sam@example.org');
  await tabTo(own, 'the link button', () => /Send me a sign-in link/.test(document.activeElement.textContent));
  await pressEnterAndWait(own);
  assert.match(await own.getByRole('status').innerText(), /a sign-in link is on its way/);
  await assertNoViolations(own, 'sign-in page after asking for a link');
  let link;
  for (let i = 0; i < 100 && !link; i += 1) {
    const emails = await (await fetch(`${mailApi}/api/email`)).json();
    const text = emails.map((e) => e.text ?? '').join('\n');
    link = text.match(/\/admin\/sign-in\/link\?token=[0-9a-f]{64}/)?.[0];
    if (!link) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(link, 'the sign-in email arrived');
  await own.goto(`${base}${link}`);
  assert.match(await own.locator('main').innerText(), /This link signs in sam@example.org, once/);
  await assertNoViolations(own, 'a sign-in link');
  await tabTo(own, 'the sign-in button', () => /^Sign in$/.test(document.activeElement.textContent.trim()));
  await assertFocusVisible(own);
  await pressEnterAndWait(own);
  await own.waitForURL(`${base}/admin`);
  assert.match(await own.locator('main').innerText(), /Signed in as sam@example.org \(reader\)/);
  await person.close();
});

test('the review team can create a code and code an idea with the keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await tabTo(page, 'the token field', () => document.activeElement.id === 'token');
  await page.keyboard.type(STAFF);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/admin`);

  await tabTo(page, 'the codebook link', () => /^Codebook/.test(document.activeElement.textContent));
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/codes$/);

  await tabTo(page, 'the new code name', () => document.activeElement.id === 'new-name');
  await assertFocusVisible(page);
  await page.keyboard.type('Foster homes');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Ideas about finding and keeping foster homes.');
  await tabTo(page, 'the create button', () => document.activeElement.textContent === 'Create the code');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.locator('main').innerText(), /Foster homes/);

  // Each code is edited on its own page, reached by its link in the table.
  await tabTo(page, 'the edit link of the new code', () => document.activeElement.textContent === 'Edit Foster homes');
  await assertFocusVisible(page);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/codes\/\d+$/);
  await tabTo(page, "the code's description", () => document.activeElement.id === 'description');
  await assertFocusVisible(page);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Finding, keeping and paying foster homes.');
  await tabTo(page, 'the save button', () => document.activeElement.textContent === 'Save Foster homes');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  await page.waitForURL(/\/codes#code-\d+$/);
  assert.match(await page.locator('main').innerText(), /Finding, keeping and paying foster homes\./);

  await tabTo(page, 'the link to the submissions', () => document.activeElement.textContent === "submission's page");
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/admin\/submissions\?call=/);
  await tabTo(page, 'the first submission', (reference) => document.activeElement.textContent.trim() === reference,
    80, references.plain);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/admin/submissions/${references.plain}$`));

  // The first code in the list is the new one (codes are sorted by name).
  await tabTo(page, 'the code to apply to idea 1', () => document.activeElement.id === 'code-1');
  await assertFocusVisible(page);
  assert.equal(await page.evaluate(() => document.activeElement.selectedOptions[0].textContent), 'Foster homes');
  await tabTo(page, 'the apply button', () => document.activeElement.textContent === 'Apply the code to idea 1');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.locator('#codes-1').locator('..').innerText(), /Remove Foster homes/);

  await tabTo(page, 'the read button of idea 1', () => document.activeElement.textContent === 'Mark idea 1 as read');
  await assertFocusVisible(page);
  await pressEnterAndWait(page);
  assert.match(await page.locator('main').innerText(), /Read by keyboard reviewer on/);
  assert.match(await page.locator('main').innerText(), /Applied Foster homes to idea 1/);
  await context.close();
});
