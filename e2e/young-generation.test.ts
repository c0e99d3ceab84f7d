import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_SEMI_SPACE_MB } from '../cli/src/args';
import { eventually, ROOT, runToEnd, startTollgate } from './process';

/**
 * cli/src/young-generation.ts, in a fresh Node process (the built module: `npm run build` first),
 * where V8's young generation starts at its initial size: objects that survive scavenges while
 * `start` runs do not grow it; the same churn after `start` settles does, as V8 does by default.
 * Last, the serving process's settings (cli/src/start-v8.ts) in each `--workers` worker.
 */
/** What the scripts below start with: the built module, the young generation's size, a keep list. */
const PRELUDE = `const { getHeapSpaceStatistics } = require('node:v8');
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];`;

/** The full GCs forced so far (the GC when the start's hold ends), by start time. */
const FORCED_GCS = `const { PerformanceObserver, constants } = require('node:perf_hooks');
const forced = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)
      forced.push(e.startTime);
}).observe({ entryTypes: ['gc'] });`;

/**
 * `serve()`: allocates as a server does, in short tasks (requests), some of it surviving a while in
 * `keep` (uncapped, this grows the young generation to V8's maximum, 2 × 16 MB).
 */
const SERVER_CHURN = `const task = () => {
  for (let i = 0; i < 2000; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 60000) keep.splice(0, 30000);
  }
};
const turn = () => new Promise((r) => setImmediate(r));
const serve = async () => {
  for (let i = 0; i < 800; i++) {
    task();
    await turn();
  }
};`;

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
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
${FORCED_GCS}
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
${SERVER_CHURN}
withYoungGenerationHeld(async () => newSpace(), undefined, Number(process.argv[1])).then(async (held) => {
  await serve();
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

/**
 * Preloaded into every process of the run (node's `--require`, which the workers inherit), active
 * in the workers only: on SIGUSR2 a worker writes `<dir>/<pid>.json` with the size of its young
 * generation's semi-spaces as it finds them (their capacity, in whole MB: a full GC may leave one
 * uncommitted), the full GCs forced so far, the same size after a server's churn, and whether
 * a WebAssembly function it then compiles and calls hot is optimised by TurboFan (V8's own test
 * intrinsic, the natives syntax allowed for that one function).
 */
const workerProbe = (dir: string) => `if (process.env.TOLLGATE_WORKER_SLOT) {
const keep = [];
const semiSpaceMb = () => {
  const space = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return Math.ceil((space.space_used_size + space.space_available_size) / (1024 * 1024));
};
${FORCED_GCS}
${SERVER_CHURN}
const tiersUp = async () => {
  require('node:v8').setFlagsFromString('--allow-natives-syntax');
  const turbofan = new Function('f', 'return %IsTurboFanFunction(f)');
  // (module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
  const wasm = [0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3, 2, 1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11];
  const { add } = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wasm))).exports;
  for (let round = 0; round < 200 && !turbofan(add); round++) {
    for (let i = 0; i < 1e5; i++) add(i, i);
    await new Promise((r) => setTimeout(r, 10));
  }
  return turbofan(add);
};
process.on('SIGUSR2', async () => {
  const atReadyMb = semiSpaceMb();
  await serve();
  const report = { atReadyMb, forcedGcs: forced.length, servingMb: semiSpaceMb(), turbofan: await tiersUp() };
  require('node:fs').writeFileSync(${JSON.stringify(dir)} + '/' + process.pid + '.json', JSON.stringify(report));
});
}
`;

interface WorkerReport {
  atReadyMb: number;
  forcedGcs: number;
  servingMb: number;
  turbofan: boolean;
}

describe('each `tollgate run --workers 2` worker, as one serving process', () => {
  let dir: string;
  let probe: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-worker-v8-'));
    probe = path.join(dir, 'probe.js');
    await writeFile(probe, workerProbe(dir));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function reportOf(pid: number): Promise<WorkerReport> {
    const file = path.join(dir, `${pid}.json`);
    process.kill(pid, 'SIGUSR2');
    await eventually(() => existsSync(file), 20_000);
    // Written at once, but perhaps not yet whole when seen.
    let text = '';
    await eventually(async () => (text = await readFile(file, 'utf8')).endsWith('}'));
    return JSON.parse(text) as WorkerReport;
  }

  const MB = 1024 * 1024;
  const DEFAULT_CAP = DEFAULT_MAX_SEMI_SPACE_MB;
  it.each([
    [
      'the defaults',
      { cli: [], node: [], env: '' },
      { aboveMb: undefined, capMb: DEFAULT_CAP, turbofan: false },
    ],
    [
      'the CLI options its primary got',
      { cli: ['--max-semi-space', '2', '--optimize-wasm'], node: [], env: '' },
      { aboveMb: undefined, capMb: 2, turbofan: true },
    ],
    [
      "the user's own V8 flags, on node's command line and in NODE_OPTIONS",
      { cli: [], node: ['--no-liftoff-only'], env: '--max-semi-space-size=8' },
      // Theirs rules: no cap of ours (it would stop at the default's), V8's own at 8 MB.
      { aboveMb: DEFAULT_CAP, capMb: 8, turbofan: true },
    ],
  ])(
    'with %s: young generation held while starting, a full GC once warm, capped while serving, WebAssembly as asked',
    async (_case, given, expected) => {
      // A semi-space's initial size: the young generation of a fresh process, before its first scavenge.
      const initialMb = (await newSpaceAfterLoading('dist/cli/src/v8-flags.js')) / MB;
      const tg = await startTollgate(
        ['-f', 'examples/quickstart', '--no-watch', '--workers', '2', ...given.cli],
        {
          nodeArgs: ['--require', probe, ...given.node],
          env: { NODE_OPTIONS: given.env },
          timeoutMs: 30_000,
        },
      );
      try {
        const pids = tg.logs.filter((l) => l.msg === 'worker started').map((l) => Number(l.pid));
        expect(pids).toHaveLength(2);
        for (const report of await Promise.all(pids.map(reportOf))) {
          // Unheld, loading the worker's modules grows it to 2 × 8 MB.
          expect(report.atReadyMb).toBeLessThanOrEqual(initialMb);
          expect(report.forcedGcs).toBeGreaterThanOrEqual(1);
          expect(report.servingMb).toBeGreaterThan(expected.aboveMb ?? report.atReadyMb);
          expect(report.servingMb).toBeLessThanOrEqual(expected.capMb);
          expect(report.turbofan).toBe(expected.turbofan);
        }
      } finally {
        expect(await tg.stop()).toBe(0);
      }
    },
    60_000,
  );
});
