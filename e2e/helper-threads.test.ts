import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, runToEnd, startTollgate } from './process';

/**
 * cli/src/helper-threads.ts in fresh Node processes (the built modules: `npm run build` first):
 * V8's helper threads at the lowest priority, the event loop's thread and libuv's thread pool
 * (started later) as they were. Linux, where threads and their nice values are in /proc.
 */

/** A thread's nice value: field 19 of its `/proc/<pid>/task/<tid>/stat` line (after the name). */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);

/** Each thread's nice value, by thread id. */
function nicePerThread(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`))
    out.set(Number(tid), niceOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
  return out;
}

/**
 * Loads the CLI's first module, then starts libuv's thread pool; prints each thread's stat line
 * before and after (read here, parsed by the test).
 */
const SCRIPT = `
const { readdirSync, readFileSync, readFile } = require('node:fs');
const stats = () => Object.fromEntries(readdirSync('/proc/self/task').map((tid) =>
  [tid, readFileSync('/proc/self/task/' + tid + '/stat', 'utf8')]));
require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/start-v8.js'))});
const atLoad = stats();
readFile(__filename, () => console.log(JSON.stringify({ pid: process.pid, atLoad, later: stats() })));
`;

const nices = (stats: Record<string, string>) =>
  Object.fromEntries(Object.entries(stats).map(([tid, stat]) => [tid, niceOf(stat)]));

async function threadsOfFreshProcess(env: NodeJS.ProcessEnv) {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT], { command: process.execPath, env });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const out = JSON.parse(stdout) as {
    pid: number;
    atLoad: Record<string, string>;
    later: Record<string, string>;
  };
  return { pid: out.pid, atLoad: nices(out.atLoad), later: nices(out.later) };
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
      const nice = nicePerThread(pid);
      expect(nice.get(pid)).toBe(0);
      expect([...nice.values()].filter((n) => n === 19).length).toBeGreaterThanOrEqual(4);
    } finally {
      await tg.stop();
    }
  });
});
