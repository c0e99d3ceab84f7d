import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { codeBlocks, type CodeBlock } from './markdown';
import { ROOT } from './process';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * The snippets run as written: every `sh` block that calls curl and every `js` block of the README
 * (and of the addressing page, whose examples use the quickstart too) is run against the
 * quickstart, in standalone mode in this process. Only the ports change, to the ones it picked.
 */
const run = promisify(execFile);
const PAGES = ['README.md', 'docs/api.md'];
// Inside the repository, so that the snippets' `import OpenAI from 'openai'` resolves from its node_modules.
const SCRATCH = path.join(ROOT, 'e2e', '.readme-snippets');

interface Snippet extends CodeBlock {
  page: string;
}

let tollgate: InProcessTollgate;
let snippets: Snippet[];

beforeAll(async () => {
  snippets = [];
  for (const page of PAGES) {
    const blocks = codeBlocks(await readFile(path.join(ROOT, page), 'utf8'));
    snippets.push(...blocks.map((b) => ({ ...b, page })));
  }
  snippets = snippets.filter((s) => s.lang === 'js' || (s.lang === 'sh' && s.code.includes('curl ')));
  const dir = path.join(ROOT, 'examples', 'quickstart');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const yaml = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  tollgate = await standaloneOn(yaml.join('\n---\n'));
  await mkdir(SCRATCH, { recursive: true });
});

afterAll(async () => {
  await tollgate?.stop();
  await rm(SCRATCH, { recursive: true, force: true });
});

/** The snippet with the quickstart's ports (8081 proxy, 9091 ops) replaced by the ones in use. */
function withPorts(code: string): string {
  const { port, opsPort } = tollgate.tollgate.dataplane;
  return code
    .replace(/\b(127\.0\.0\.1|localhost):8081\b/g, `$1:${port}`)
    .replace(/\b(127\.0\.0\.1):9091\b/g, `$1:${opsPort}`);
}

const where = (s: Snippet) => `${s.page}:${s.line}`;

/** Rethrows a snippet's failure (non-zero exit, timeout) with where the snippet is. */
function failedAt(s: Snippet): (err: Error & { stderr?: string }) => never {
  return (err) => {
    throw new Error(`the snippet at ${where(s)} failed: ${err.message}\n${err.stderr ?? ''}`);
  };
}

test('the README has runnable snippets: curl, the OpenAI SDK and the Anthropic SDK', () => {
  const readme = snippets.filter((s) => s.page === 'README.md');
  expect(readme.filter((s) => s.lang === 'sh').length).toBeGreaterThanOrEqual(2);
  const js = readme.filter((s) => s.lang === 'js').map((s) => s.code);
  expect(js.some((c) => c.includes("from 'openai'"))).toBe(true);
  expect(js.some((c) => c.includes("from '@anthropic-ai/sdk'"))).toBe(true);
  // Key-only addressing: the SDKs need the base URL and the key, no gateway header.
  expect(js.filter((c) => c.includes('X-AG-Gateway-Slug'))).toEqual([]);
});

test('every curl snippet succeeds and prints no error', async () => {
  for (const s of snippets.filter((x) => x.lang === 'sh')) {
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', withPorts(s.code)], {
      timeout: 20_000,
    }).catch(failedAt(s));
    expect({ at: where(s), printed: stdout.length > 0, error: /"error"/.test(stdout) }).toEqual({
      at: where(s),
      printed: true,
      error: false,
    });
  }
}, 60_000);

test('every JavaScript snippet runs as written with Node, as an ES module, and prints', async () => {
  for (const [i, s] of snippets.filter((x) => x.lang === 'js').entries()) {
    const file = path.join(SCRATCH, `snippet-${i}.mjs`);
    await writeFile(file, withPorts(s.code));
    const { stdout } = await run(process.execPath, [file], { timeout: 20_000 }).catch(failedAt(s));
    expect({ at: where(s), printed: stdout.trim().length > 0 }).toEqual({ at: where(s), printed: true });
  }
}, 60_000);
