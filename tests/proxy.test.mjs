// The server behind Debian's Caddy, as deploy/Caddyfile sets it up, with
// Caddy's own local certificate authority (`tls internal`), both on
// 127.0.0.1: every request here goes over HTTPS with a certificate checked
// against that authority, and over HTTP/2. Through the proxy a partner's
// submission is stored; staff sign in (the session cookie is Secure, the
// forms' origin check sees https) and moderate; and the sign-in throttle and
// the submissions' rate limit count each client by its own address, never
// by an X-Forwarded-For it wrote.
//
// Run from the repository root after `cargo build --workspace --bins`, with
// caddy installed (scripts/setup.sh):  node --test tests/proxy.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { startAndWaitFor, freePort } from './e2e/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binary = process.env.CFI_SERVER_BIN ?? join(root, 'target', 'debug', 'cfi-server');
const STAFF = 'proxy-test-staff-token';
const PARTNER_ORIGIN = 'https://become.example';
const CALL = 'proxy-call';

let server;
let caddy;
let dir;
let base;
let ca;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cfi-proxy-'));
  const serverPort = await freePort();
  const httpsPort = await freePort();
  const httpPort = await freePort();
  base = `https://localhost:${httpsPort}`;
  const config = join(dir, 'review.toml');
  writeFileSync(config, `
bind = "127.0.0.1:${serverPort}"
database_url = "sqlite://${join(dir, 'proxy.sqlite')}"
assets_dir = "${join(dir, 'none')}"
review_origins = ["${base}"]
trust_forwarded_for = true
[rate_limit]
submissions_per_minute = 2
burst = 3
[[admin_tokens]]
name = "proxy reviewer"
sha256 = "${sha256(STAFF)}"
[[partners]]
id = "become"
name = "Become"
origins = ["${PARTNER_ORIGIN}"]
[[calls]]
id = "${CALL}"
title = "Ideas for care"
opens = "2020-01-01T09:00"
closes = "2099-01-01T09:00"
privacy_notice_url = "https://review.example/privacy"
`);
  server = (await startAndWaitFor(binary, ['--config', config], /listening on/, { RUST_LOG: 'warn' }, 'the server')).child;
  // deploy/Caddyfile's site, on this run's ports, with the local authority.
  const site = readFileSync(join(root, 'deploy/Caddyfile'), 'utf8')
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
${site}`);
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
