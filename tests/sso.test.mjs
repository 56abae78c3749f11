// Single sign-on in headless Chromium against a real OpenID Connect provider
// (npm oidc-provider, tests/oidc/provider.mjs) started here beside the
// server, both on 127.0.0.1: a person with an account signs in with the
// provider and gets their roles; a wrong state, a replayed code, an unknown
// address, an unverified address and a deactivated account sign nobody in;
// axe-core finds nothing on the pages involved.
//
// Run from the repository root after `cargo build --workspace --bins`, with
// the npm packages of tests/ installed:  node --test tests/sso.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startAndWaitFor, freePort, CHROMIUM_ARGS } from './e2e/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.CFI_SERVER_BIN ?? join(root, 'target', 'debug', 'cfi-server');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ADMIN = 'sso-test-admin-token';
const CLIENT_ID = 'cfi-review';
const CLIENT_SECRET = 'sso-test-client-secret';

let provider;
let server;
let browser;
let dir;
let base;
let providerPort;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

async function addAccount(email, role) {
  const response = await fetch(`${base}/admin/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, name: email, role }),
  });
  const page = await response.text();
  assert.equal(response.status, 200, page);
  return page;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cfi-sso-'));
  providerPort = await freePort();
  const serverPort = await freePort();
  base = `http://127.0.0.1:${serverPort}`;
  const started = await startAndWaitFor('node', [join(root, 'tests/oidc/provider.mjs'), String(providerPort),
    CLIENT_ID, CLIENT_SECRET, `${base}/admin/sign-in/oidc/callback`], /provider listening on/, {}, 'the identity provider');
  provider = started.child;
  const config = join(dir, 'review.toml');
  writeFileSync(config, `
bind = "127.0.0.1:${serverPort}"
database_url = "sqlite://${join(dir, 'sso.sqlite')}"
assets_dir = "${join(dir, 'none')}"
[[admin_tokens]]
name = "setup"
sha256 = "${sha256(ADMIN)}"
[oidc]
issuer = "http://127.0.0.1:${providerPort}"
client_id = "${CLIENT_ID}"
client_secret = "${CLIENT_SECRET}"
redirect_url = "${base}/admin/sign-in/oidc/callback"
provider_name = "Test Provider"
[[calls]]
id = "sso-call"
title = "Ideas for care"
opens = "2020-01-01T09:00"
closes = "2099-01-01T09:00"
privacy_notice_url = "https://review.example/privacy"
`);
  server = (await startAndWaitFor(binary, ['--config', config], /listening on/, { RUST_LOG: 'warn' }, 'the server')).child;
  await addAccount('kim@example.org', 'reader');
  await addAccount('dee@example.org', 'moderator');
  await addAccount('unverified@example.org', 'reader');
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  provider?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function assertNoViolations(page, what) {
  await page.addScriptTag({ path: AXE }).catch(async () => {
    await page.evaluate(readFileSync(AXE, 'utf8'));
  });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

const onProvider = (page) => new URL(page.url()).port === String(providerPort);

/** From the sign-in page, through the provider's own pages as `login`, back
 * to the review; resolves with the callback address the browser was sent to. */
async function signInWithProvider(page, login) {
  let callback;
  page.on('request', (request) => {
    if (request.url().includes('/admin/sign-in/oidc/callback?')) callback = request.url();
  });
  await page.goto(`${base}/admin/sign-in`);
  await page.getByRole('link', { name: 'Sign in with Test Provider' }).click();
  await page.waitForURL((url) => url.port === String(providerPort));
  await page.fill('input[name=login]', login);
  if (await page.locator('input[name=password]').count()) await page.fill('input[name=password]', 'anything');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  // The provider asks once whether the review may have the address.
  for (let i = 0; i < 3 && onProvider(page); i += 1) {
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }
  await page.waitForLoadState('load');
  return callback;
}

test('a person with an account signs in with the identity provider and gets only their roles', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await assertNoViolations(page, 'sign-in page with single sign-on');
  await signInWithProvider(page, 'kim@example.org');
  await page.waitForURL(`${base}/admin`);
  assert.match(await page.locator('main').innerText(), /Signed in as kim@example\.org \(reader\)/);
  const accounts = await page.goto(`${base}/admin/accounts`);
  assert.equal(accounts.status(), 403, 'a reader is not an administrator');
  const codebook = await page.goto(`${base}/admin/calls/sso-call/codes`);
  assert.equal(codebook.status(), 200);
  await context.close();
});

test('a replayed code and a wrong state sign nobody in', async () => {
  const first = await browser.newContext();
  const used = await signInWithProvider(await first.newPage(), 'kim@example.org');
  assert.ok(used, 'the provider sent the browser back with a code');
  await first.close();

  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  // A wrong state: not the one this browser was given.
  const wrong = await page.goto(`${base}/admin/sign-in/oidc/callback?code=anything&state=not-the-state`);
  assert.equal(wrong.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /did not start in this browser/);
  await assertNoViolations(page, 'a sign-in that failed');
  // The used code again, with a state this browser really was given: the
  // provider refuses the code.
  // The browser's own request, sharing its cookies, not followed to the
  // provider: the state comes from where it would have been sent.
  const started = await context.request.get(`${base}/admin/sign-in/oidc`, { maxRedirects: 0 });
  assert.equal(started.status(), 303);
  const state = new URL(started.headers().location).searchParams.get('state');
  assert.ok(state, 'the browser is sent to the provider with a state');
  const code = new URL(used).searchParams.get('code');
  const replayed = await page.goto(`${base}/admin/sign-in/oidc/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`);
  assert.equal(replayed.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /did not sign you in/);
  const dashboard = await page.goto(`${base}/admin`);
  assert.equal(dashboard.status(), 401);
  await context.close();
});

test('an unknown address, an unverified address and a deactivated account sign nobody in', async () => {
  for (const [login, words] of [
    ['stranger@example.org', /no active account for stranger@example\.org/],
    ['unverified@example.org', /did not give a verified email address/],
  ]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithProvider(page, login);
    assert.match(await page.getByRole('alert').innerText(), words);
    assert.equal((await page.goto(`${base}/admin`)).status(), 401);
    await context.close();
  }
  const listed = await (await fetch(`${base}/admin/accounts`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  const id = listed.match(/<tr id="account-(\d+)"><th scope="row">dee@example\.org/)[1];
  const deactivated = await fetch(`${base}/admin/accounts/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ role: 'moderator' }),
  });
  assert.match(await deactivated.text(), /dee@example\.org is deactivated/);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithProvider(page, 'dee@example.org');
  assert.match(await page.getByRole('alert').innerText(), /no active account for dee@example\.org/);
  await context.close();
});
