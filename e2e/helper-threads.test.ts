import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runToEnd, startTollgate } from './process';

/**
 * cli/src/helper-threads.ts in fresh Node processes (the built modules: `npm run build` first):
 * V8's helper threads at the lowest priority, the event loop's thread and libuv's thread pool
 * (started later) as they were. Linux, where threads and their nice values are in /proc.
 */

/** Each thread's nice value, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOf(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

/** Loads the CLI's first module, then starts libuv's thread pool; prints each thread's nice value before and after. */
const SCRIPT = `
const { readdirSync, readFileSync, readFile } = require('node:fs');
const nice = () => Object.fromEntries(readdirSync('/proc/self/task').map((tid) => {
  const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
  return [tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
}));
require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/start-v8.js'))});
const atLoad = nice();
readFile(__filename, () => console.log(JSON.stringify({ pid: process.pid, atLoad, later: nice() })));
`;

async function threadsOfFreshProcess(env: NodeJS.ProcessEnv) {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT], { command: process.execPath, env });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as { pid: number; atLoad: Record<string, number>; later: Record<string, number> };
}

describe("the CLI's first module (start-v8.ts)", () => {
  it("lowers V8's helper threads to nice 19, not the main thread nor the thread pool started after", async () => {
    const { pid, atLoad, later } = await threadsOfFreshProcess({ ...process.env, TOLLGATE_HELPER_NICE: '' });
    expect(atLoad[String(pid)]).toBe(0);
    const helpers = Object.keys(atLoad).filter((tid) => tid !== String(pid));
    // V8's platform workers (4 unless --v8-pool-size) and node's own background threads.
    expect(helpers.length).toBeGreaterThanOrEqual(4);
    for (const tid of helpers) expect(atLoad[tid]).toBe(19);
    const pool = Object.keys(later).filter((tid) => !(tid in atLoad));
    expect(pool.length).toBeGreaterThan(0);
    for (const tid of pool) expect(later[tid]).toBe(0);
  });

  it('takes its nice value from TOLLGATE_HELPER_NICE, 0 leaving every thread as it was', async () => {
    const ten = await threadsOfFreshProcess({ ...process.env, TOLLGATE_HELPER_NICE: '10' });
    const helpers = Object.entries(ten.atLoad).filter(([tid]) => tid !== String(ten.pid));
    expect(helpers.length).toBeGreaterThanOrEqual(4);
    expect(new Set(helpers.map(([, n]) => n))).toEqual(new Set([10]));
    const off = await threadsOfFreshProcess({ ...process.env, TOLLGATE_HELPER_NICE: '0' });
    expect(new Set(Object.values(off.atLoad))).toEqual(new Set([0]));
  });
});

describe('tollgate run', () => {
  it('serves with its event loop at normal priority and V8’s helpers at the lowest', async () => {
    const tg = await startTollgate(['-f', path.join(ROOT, 'examples/quickstart'), '--no-watch'], {
      env: { TOLLGATE_HELPER_NICE: '' },
    });
    try {
      const pid = tg.proc.pid as number;
      const nice = niceOf(pid);
      expect(nice.get(pid)).toBe(0);
      expect([...nice.values()].filter((n) => n === 19).length).toBeGreaterThanOrEqual(4);
    } finally {
      await tg.stop();
    }
  });
});
