import { readFile } from 'node:fs/promises';
import { parseProcStatus, readMemory, sampleRss } from './memory';

describe('process memory', () => {
  it('reads VmRSS and VmHWM in MB from /proc status text', () => {
    const text = 'Name:\tnode\nVmPeak:\t 999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  122880 kB\nThreads:\t7\n';
    expect(parseProcStatus(text)).toEqual({ rssMb: 122880 / 1024, hwmMb: 204800 / 1024 });
    expect(() => parseProcStatus('Name:\tnode\nVmHWM:\t1 kB\n')).toThrow('no VmRSS line');
  });
  it('reads this process from /proc and samples it over time', async () => {
    const own = await readMemory(process.pid);
    const fromProc = parseProcStatus(await readFile('/proc/self/status', 'utf8'));
    expect(own.rssMb).toBeGreaterThan(10);
    expect(own.hwmMb).toBeGreaterThanOrEqual(own.rssMb);
    expect(Math.abs(own.rssMb - fromProc.rssMb)).toBeLessThan(own.rssMb / 2);
    const sampler = sampleRss(process.pid, 20);
    await new Promise((r) => setTimeout(r, 150));
    const samples = await sampler.stop();
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const s of samples) expect(s).toBeGreaterThan(10);
  });
});
