import { cold, memory } from './fresh-process';
import type { TollgateProcess } from './processes';
import {
  fixed,
  medianRound,
  ms,
  pacingDelayMs,
  ratio,
  type BenchOptions,
  type Headline,
  type Measurement,
} from './report';
import { check, streamLoop } from './stream-loop';
import {
  CHAT_BODY,
  MESSAGES_BODY,
  direct,
  governed,
  passthrough,
  floor,
  streaming,
  tollgate,
  translated,
  type Ports,
  type Target,
} from './targets';
import { runWrk, toMeasurement } from './wrk';

/**
 * The scenarios of `npm run bench`. Most measure every target in turn, round after round (interleaved,
 * so a slow patch of the shared machine hits them all alike), and report the median round; `cold` and
 * `memory` start a fresh Tollgate of their own and measure it once.
 */
export interface Summary {
  ratios: Record<string, number>;
  /** Printed under the table. */
  lines: string[];
  /** The figures issue 15 sets targets for, for the closing table. */
  headlines: Headline[];
  /** Extra figures for latest.json. */
  extra?: Record<string, unknown>;
}

export interface ScenarioResult {
  rows: Measurement[];
  summary: Summary;
  /** Each target's req/s round by round (scenarios measured in rounds). */
  perRound?: Record<string, number[]>;
}

export interface Context {
  opts: BenchOptions;
  ports: Ports;
  /** A new Tollgate process on the bench config, ready (its /readyz answered 200). */
  startFresh(): Promise<TollgateProcess>;
  /** The same as a proxy pod: `tollgate dataplane`, fed the bench config's compile over gRPC. */
  startFreshDataplane(): Promise<TollgateProcess>;
  /** A new pass-through process (listening, never loaded): what a fresh process without logic pays. */
  startFreshPassthrough(): Promise<{ port: number; stop(): Promise<void> }>;
}

interface RoundsScenario {
  kind: 'rounds';
  targets(p: Ports): Target[];
  /** wrk for whole responses; the undici loop where the first byte or token is timed. */
  load: 'wrk' | 'stream';
  ttft?: boolean;
  /** Connections per target; `--connections` (saturation) when not set. */
  connections?(o: BenchOptions): number;
  /** Closed-loop pacing to `--rate` over the connections. */
  paced?: boolean;
  summarize(by: (target: string) => Measurement): Summary;
}

interface OnceScenario {
  kind: 'once';
  run(ctx: Context): Promise<ScenarioResult>;
}

export type Scenario = RoundsScenario | OnceScenario;

/** Tollgate against the pass-through and the direct call at saturation. */
function proxyRatios(by: (target: string) => Measurement): Summary {
  const ratios = {
    'tollgate/passthrough': ratio(by('tollgate').requestsPerSec, by('passthrough').requestsPerSec),
    'tollgate/direct': ratio(by('tollgate').requestsPerSec, by('direct').requestsPerSec),
    'passthrough/direct': ratio(by('passthrough').requestsPerSec, by('direct').requestsPerSec),
  };
  const tg = by('tollgate');
  const d = by('direct');
  const lines =
    tg.ttfbP50Ms !== undefined && d.ttfbP50Ms !== undefined
      ? [`ttfb added by tollgate over direct: p50 ${(tg.ttfbP50Ms - d.ttfbP50Ms).toFixed(2)} ms`]
      : [];
  return { ratios, lines, headlines: [] };
}

/** p50 and p99 of each target, what each adds over direct, and tollgate over the pass-through. */
function latencySummary(by: (target: string) => Measurement): Summary {
  const d = by('direct');
  const p = by('passthrough');
  const t = by('tollgate');
  const over = { p50: t.p50Ms - p.p50Ms, p99: t.p99Ms - p.p99Ms };
  return {
    ratios: {},
    lines: [
      `added over direct: passthrough p50 ${ms(p.p50Ms - d.p50Ms)}, p99 ${ms(p.p99Ms - d.p99Ms)}   ` +
        `tollgate p50 ${ms(t.p50Ms - d.p50Ms)}, p99 ${ms(t.p99Ms - d.p99Ms)}`,
      `tollgate over passthrough: p50 ${ms(over.p50)}, p99 ${ms(over.p99)}`,
    ],
    headlines: [
      {
        name: 'latency @1 conn: tollgate p50 − passthrough p50',
        value: over.p50,
        unit: 'ms',
        target: { op: '<=', bound: 0.15 },
      },
      { name: 'latency @1 conn: tollgate p50 − direct p50', value: t.p50Ms - d.p50Ms, unit: 'ms' },
      { name: 'latency @1 conn: passthrough p50 − direct p50', value: p.p50Ms - d.p50Ms, unit: 'ms' },
    ],
    extra: {
      latencyMs: Object.fromEntries([d, p, t].map((m) => [m.target, { p50: m.p50Ms, p99: m.p99Ms }])),
      tollgateOverPassthroughMs: over,
    },
  };
}

