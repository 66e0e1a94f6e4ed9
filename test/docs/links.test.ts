// Every relative link of the README and the docs leads somewhere: the file exists, and a
// `#fragment` names a heading of the page it points at (GitHub's heading anchors).

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { repositoryFiles } from '../helpers/repository-files.ts';

const pages = repositoryFiles().filter(
  (file) => file.endsWith('.md') && (file === 'README.md' || file.startsWith('docs/')),
);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replaceAll(' ', '-');
}

function withoutCode(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

function anchorsOf(file: string): Set<string> {
  const headings = withoutCode(readFileSync(file, 'utf8')).matchAll(/^#{1,6} (.+)$/gm);
  return new Set([...headings].map((match) => anchorOf(match[1] ?? '')));
}

/** The relative targets of Markdown links and `src`/`href` attributes in `text`. */
function relativeLinks(text: string): string[] {
  const plain = withoutCode(text).replace(/`[^`\n]*`/g, '');
  const targets = [
    ...[...plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? ''),
    ...[...plain.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? ''),
  ];
  return targets.filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
}

function brokenLinks(file: string): string[] {
  return relativeLinks(readFileSync(file, 'utf8')).flatMap((target) => {
    const [path = '', fragment] = target.split('#');
    const resolved = path === '' ? file : normalize(join(dirname(file), path));
    if (!existsSync(resolved)) return [`${file}: ${target} (no such file)`];
    if (fragment === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory())
      return [];
    return anchorsOf(resolved).has(fragment) ? [] : [`${file}: ${target} (no such heading)`];
  });
}

describe('relative links in the README and docs/', () => {
  it('all lead to an existing file, and to an existing heading of it', () => {
    assert.ok(pages.includes('README.md') && pages.includes('docs/README.md'), pages.join(', '));
    const links = pages.flatMap((file) => relativeLinks(readFileSync(file, 'utf8')));
    assert.ok(links.length > 40, `${links.length} links found`);
    assert.deepEqual(pages.flatMap(brokenLinks), []);
  });

  it('finds links, images and anchors the way GitHub renders them', () => {
    assert.deepEqual(
      relativeLinks(
        '[a](docs/a.md) [b](#b "t") <img src="img/x.png"> [c](https://x.test) `[d](no.md)`',
      ),
      ['docs/a.md', '#b', 'img/x.png'],
    );
    assert.equal(
      anchorOf('Reports: `npm run audit:report` and `GET /v1/audit`'),
      'reports-npm-run-auditreport-and-get-v1audit',
    );
    assert.equal(anchorOf('Moving from SQLite to PostgreSQL'), 'moving-from-sqlite-to-postgresql');
  });
});

describe('docs/README.md', () => {
  it('lists every page of docs/, one line each', () => {
    const index = readFileSync('docs/README.md', 'utf8');
    const missing = pages
      .filter((file) => /^docs\/[^/]+\.md$/.test(file) && file !== 'docs/README.md')
      .map((file) => file.slice('docs/'.length))
      .filter(
        (page) => !new RegExp(`^- (?:\\[${page}\\]\\(${page}\\)|\`${page}\`) — `, 'm').test(index),
      );
    assert.deepEqual(missing, []);
  });
});
