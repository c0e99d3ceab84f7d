import path from 'node:path';
import { ROOT, runToEnd } from './process';

/**
 * cli/src/young-generation.ts, in a fresh Node process (the built module: `npm run build` first),
 * where V8's young generation starts at its initial size: objects that survive scavenges while
 * `start` runs do not grow it; the same churn after `start` settles does, as V8 does by default.
 */
/** What the scripts below start with: the built module, the young generation's size, a keep list. */
const PRELUDE = `const { getHeapSpaceStatistics } = require('node:v8');
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];`;

const SCRIPT = `
${PRELUDE}
const churn = () => {
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 200000) keep.splice(0, 100000);
  }
};
withYoungGenerationHeld(async () => {
  churn();
  return newSpace();
}).then((held) => {
  churn();
  console.log(JSON.stringify({ held, released: newSpace() }));
});
`;

it('holds the young generation at its size while starting, and lets it grow once started', async () => {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { held, released } = JSON.parse(stdout) as { held: number; released: number };
  // Unheld, V8 doubles it up to its maximum (2 × 16 MB on 64-bit) under this churn.
  expect(released).toBeGreaterThanOrEqual(held * 4);
});

const SCRIPT_UNTIL = `
${PRELUDE}
const churn = () => {
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 200000) keep.splice(0, 100000);
  }
};
let finishWarmUp;
const warmedUp = new Promise((resolve) => (finishWarmUp = resolve));
withYoungGenerationHeld(async () => 'started', () => warmedUp).then(async (started) => {
  churn(); // after start, before until settles: still held
  const held = newSpace();
  finishWarmUp();
  await new Promise((r) => setImmediate(r));
  churn();
  console.log(JSON.stringify({ started, held, released: newSpace() }));
});
`;

it('keeps holding it after start returns, until `until` settles, without waiting for it', async () => {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT_UNTIL], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { started, held, released } = JSON.parse(stdout) as {
    started: string;
    held: number;
    released: number;
  };
  expect(started).toBe('started');
  expect(released).toBeGreaterThanOrEqual(held * 4);
});

const SCRIPT_GC = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
const forced = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)
      forced.push(e.startTime);
}).observe({ entryTypes: ['gc'] });
const tick = () => new Promise((r) => setTimeout(r, 50));
let finishWarmUp;
const warmedUp = new Promise((resolve) => (finishWarmUp = resolve));
withYoungGenerationHeld(async () => 'started', () => warmedUp).then(async () => {
  await tick();
  const beforeUntil = forced.length;
  finishWarmUp();
  await tick();
  console.log(JSON.stringify({ beforeUntil, afterUntil: forced.length, gcExposed: typeof globalThis.gc }));
});
`;

it('collects the heap (a forced full GC) when the hold ends, not before, and exposes no gc()', async () => {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT_GC], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { beforeUntil, afterUntil, gcExposed } = JSON.parse(stdout) as Record<string, unknown>;
  expect(beforeUntil).toBe(0);
  expect(afterUntil).toBeGreaterThanOrEqual(1);
  expect(gcExposed).toBe('undefined');
});

const SCRIPT_CAP = `
${PRELUDE}
// As a server allocates: in short tasks (requests), some of it surviving a while (uncapped, this
// grows it to V8's maximum, 2 × 16 MB).
const task = () => {
  for (let i = 0; i < 2000; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 60000) keep.splice(0, 30000);
  }
};
const turn = () => new Promise((r) => setImmediate(r));
withYoungGenerationHeld(async () => newSpace(), undefined, Number(process.argv[1])).then(async (held) => {
  for (let i = 0; i < 800; i++) {
    task();
    await turn();
  }
  console.log(JSON.stringify({ held, capped: newSpace() }));
});
`;

it.each([2, 4])(
  'once released, lets it grow up to the cap (%i MB per semi-space) and no further',
  async (mb) => {
    const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT_CAP, String(mb)], {
      command: process.execPath,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { held, capped } = JSON.parse(stdout) as { held: number; capped: number };
    expect(capped).toBeGreaterThan(held);
    expect(capped).toBeLessThanOrEqual(2 * mb * 1024 * 1024);
  },
);

/** The young generation once `file` (and what it imports) has loaded in a fresh process. */
async function newSpaceAfterLoading(file: string): Promise<number> {
  const script = `require(${JSON.stringify(path.join(ROOT, file))});
console.log(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`;
  const { code, stdout, stderr } = await runToEnd(['-e', script], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return Number(stdout);
}

it("the CLI holds it from its first module: loading the CLI's imports does not grow it", async () => {
  // Its initial size: two semi-spaces of 1 MB once the first scavenge has committed the second.
  const initial = 2 * (await newSpaceAfterLoading('dist/cli/src/v8-flags.js'));
  // args.js alone loads what grew it before the hold (the HTTP server's limits pull in undici)…
  expect(await newSpaceAfterLoading('dist/cli/src/args.js')).toBeGreaterThan(initial);
  // …and tollgate.js loads all that behind its first import, start-v8.js.
  expect(await newSpaceAfterLoading('dist/cli/src/tollgate.js')).toBeLessThanOrEqual(initial);
});
