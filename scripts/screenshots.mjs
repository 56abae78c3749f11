// Screenshots for the README and the review team's guide, taken from the
// running demo (scripts/demo.sh runs this once its servers are up), so they
// show the product as it is: the form on a partner's page on a phone, and
// the staff pages a reviewer and an administrator see.
//
//   node scripts/screenshots.mjs [--server http://127.0.0.1:8080]
//        [--partner http://127.0.0.1:8082/] [--token demo-reviewer-token]
//        [--out docs/images]
// (Debian's Chromium; CHROMIUM_PATH overrides it.)

import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(root, 'tests', 'package.json'))('playwright-core');
const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'http://127.0.0.1:8080' },
    partner: { type: 'string', default: 'http://127.0.0.1:8082/' },
    token: { type: 'string', default: 'demo-reviewer-token' },
    out: { type: 'string', default: join(root, 'docs', 'images') },
  },
});
mkdirSync(values.out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const shot = async (page, name, what) => {
  const path = join(values.out, name);
  await (what ?? page).screenshot({ path });
  console.log(`screenshots: ${path}`);
};
try {
  // The form on Become's page, on a phone: the first screen, then a step.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  const partner = await phone.newPage();
  await partner.goto(values.partner);
  const form = partner.locator('#call-for-ideas');
  await form.getByRole('button', { name: 'Start now' }).waitFor();
  // The form takes the loader's first screen over, in the partner's colour.
  await partner.waitForLoadState('networkidle');
  await partner.waitForFunction(() => document.querySelector('#call-for-ideas')
    ?.shadowRoot?.querySelector('#cfi-first') === null, null, { timeout: 10000 }).catch(() => {});
  await form.scrollIntoViewIfNeeded();
  await shot(partner, 'widget.png', form);
  await phone.close();

  // A reviewer's dashboard, a submission, and the accounts page.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const staff = await desk.newPage();
  await staff.goto(`${values.server}/admin/sign-in`);
  await staff.getByLabel('Your token').fill(values.token);
  await Promise.all([staff.waitForNavigation(), staff.getByRole('button', { name: 'Sign in', exact: true }).click()]);
  await shot(staff, 'dashboard.png');
  await staff.goto(`${values.server}/admin/submissions?flag=open`);
  await shot(staff, 'submissions.png');
  const first = staff.locator('main table a[href^="/admin/submissions/CFI-"]').first();
  await Promise.all([staff.waitForNavigation(), first.click()]);
  await shot(staff, 'submission.png');
  await staff.goto(`${values.server}/admin/accounts`);
  await shot(staff, 'accounts.png');
  await desk.close();
} finally {
  await browser.close();
}
