import path from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that self time needs. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  /** Microseconds on the monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeItem {
  /** Function name, `(anonymous)` when it has none, or V8's `(garbage collector)`, `(program)`, … */
  name: string;
  /** Source file (relative to `root` when under it), empty for V8's own entries. */
  file: string;
  /** 1-based line of the function, 0 when unknown. */
  line: number;
  samples: number;
  /** Share of the busy (non-idle) samples in the window, percent. */
  percent: number;
}

export interface SelfTimeSummary {
  /** Samples in the window, idle included. */
  samples: number;
  idleSamples: number;
  items: SelfTimeItem[];
  /** The same self time by where the code lives: an npm package, a source file, Node's JS internals, or V8/native entries by name. */
  modules: { module: string; samples: number; percent: number }[];
}

/**
 * Aggregates self time per function (name + file + line; one function's several nodes in the call tree
 * add up), counting samples whose timestamp falls in [fromUs, toUs] when given, and returns the `top`
 * largest. `(idle)` samples are counted apart: percentages are of the samples where the process was busy.
 */
export function selfTime(
  profile: CpuProfile,
  opts: { top: number; root?: string; fromUs?: number; toUs?: number },
): SelfTimeSummary {
  if (profile.samples.length !== profile.timeDeltas.length)
    throw new Error('cpuprofile: samples and timeDeltas differ in length');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, { name: string; file: string; line: number; samples: number }>();
  let total = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if ((opts.fromUs !== undefined && t < opts.fromUs) || (opts.toUs !== undefined && t > opts.toUs))
      continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (!node) throw new Error(`cpuprofile: sample refers to unknown node ${profile.samples[i]}`);
    total++;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle++;
      continue;
    }
    const file = shortFile(url, opts.root);
    const name = functionName || '(anonymous)';
    const line = lineNumber >= 0 && url ? lineNumber + 1 : 0;
    const key = `${name}\0${file}\0${line}`;
    const entry = counts.get(key) ?? { name, file, line, samples: 0 };
    entry.samples++;
    counts.set(key, entry);
  }
  const busy = total - idle;
  const perModule = new Map<string, number>();
  for (const e of counts.values()) perModule.set(moduleOf(e), (perModule.get(moduleOf(e)) ?? 0) + e.samples);
  const modules = [...perModule]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, opts.top)
    .map(([module, samples]) => ({ module, samples, percent: busy > 0 ? (samples / busy) * 100 : 0 }));
  const items = [...counts.values()]
    .sort((a, b) => b.samples - a.samples || a.name.localeCompare(b.name))
    .slice(0, opts.top)
    .map((e) => ({ ...e, percent: busy > 0 ? (e.samples / busy) * 100 : 0 }));
  return { samples: total, idleSamples: idle, items, modules };
}

/** A file under the root relative to it; a dependency from its node_modules/ on, wherever that lives. */
function shortFile(url: string, root: string | undefined): string {
  const file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return file.slice(nm + 1);
  if (root && file.startsWith(root + path.sep)) return file.slice(root.length + 1);
  return file;
}

function moduleOf(e: { name: string; file: string }): string {
  if (e.file === '') return e.name;
  if (e.file.startsWith('node:')) return 'node: (JS internals)';
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(e.file);
  return m ? (m[1] as string) : e.file;
}

/** The summary as a Markdown table (rank, % of busy samples, function, file:line). */
export function formatSelfTime(s: SelfTimeSummary): string {
  const busy = s.samples - s.idleSamples;
  const rows = s.items.map(
    (e, i) =>
      `| ${i + 1} | ${e.percent.toFixed(1)} % | \`${e.name}\` | ${e.file ? `\`${e.file}${e.line ? `:${e.line}` : ''}\`` : ''} |`,
  );
  return [
    `${busy} busy samples (${s.idleSamples} idle left out)`,
    '',
    '| # | self | function | file |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| by module | self |',
    '|---|---|',
    ...s.modules.map((m) => `| \`${m.module}\` | ${m.percent.toFixed(1)} % |`),
  ].join('\n');
}
