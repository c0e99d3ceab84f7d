import { parseProcStat, readCpuMs } from './cpu';

describe('process CPU time', () => {
  it('adds utime and stime (ticks of 10 ms) out of /proc stat text, whatever the command name holds', () => {
    const text = '4242 (node (a) b) S 1 4242 4242 0 -1 4194304 900 0 0 0 219 31 0 0 20 0 11 0 1344582';
    expect(parseProcStat(text)).toBe(2500);
    expect(() => parseProcStat('4242 node S 1')).toThrow('no command name');
    expect(() => parseProcStat('4242 (node) S 1 2')).toThrow('no utime/stime');
  });
  it('reads this process from /proc as Node counts it', async () => {
    const before = await readCpuMs(process.pid);
    const own = process.cpuUsage();
    let x = 0;
    // 200 ms of CPU (not of wall time: the machine may be busy)
    while (process.cpuUsage(own).user < 200_000) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(own);
    const after = await readCpuMs(process.pid);
    expect(x).toBeGreaterThan(0);
    expect(after - before).toBeGreaterThanOrEqual(200 - 20);
    expect(after - before).toBeLessThanOrEqual((used.user + used.system) / 1000 + 40);
  });
});