function pacedSummary(by: (target: string) => Measurement): Summary {
  const p = by('passthrough');
  const t = by('tollgate');
  const d = by('direct');
  return {
    ratios: {},
    lines: [
      `p99: direct ${fixed(d.p99Ms)} ms, passthrough ${fixed(p.p99Ms)} ms, tollgate ${fixed(t.p99Ms)} ms ` +
        `(tollgate − passthrough ${ms(t.p99Ms - p.p99Ms)})`,
    ],
    headlines: [
      {
        name: 'p99 @fixed rate, warm: tollgate − passthrough',
        value: t.p99Ms - p.p99Ms,
        unit: 'ms',
        target: { op: '<=', bound: 2 },
      },
    ],
    extra: { p99Ms: { direct: d.p99Ms, passthrough: p.p99Ms, tollgate: t.p99Ms } },
  };
}

export const SCENARIOS: Record<string, Scenario> = {
  /** The native chat path at saturation against the pass-through and the direct call. */
  chat: {
    kind: 'rounds',
    targets: (p) => [
      direct(p, CHAT_BODY),
      passthrough(p, CHAT_BODY),
      floor(p, CHAT_BODY),
      tollgate(p, CHAT_BODY),
    ],
    load: 'wrk',
    summarize: (by) => {
      const s = proxyRatios(by);
      s.ratios['floor/passthrough'] = ratio(by('floor').requestsPerSec, by('passthrough').requestsPerSec);
      s.ratios['tollgate/floor'] = ratio(by('tollgate').requestsPerSec, by('floor').requestsPerSec);
      const value = s.ratios['tollgate/passthrough'] ?? NaN;
      return {
        ...s,
        headlines: [
          { name: 'native chat req/s ÷ passthrough', value, unit: '×', target: { op: '>=', bound: 0.8 } },
          {
            name: 'native chat req/s ÷ floor (the least a Node gateway does)',
            value: s.ratios['tollgate/floor'] ?? NaN,
            unit: '×',
          },
          { name: 'floor req/s ÷ passthrough', value: s.ratios['floor/passthrough'] ?? NaN, unit: '×' },
        ],
      };
    },
  },
  /** Anthropic client → OpenAI upstream against the pass-through and the native path, same rounds. */
  translated: {
    kind: 'rounds',
    targets: (p) => [
      passthrough(p, CHAT_BODY),
      tollgate(p, CHAT_BODY, 'native'),
      translated(p, MESSAGES_BODY),
    ],
    load: 'wrk',
    summarize: (by) => {
      const ratios = {
        'translated/passthrough': ratio(by('translated').requestsPerSec, by('passthrough').requestsPerSec),
        'translated/native': ratio(by('translated').requestsPerSec, by('native').requestsPerSec),
      };
      return {
        ratios,
        lines: [],
        headlines: [
          {
            name: 'translated req/s ÷ passthrough',
            value: ratios['translated/passthrough'],
            unit: '×',
            target: { op: '>=', bound: 0.7 },
          },
        ],
      };
    },
  },
  /** The plain native path against the same path with the full policy set on (Redis-backed when available). */
  policies: {
    kind: 'rounds',
    targets: (p) => [tollgate(p, CHAT_BODY, 'plain'), governed(p, CHAT_BODY)],
    load: 'wrk',
    summarize: (by) => {
      const value = ratio(by('policies').requestsPerSec, by('plain').requestsPerSec);
      return {
        ratios: { 'policies/plain': value },
        lines: [],
        headlines: [{ name: 'policies req/s ÷ plain', value, unit: '×', target: { op: '>=', bound: 0.7 } }],
      };
    },
  },
  /** One request at a time: what each hop adds. */
  latency: {
    kind: 'rounds',
    targets: (p) => [direct(p, CHAT_BODY), passthrough(p, CHAT_BODY), tollgate(p, CHAT_BODY)],
    load: 'wrk',
    connections: () => 1,
    summarize: latencySummary,
  },
  /** p99 at a fixed rate (closed-loop pacing with wrk's delay()), warm. */
  paced: {
    kind: 'rounds',
    targets: (p) => [direct(p, CHAT_BODY), passthrough(p, CHAT_BODY), tollgate(p, CHAT_BODY)],
    load: 'wrk',
    connections: (o) => o.pacedConnections,
    paced: true,
    summarize: pacedSummary,
  },
  cold: { kind: 'once', run: cold },
  memory: { kind: 'once', run: memory },
  'chat-stream': {
    kind: 'rounds',
    targets: (p) => {
      const body = streaming(CHAT_BODY);
      return [direct(p, body), passthrough(p, body), tollgate(p, body)];
    },
    load: 'stream',
    summarize: proxyRatios,
  },
  /** Time to first token over the direct call: native and translated streams, same rounds. */
  'messages-stream': {
    kind: 'rounds',
    targets: (p) => [
      direct(p, streaming(CHAT_BODY)),
      tollgate(p, streaming(CHAT_BODY), 'native'),
      translated(p, streaming(MESSAGES_BODY)),
    ],
    load: 'stream',
    ttft: true,
    summarize: (by) => {
      const d = by('direct');
      const added = (t: Measurement) => ({
        p50: (t.ttftP50Ms ?? NaN) - (d.ttftP50Ms ?? NaN),
        p99: (t.ttftP99Ms ?? NaN) - (d.ttftP99Ms ?? NaN),
      });
      const native = added(by('native'));
      const trans = added(by('translated'));
      const over = { p50: trans.p50 - native.p50, p99: trans.p99 - native.p99 };
      return {
        ratios: {
          'translated/native': ratio(by('translated').requestsPerSec, by('native').requestsPerSec),
          'native/direct': ratio(by('native').requestsPerSec, d.requestsPerSec),
          'translated/direct': ratio(by('translated').requestsPerSec, d.requestsPerSec),
        },
        lines: [
          `ttft added over direct: native p50 ${ms(native.p50)}, p99 ${ms(native.p99)}   ` +
            `translated p50 ${ms(trans.p50)}, p99 ${ms(trans.p99)}`,
          `ttft added by translation over native: p50 ${ms(over.p50)}, p99 ${ms(over.p99)}`,
        ],
        headlines: [],
        extra: { ttftAddedMs: { native, translated: trans, translatedOverNative: over } },
      };
    },
  },
};

