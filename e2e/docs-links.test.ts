import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { anchorsOf, relativeLinks } from './markdown';
import { ROOT } from './process';

/**
 * Every relative link of the README and of docs/ resolves: its file or folder exists, and its
 * `#anchor` is a heading of the page it names (GitHub's anchor rules).
 */
const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const anchorCache = new Map<string, Set<string>>();
function anchorsAt(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(file, 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
}

/** What is wrong with one link of `page`, or undefined when it resolves. */
function brokenLink(page: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const file = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved =
    file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), file);
  if (path.relative(ROOT, resolved).startsWith('..')) return 'points outside the repository';
  if (!existsSync(resolved)) return `no such file: ${path.relative(ROOT, resolved)}`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md') || statSync(resolved).isDirectory())
    return 'an anchor on a page that is not Markdown';
  return anchorsAt(resolved).has(anchor)
    ? undefined
    : `no heading '#${anchor}' in ${path.relative(ROOT, resolved)}`;
}

test('the README links to every page of docs/', () => {
  const readme = relativeLinks(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map(
    (l) => l.target.split('#')[0],
  );
  expect(PAGES.filter((p) => p !== 'README.md' && !readme.includes(p))).toEqual([]);
  expect(PAGES.length).toBeGreaterThan(1);
});

test.each(PAGES)('every relative link and anchor of %s resolves', (page) => {
  const links = relativeLinks(readFileSync(path.join(ROOT, page), 'utf8'));
  expect(links.length).toBeGreaterThan(0);
  const broken = links.flatMap((l) => {
    const why = brokenLink(page, l.target);
    return why ? [`${page}:${l.line} ${l.target}: ${why}`] : [];
  });
  expect(broken).toEqual([]);
});
