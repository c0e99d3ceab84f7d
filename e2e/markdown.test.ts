import { anchorsOf, codeBlocks, relativeLinks, slugOf } from './markdown';

describe('slugOf: GitHub heading anchors', () => {
  test.each([
    ['Start in one minute', 'start-in-one-minute'],
    ['Gateway (`tgw`)', 'gateway-tgw'],
    ['`tollgate dataplane` and `tollgate controller`', 'tollgate-dataplane-and-tollgate-controller'],
    ["What's coming", 'whats-coming'],
    ['Routing and resilience', 'routing-and-resilience'],
    ['Key-only addressing', 'key-only-addressing'],
    ['The [request path](docs/api.md)', 'the-request-path'],
    ['snake_case stays', 'snake_case-stays'],
    ['Café ü 2', 'café-ü-2'],
    ['A / B', 'a--b'],
  ])('%s → %s', (heading, anchor) => expect(slugOf(heading)).toBe(anchor));
});

test('anchorsOf numbers repeated headings and ignores headings inside code blocks', () => {
  const page = ['# Title', '## Usage', '```sh', '# not a heading', '```', '### Usage', '#### Usage ##'].join(
    '\n',
  );
  expect([...anchorsOf(page)]).toEqual(['title', 'usage', 'usage-1', 'usage-2']);
});

test('codeBlocks reads fenced blocks with their language and line', () => {
  const page = [
    'text',
    '```sh',
    'curl -s x',
    '```',
    '',
    '````js',
    'a',
    '```',
    'b',
    '````',
    '```',
    'plain',
    '```',
  ].join('\n');
  expect(codeBlocks(page)).toEqual([
    { lang: 'sh', code: 'curl -s x', line: 2 },
    { lang: 'js', code: 'a\n```\nb', line: 6 },
    { lang: '', code: 'plain', line: 11 },
  ]);
});

test('codeBlocks refuses a block that is never closed', () => {
  expect(() => codeBlocks('```sh\ncurl x\n')).toThrow('unclosed code block opened at line 1');
});

test('relativeLinks finds the prose links that have no scheme, not those in code', () => {
  const page = [
    'See [the API](docs/api.md#endpoints) and [`crds/`](crds/), [site](https://example.com), [mail](mailto:a@b.c).',
    'A pattern `[Ss]ecret(x)` and `[a](not-a-link)` are code. [Here](#here "title").',
    '```md',
    '[inside](code.md)',
    '```',
    '![image](<img/a b.png>)',
  ].join('\n');
  expect(relativeLinks(page)).toEqual([
    { target: 'docs/api.md#endpoints', line: 1 },
    { target: 'crds/', line: 1 },
    { target: '#here', line: 2 },
    { target: 'img/a b.png', line: 6 },
  ]);
});