/** Runs one scenario: checks every target answers properly, warms them, then the interleaved rounds. */
export async function runScenario(name: string, s: Scenario, ctx: Context): Promise<ScenarioResult> {
  if (s.kind === 'once') return s.run(ctx);
  const { opts } = ctx;
  const targets = s.targets(ctx.ports);
  const connections = s.connections?.(opts) ?? opts.connections;
  const delayMs = s.paced ? pacingDelayMs(opts.rateRps, connections) : 0;
  const run = async (t: Target, durationSec: number): Promise<Measurement> =>
    s.load === 'stream'
      ? streamLoop(t, { connections, durationSec }, s.ttft === true)
      : toMeasurement(t.name, await runWrk({ ...t, connections, durationSec, delayMs }), connections);
  // A 200 that is not a completion would be measured as a fast success.
  for (const t of targets) {
    const problem = await check(t, s.load === 'stream');
    if (problem) throw new Error(`${name}/${t.name} does not answer properly: ${problem}`);
  }
  if (opts.warmupSec > 0) for (const t of targets) await run(t, opts.warmupSec);
  const perTarget = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const t of targets) perTarget.get(t.name)?.push(await run(t, opts.durationSec));
  }
  const rows = targets.map((t) => {
    const all = perTarget.get(t.name) ?? [];
    // errors anywhere count, not only in the median round
    return {
      ...medianRound(all),
      errors: all.reduce((n, r) => n + r.errors, 0),
      non2xx: all.reduce((n, r) => n + r.non2xx, 0),
    };
  });
  const by = (n: string) => rows.find((r) => r.target === n) as Measurement;
  const perRound = Object.fromEntries(
    [...perTarget].map(([n, all]) => [n, all.map((r) => r.requestsPerSec)]),
  );
  return { rows, summary: s.summarize(by), perRound };
}
