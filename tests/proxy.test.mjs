// The server behind Debian's Caddy, as deploy/Caddyfile sets it up, with
// Caddy's own local certificate authority (`tls internal`), both on
// 127.0.0.1: every request here goes over HTTPS with a certificate checked
// against that authority (Chromium trusts that authority's keys and no
// other), and over HTTP/2. Through the proxy a partner's page (served by
// Caddy too, on its own origin) sends a submission from headless Chromium;
// staff sign in (the session cookie is Secure, the forms' origin check sees
// https) and moderate; and the sign-in throttle and the submissions' rate
// limit count each client by its own address, never by an X-Forwarded-For
// it wrote.
//
// Run from the repository root after `cargo build --workspace --bins`, with
// caddy installed (scripts/setup.sh):  node --test tests/proxy.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chromium } from 'playwright-core';
import { startAndWaitFor, freePort, CHROMIUM_ARGS } from './e2e/harness.js';
import { fillToCheck, reference, openWidget } from './e2e/flow.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.CFI_SERVER_BIN ?? join(root, 'target', 'debug', 'cfi-server');
const STAFF = 'demo-reviewer-token';
const CALL = 'call-for-ideas';
let PARTNER_ORIGIN;

let server;
let caddy;
let dir;
let base;
let ca;
let partnerPage;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cfi-proxy-'));
  const serverPort = await freePort();
  const httpsPort = await freePort();
  const httpPort = await freePort();
  base = `https://localhost:${httpsPort}`;
  const partnerPort = await freePort();
  PARTNER_ORIGIN = `https://localhost:${partnerPort}`;
  partnerPage = `${PARTNER_ORIGIN}/`;
  // The demo's configuration on this run's ports, behind the proxy, with a
  // small rate limit to reach, and Become's pages on the partner origin.
  const config = join(dir, 'review.toml');
  const demo = readFileSync(join(root, 'demo/review.toml'), 'utf8')
    .replace(/^bind = .*$/m, `bind = "127.0.0.1:${serverPort}"\ntrust_forwarded_for = true`)
    .replace(/^database_url = .*$/m, `database_url = "sqlite://${join(dir, 'proxy.sqlite')}"`)
    .replace(/^assets_dir = .*$/m, `assets_dir = ${JSON.stringify(join(root, 'dist'))}`)
    .replace(/^submissions_per_minute = .*$/m, 'submissions_per_minute = 2')
    .replace(/^burst = .*$/m, 'burst = 4')
    .replace('origins = ["http://127.0.0.1:8082", "http://localhost:8082"]', `origins = ["${PARTNER_ORIGIN}"]`);
  assert.ok(demo.includes(PARTNER_ORIGIN), 'the demo configuration still lists Become as expected');
  writeFileSync(config, demo);
  const site = join(dir, 'become');
  mkdirSync(site);
  writeFileSync(join(site, 'index.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Become</title></head>
<body><main><h1>Have your say</h1><div id="call-for-ideas"></div></main>
<script src="${base}/embed.js" data-call="${CALL}" data-partner="become" data-target="#call-for-ideas" defer></script></body></html>`);
  server = (await startAndWaitFor(binary, ['--config', config], /listening on/, { RUST_LOG: 'warn' }, 'the server')).child;
  // deploy/Caddyfile's site, on this run's ports, with the local authority.
  const proxied = readFileSync(join(root, 'deploy/Caddyfile'), 'utf8')
    .replace('review.example.org {', `localhost:${httpsPort} {\n\tbind 127.0.0.1\n\ttls internal`)
    .replace('reverse_proxy 127.0.0.1:8080', `reverse_proxy 127.0.0.1:${serverPort}`);
  const caddyfile = join(dir, 'Caddyfile');
  writeFileSync(caddyfile, `{
	admin off
	skip_install_trust
	auto_https disable_redirects
	http_port ${httpPort}
	https_port ${httpsPort}
	storage file_system ${join(dir, 'caddy')}
}
${proxied}
localhost:${partnerPort} {
	bind 127.0.0.1
	tls internal
	root * ${join(dir, 'become')}
	file_server
}`);
  caddy = spawn('caddy', ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const caddyLog = [];
  caddy.stderr.on('data', (d) => caddyLog.push(String(d)));
  const rootCert = join(dir, 'caddy', 'pki', 'authorities', 'local', 'root.crt');
  for (let i = 0; i < 100; i += 1) {
    if (existsSync(rootCert)) {
      try {
        ca = readFileSync(rootCert);
        await request('GET', '/healthz');
        return;
      } catch { /* not serving yet */ }
    }
    await sleep(100);
  }
  throw new Error(`caddy did not get ready: ${caddyLog.join('')}`);
});

after(() => {
  caddy?.kill('SIGTERM');
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One request over HTTP/2 and TLS checked against Caddy's local authority
 * only (no other certificate is trusted); resolves with status, headers and
 * body. */
function request(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(base, { ca, servername: 'localhost' });
    session.on('error', reject);
    const stream = session.request({ ':method': method, ':path': path, ...headers });
    let text = '';
    let head;
    stream.setEncoding('utf8');
    stream.on('response', (h) => { head = h; });
    stream.on('data', (chunk) => { text += chunk; });
    stream.on('end', () => {
      session.close();
      resolve({ status: head[':status'], headers: head, body: text, alpn: session.alpnProtocol });
    });
    stream.on('error', reject);
    if (body !== undefined) stream.end(body); else stream.end();
  });
}

function submission() {
  return JSON.stringify({
    partner: 'become',
    respondent: { capacity: 'individual', name: 'Sam Proxy', perspectives: ['other'], age_band: '26_plus' },
    ideas: [{ title: 'Mentors', description: 'A mentor for every care leaver, for as long as they want one.' }],
    publication: 'anonymous',
    privacy_notice_read: true,
    website: '',
  });
}

async function submit(extra = {}) {
  return request('POST', `/api/calls/${CALL}/submissions`, {
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), origin: PARTNER_ORIGIN, ...extra },
    body: submission(),
  });
}

/** The SHA-256 of a certificate's public key, as Chromium's
 * --ignore-certificate-errors-spki-list takes it. */
const spki = (pem) => createHash('sha256')
  .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

test("a partner's page sends a submission through the proxy, from Chromium, over HTTPS and HTTP/2", async () => {
  const authority = join(dir, 'caddy', 'pki', 'authorities', 'local');
  const keys = ['root.crt', 'intermediate.crt'].map((f) => spki(readFileSync(join(authority, f))));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${keys.join(',')}`],
  });
  try {
    const page = await browser.newPage();
    // What the browser says each answer came over (the page itself cannot
    // see it for another origin's files).
    const protocols = new Map();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', ({ response }) => protocols.set(response.url, response.protocol));
    await openWidget(page, partnerPage);
    await fillToCheck(page);
    await page.getByRole('button', { name: 'Send my ideas' }).click();
    const sent = await reference(page);
    const toServer = [...protocols].filter(([url]) => url.startsWith(base));
    assert.ok(toServer.some(([url]) => url.includes('/embed.js')), `the loader came through the proxy: ${[...protocols.keys()]}`);
    assert.ok(toServer.some(([url]) => url.includes('/submissions')), 'the submission went through the proxy');
    assert.ok(toServer.every(([, protocol]) => protocol === 'h2'), `HTTP/2 to the server: ${JSON.stringify(toServer)}`);
    const stored = await request('GET', `/api/admin/submissions/${sent}`, { headers: { authorization: `Bearer ${STAFF}` } });
    assert.equal(stored.status, 200);
    assert.equal(JSON.parse(stored.body).submission.partner, 'become');
  } finally {
    await browser.close();
  }
});

