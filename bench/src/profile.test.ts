import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatSelfTime, selfTime, type CpuProfile } from './profile';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });

/** A profile whose samples are listed as node ids, one every 1,000 µs from t = 10,000. */
function profileOf(samples: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('handle', 'file:///repo/dataplane/src/proxy/app.js', 41) },
      { id: 4, callFrame: frame('(garbage collector)') },
      // the same function reached by another path in the call tree
      { id: 5, callFrame: frame('handle', 'file:///repo/dataplane/src/proxy/app.js', 41) },
      { id: 6, callFrame: frame('', 'node:internal/stream_base_commons', 120) },
      {
        id: 7,
        callFrame: frame('observe', 'file:///elsewhere/node_modules/prom-client/lib/histogram.js', 9),
      },
      { id: 8, callFrame: frame('asJson', 'file:///repo/node_modules/pino/lib/tools.js', 143) },
      { id: 9, callFrame: frame('labels', 'file:///repo/node_modules/prom-client/lib/util.js', 3) },
      { id: 10, callFrame: frame('emit', 'node:events', 470) },
    ],
    startTime: 10_000,
    endTime: 10_000 + samples.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

describe('cpu profile self time', () => {
  it('adds up the nodes of one function, keeps idle apart and ranks by samples', () => {
    const samples = [3, 3, 5, 4, 2, 2, 6, 3, 4, 5];
    const s = selfTime(profileOf(samples), { top: 20, root: '/repo' });
    const count = (ids: number[]) => samples.filter((x) => ids.includes(x)).length;
    const busy = samples.length - count([2]);
    expect(s.samples).toBe(samples.length);
    expect(s.idleSamples).toBe(count([2]));
    expect(s.items.map((i) => i.name)).toEqual(['handle', '(garbage collector)', '(anonymous)']);
    expect(s.items[0]).toMatchObject({
      file: 'dataplane/src/proxy/app.js',
      line: 42,
      samples: count([3, 5]),
    });
    expect(s.items[0]?.percent).toBeCloseTo((count([3, 5]) / busy) * 100);
    expect(s.items[2]).toMatchObject({ file: 'node:internal/stream_base_commons', line: 121 });
    expect(s.items.reduce((n, i) => n + i.percent, 0)).toBeCloseTo(100);
  });
  it('keeps the top N and counts only samples inside the window', () => {
    const samples = [4, 4, 4, 3, 3, 6];
    expect(selfTime(profileOf(samples), { top: 1 }).items.map((i) => i.name)).toEqual([
      '(garbage collector)',
    ]);
    // samples land at 11,000 … 16,000: the window [14,000, 16,000] holds the last three
    const w = selfTime(profileOf(samples), { top: 5, fromUs: 14_000, toUs: 16_000 });
    expect(w.samples).toBe(3);
    expect(w.items.map((i) => [i.name, i.samples])).toEqual([
      ['handle', 2],
      ['(anonymous)', 1],
    ]);
  });
  it('names dependencies from node_modules/ on and adds self time up by module', () => {
    const samples = [7, 9, 9, 8, 6, 10, 3, 4];
    const s = selfTime(profileOf(samples), { top: 20, root: '/repo' });
    const busy = samples.length;
    expect(s.items.find((i) => i.name === 'observe')?.file).toBe('node_modules/prom-client/lib/histogram.js');
    expect(s.modules).toEqual([
      { module: 'prom-client', samples: 3, percent: (3 / busy) * 100 },
      { module: 'node: (JS internals)', samples: 2, percent: (2 / busy) * 100 },
      { module: '(garbage collector)', samples: 1, percent: (1 / busy) * 100 },
      { module: 'dataplane/src/proxy/app.js', samples: 1, percent: (1 / busy) * 100 },
      { module: 'pino', samples: 1, percent: (1 / busy) * 100 },
    ]);
    expect(formatSelfTime(s)).toContain('| `prom-client` | 37.5 % |');
  });
  it('refuses a profile that does not hold together', () => {
    const p = profileOf([3, 99]);
    expect(() => selfTime(p, { top: 5 })).toThrow('unknown node 99');
    expect(() => selfTime({ ...p, timeDeltas: [1] }, { top: 5 })).toThrow('differ in length');
  });
  it('formats a markdown table', () => {
    const text = formatSelfTime(selfTime(profileOf([3, 3, 4, 2]), { top: 5, root: '/repo' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('3 busy samples (1 idle left out)');
    expect(lines[4]).toBe('| 1 | 66.7 % | `handle` | `dataplane/src/proxy/app.js:42` |');
    expect(lines[5]).toBe('| 2 | 33.3 % | `(garbage collector)` |  |');
  });
  it('reads a real profile written by node --cpu-prof and finds the busy function', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-prof-'));
    try {
      const script = path.join(dir, 'spin.js');
      await writeFile(
        script,
        'function spinForProfile(){let x=0;const end=Date.now()+300;while(Date.now()<end)x+=Math.sqrt(x+1);return x}\nspinForProfile();\n',
      );
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, script]);
      expect(r.status).toBe(0);
      const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
      expect(file).toBeDefined();
      const profile = JSON.parse(await readFile(path.join(dir, file as string), 'utf8')) as CpuProfile;
      const s = selfTime(profile, { top: 3, root: dir });
      expect(s.items[0]).toMatchObject({ name: 'spinForProfile', file: 'spin.js', line: 1 });
      expect(s.items[0]?.percent).toBeGreaterThan(50);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
