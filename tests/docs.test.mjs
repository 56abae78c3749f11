// The README and the four guides: the README stays a front page (150 lines
// at most, the two commands first), each guide exists, and every link
// between them resolves: the file is there, and the heading an anchor
// names is in it (GitHub's way of making anchors from headings).
//
// Run from anywhere:  node --test tests/docs.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const GUIDES = ['docs/partners.md', 'docs/review-team.md', 'docs/operators.md', 'docs/architecture.md'];

/** GitHub's anchor for a heading: lower case, code marks and punctuation
 * dropped (hyphens and underscores kept), each space a hyphen. */
const slug = (heading) => heading.trim().toLowerCase().replaceAll('`', '')
  .replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

function anchorsOf(text) {
  const anchors = new Set();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && line.match(/^#{1,6} (.*)$/);
    if (m) anchors.add(slug(m[1]));
  }
  return anchors;
}

/** The relative links of a markdown text, outside code. */
function linksOf(text) {
  const links = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) { fenced = !fenced; continue; }
    if (fenced) continue;
    const bare = line.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/.test(m[1])) links.push(m[1]);
    }
  }
  return links;
}

test('the README is a front page that opens with the two commands', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const lines = readme.split('\n').length;
  assert.ok(lines <= 150, `README.md has ${lines} lines`);
  const opening = readme.split('\n').slice(0, 8).join('\n');
  assert.match(opening, /\.\/scripts\/demo\.sh/);
  assert.match(opening, /\.\/scripts\/test\.sh/);
  for (const guide of GUIDES) {
    assert.ok(existsSync(join(root, guide)), `${guide} exists`);
    assert.ok(readme.includes(`(${guide})`), `the README links to ${guide}`);
  }
});

test('every link between the README and the guides resolves, anchors included', () => {
  let checked = 0;
  for (const file of ['README.md', ...GUIDES]) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const link of linksOf(text)) {
      const [target, anchor] = link.split('#');
      const path = target ? resolve(dirname(join(root, file)), target) : join(root, file);
      assert.ok(existsSync(path), `${file}: ${link} names a file that is not there`);
      if (anchor && path.endsWith('.md')) {
        assert.ok(anchorsOf(readFileSync(path, 'utf8')).has(anchor), `${file}: ${link} names no heading`);
      }
      checked += 1;
    }
  }
  assert.ok(checked > 20, `${checked} links checked`);
});