test('over HTTPS and HTTP/2 through the proxy, a partner submission is stored and staff sign in and moderate', async () => {
  const health = await request('GET', '/healthz');
  assert.equal(health.alpn, 'h2');
  assert.equal(health.status, 200);
  const sent = await submit();
  assert.equal(sent.status, 201, sent.body);
  const reference = JSON.parse(sent.body).reference;
  const signIn = await request('POST', '/admin/sign-in', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ token: STAFF }).toString(),
  });
  assert.equal(signIn.status, 303, signIn.body);
  const cookie = String(signIn.headers['set-cookie']);
  assert.match(cookie, /Secure/, 'the session cookie is Secure behind https');
  const session = cookie.split(';')[0];
  const acted = await request('POST', `/admin/submissions/${reference}/actions`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, cookie: session },
    body: new URLSearchParams({ action: 'withhold', reason: 'Testing through the proxy' }).toString(),
  });
  assert.equal(acted.status, 303, acted.body);
  const page = await request('GET', `/admin/submissions/${reference}`, { headers: { cookie: session } });
  assert.equal(page.status, 200);
  assert.match(page.body, /Withheld the submission/);
});

test("the throttle and the rate limit count each client by its own address, never one it wrote", async () => {
  // Wrong tokens, each claiming another address: the sixth onwards waits.
  const statuses = [];
  for (let i = 0; i < 7; i += 1) {
    const r = await request('GET', '/api/admin/submissions', {
      headers: { authorization: 'Bearer not-the-token', 'x-forwarded-for': `203.0.113.${i + 1}` },
    });
    statuses.push(r.status);
  }
  assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  assert.ok(statuses.slice(5).includes(429), `a wait after five failures: ${statuses}`);
  // Submissions, each claiming another address: the burst of 3 (and the
  // one stored by the test above) is all this client gets.
  const answers = [];
  for (let i = 0; i < 4; i += 1) {
    answers.push((await submit({ 'x-forwarded-for': `198.51.100.${i + 1}` })).status);
  }
  assert.ok(answers.includes(429), `rate limited whatever address it claims: ${answers}`);
});
