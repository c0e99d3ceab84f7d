import { readFile } from 'node:fs/promises';

/** A process's resident set now and at its highest, in MB (Linux /proc/<pid>/status). */
export interface MemoryReading {
  rssMb: number;
  hwmMb: number;
}

/** VmRSS and VmHWM out of the text of /proc/<pid>/status (both in kB there). */
export function parseProcStatus(text: string): MemoryReading {
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, 'm').exec(text);
    if (!m) throw new Error(`/proc status has no ${field} line`);
    return Number(m[1]);
  };
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export async function readMemory(pid: number): Promise<MemoryReading> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** Samples VmRSS every `everyMs` until `stop()`, which resolves to the samples in MB. */
export function sampleRss(pid: number, everyMs: number): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = readMemory(pid).then(
      (m) => void samples.push(m.rssMb),
      () => undefined,
    );
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return samples;
    },
  };
}
