// HTML and script payloads in every text field stay inert on the review
// team's pages and on the published page, in real headless Chromium: no
// dialog, no script runs, and the payloads are shown as literal text.
//
// Run from the repository root after `cargo build -p cfi-server`, with the
// npm packages of tests/ installed:  node --test tests/admin-xss.test.mjs
// (CFI_SERVER_BIN overrides the server binary, CHROMIUM_PATH the browser).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startAndWaitFor } from './e2e/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.CFI_SERVER_BIN ?? join(root, 'target', 'debug', 'cfi-server');
const TOKEN = 'xss-test-staff-token';
const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const SCRIPT = '<script>window.__xss=2;alert(2)</script>';
const ATTR = '"><svg onload=alert(3)>';

let server;
let base;
let browser;
let dir;
const references = [];

async function startServer() {
  dir = mkdtempSync(join(tmpdir(), 'cfi-xss-'));
  const digest = createHash('sha256').update(TOKEN).digest('hex');
  const config = join(dir, 'review.toml');
  writeFileSync(config, `
bind = "127.0.0.1:0"
database_url = "sqlite://${join(dir, 'xss.sqlite')}"
assets_dir = "${join(dir, 'none')}"
[[admin_tokens]]
name = 'xss ${ATTR}'
sha256 = "${digest}"
[[calls]]
id = "xss-call"
title = 'Call ${SCRIPT}'
opens = "2020-01-01T09:00"
closes = "2099-01-01T09:00"
privacy_notice_url = "https://review.example/privacy"
themes = [{ id = "other", label = 'Other ${IMG}' }]
`);
  const started = await startAndWaitFor(binary, ['--config', config], /listening on (http:\/\/\S+)/, { RUST_LOG: 'warn' }, 'the server');
  server = started.child;
  base = started.match[1];
}

async function submit(respondent, idea) {
  const response = await fetch(`${base}/api/calls/xss-call/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({
      respondent: { perspectives: ['other'], age_band: '26_plus', ...respondent },
      ideas: [idea],
      publication: 'named',
      privacy_notice_read: true,
      website: '',
    }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  references.push(JSON.parse(text).reference);
}

async function staff(path, body) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
}

before(async () => {
  await startServer();
  await submit(
    { capacity: 'individual', name: `Sam ${IMG}`, email: '<svg/onload=alert(4)>@x.org' },
    { title: `Title ${SCRIPT}`, theme: 'other', description: `Text ${IMG} ${SCRIPT} ${ATTR}` },
  );
  await submit(
    { capacity: 'organisation', organisation: `Org ${SCRIPT}`, name: `Contact ${ATTR}` },
    { title: `Org idea ${ATTR}`, description: `Org text ${SCRIPT}` },
  );
  // Flagged: the passage is highlighted around the payloads.
  await submit(
    { capacity: 'individual', name: `Flagged ${SCRIPT}` },
    { title: `Flag ${IMG}`, description: `${SCRIPT} I am not safe at home ${IMG}` },
  );
  await staff(`/api/admin/submissions/${references[0]}/actions`, {
    action: 'withhold_idea', idea: 1, reason: `Reason ${IMG}`,
  });
  await staff(`/api/admin/submissions/${references[0]}/actions`, {
    action: 'undo', undoes: 1, reason: `Undo ${SCRIPT}`,
  });
  await staff('/api/admin/calls/xss-call/publication', { published: true });
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
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function assertInert(page, path, literals) {
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const response = await page.goto(`${base}${path}`);
  assert.equal(response.status(), 200, path);
  const state = await page.evaluate(() => ({
    xss: window.__xss ?? null,
    scripts: document.querySelectorAll('script').length,
    injected: document.querySelectorAll('img, svg:not([role="img"]), [onerror], [onload]').length,
    text: document.body.innerText,
  }));
  assert.deepEqual(dialogs, [], `${path}: no dialog`);
  assert.equal(state.xss, null, `${path}: no payload ran`);
  assert.equal(state.scripts, 0, `${path}: no script element`);
  assert.equal(state.injected, 0, `${path}: no injected element`);
  for (const literal of literals) {
    assert.ok(state.text.includes(literal), `${path} shows ${literal} as text`);
  }
}

test('payloads are inert and shown literally on the admin pages and the published page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/admin/sign-in`);
  await page.getByLabel('Your token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/admin`);

  await assertInert(page, '/admin', [`Call ${SCRIPT}`, `xss ${ATTR}`]);
  await assertInert(page, '/admin/submissions', [`Sam ${IMG}`, `Title ${SCRIPT}`, 'not safe at home']);
  await assertInert(page, `/admin/submissions?q=${encodeURIComponent(SCRIPT)}`, [SCRIPT]);
  await assertInert(page, `/admin/submissions/${references[0]}`, [
    `Sam ${IMG}`, '<svg/onload=alert(4)>@x.org', `Text ${IMG} ${SCRIPT} ${ATTR}`,
    `Reason ${IMG}`, `Undo ${SCRIPT}`, `Other ${IMG}`,
  ]);
  await assertInert(page, `/admin/submissions/${references[1]}`, [`Org ${SCRIPT}`, `Contact ${ATTR}`]);
  await assertInert(page, `/admin/submissions/${references[2]}`, [`${SCRIPT} I am not safe at home ${IMG}`]);
  const highlighted = await page.locator('mark').first().innerText();
  assert.equal(highlighted.toLowerCase(), 'not safe at home');

  const visitor = await browser.newPage();
  await assertInert(visitor, '/published/xss-call', [
    `Sam ${IMG}`, `Title ${SCRIPT}`, `Org ${SCRIPT}`, `Org text ${SCRIPT}`,
  ]);
  const published = await visitor.evaluate(() => document.body.innerText);
  assert.ok(!published.includes('Contact'), 'no contact name published');
  assert.ok(!published.includes('@x.org'), 'no email published');
  assert.ok(!published.includes('not safe at home'), 'an open flag is not published');
  await context.close();
});
