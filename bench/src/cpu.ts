import { readFile } from 'node:fs/promises';

/** Linux's USER_HZ: /proc counts CPU time in these ticks (100 a second on every mainstream architecture). */
const TICKS_PER_S = 100;

/**
 * User + system CPU time in ms, all threads, out of the text of /proc/<pid>/stat (fields 14 and
 * 15, counted after the command name, which is in parentheses and may hold spaces or parentheses).
 */
export function parseProcStat(text: string): number {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('/proc stat: no command name');
  // after ") ": state is field 3, so utime (14) and stime (15) are the 12th and 13th
  const fields = text.slice(close + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error('/proc stat: no utime/stime');
  return ((utime + stime) * 1000) / TICKS_PER_S;
}

/** The CPU time a process has used so far, in ms (10 ms resolution). */
export async function readCpuMs(pid: number): Promise<number> {
  return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
}
