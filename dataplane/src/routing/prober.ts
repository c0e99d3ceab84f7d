import { Agent, request } from '../providers/undici';
import { contentHash, type CompiledActiveHealthCheck, type CompiledRegistry } from '@tollgate/protocol';
import type { Snapshot } from '../config/snapshot';
import { createUpstreamAuth, type UpstreamAuth } from '../providers/auth';
import { isTimeoutError } from '../providers/http';
import { PROFILES } from '../providers/profiles';
import type { HealthRegistry, ProbeOutcome } from './health';

/** Sends one probe and says how it went; never throws. `signal` fires when probing stops. */
export type Probe = (
  registry: CompiledRegistry,
  check: CompiledActiveHealthCheck,
  signal: AbortSignal,
) => Promise<ProbeOutcome>;

export interface HttpProbe {
  probe: Probe;
  /** Closes the probes' connections. */
  close(): Promise<void>;
}

/** A failed probe's reason is shown in /config_dump and logs: kept short. */
const MAX_ERROR_CHARS = 200;
/** The first probe of a registry comes within this long (or its interval, when shorter). */
const FIRST_PROBE_SPREAD_MS = 1_000;
/** Each interval is stretched or shrunk by up to this fraction, so replicas and registries drift apart. */
const JITTER = 0.1;
/** Body bytes read (and dropped) before the connection is cut instead. */
const BODY_LIMIT = 64 * 1024;

/**
 * Probes over HTTP: `GET {baseUrl}{path}` with the registry's credential, put where its provider
 * wants it by the same code as inference calls (bearer, api-key, x-api-key, x-goog-api-key, SigV4,
 * Google OAuth). Every probe opens its own connection (`Connection: close`): it tests that a new
 * connection can be made, and never meets a kept-alive socket the server has just dropped.
 */
export function createHttpProbe(options: { auth?: UpstreamAuth } = {}): HttpProbe {
  const auth = options.auth ?? createUpstreamAuth();
  const agent = new Agent();

  async function probe(
    registry: CompiledRegistry,
    check: CompiledActiveHealthCheck,
    signal: AbortSignal,
  ): Promise<ProbeOutcome> {
    const t0 = performance.now();
    const took = () => performance.now() - t0;
    if (registry.provider === 'mock' || registry.provider === 'mcp' || registry.provider === 'a2a')
      return { result: 'success', durationMs: 0 };
    const url = registry.baseUrl + check.path;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, check.timeoutMs);
    timer.unref();
    const onStop = () => controller.abort();
    signal.addEventListener('abort', onStop, { once: true });
    if (signal.aborted) controller.abort();
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': 'tollgate-health-check',
      };
      const signing = auth.apply({
        scheme: PROFILES[registry.provider].auth,
        registry,
        method: 'GET',
        url,
        headers,
        body: undefined,
      });
      if (signing) await untilAborted(signing, controller.signal);
      const res = await request(url, {
        method: 'GET',
        headers,
        dispatcher: agent,
        signal: controller.signal,
        reset: true,
        headersTimeout: check.timeoutMs,
        bodyTimeout: check.timeoutMs,
      });
      const durationMs = took();
      await res.body.dump({ limit: BODY_LIMIT }).catch(() => undefined);
      return res.statusCode >= 200 && res.statusCode < 300
        ? { result: 'success', status: res.statusCode, durationMs }
        : { result: 'status', status: res.statusCode, durationMs };
    } catch (err) {
      if (timedOut || isTimeoutError(err))
        return { result: 'timeout', error: `no answer within ${check.timeoutMs}ms`, durationMs: took() };
      return { result: 'error', error: describe(err), durationMs: took() };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  return {
    probe,
    async close() {
      await agent.close().catch(() => undefined);
    },
  };
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/** `work`, unless `signal` fires first (e.g. a token fetch that hangs past the probe's timeout). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** A registry to probe, from the config. */
export interface ProbeTarget {
  name: string;
  registry: CompiledRegistry;
  check: CompiledActiveHealthCheck;
}

/** The registries of a config that ask for active checks; `mock` ones are never probed (always healthy). */
export function probeTargets(snapshot: Snapshot): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const r of snapshot.resources.values()) {
    if (r.kind !== 'Registry') continue;
    const check = r.body.healthCheck?.active;
    if (check && r.body.provider !== 'mock') out.push({ name: r.name, registry: r.body, check });
  }
  return out;
}

/**
 * What a probe depends on: a registry whose fingerprint is unchanged keeps its probes (and their
 * verdict) across config changes; any other change starts them over. A digest, so no credential
 * is held in it.
 */
export function probeFingerprint(t: ProbeTarget): string {
  const r = t.registry;
  return contentHash({
    provider: r.provider,
    baseUrl: r.baseUrl,
    apiKey: r.apiKey ?? null,
    azure: r.azure ?? null,
    bedrock: r.bedrock ?? null,
    vertex: r.vertex ?? null,
    check: t.check,
  });
}

/** The two log levels the prober uses (a pino Logger fits). */
export interface ProbeLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ProberOptions {
  health: HealthRegistry;
  probe: Probe;
  logger?: ProbeLogger;
  /** In [0, 1): the jitter of each wait. */
  random?: () => number;
}

interface Job {
  readonly fingerprint: string;
  readonly stop: AbortController;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Runs the active health checks of this proxy: one loop per probed registry, each probe
 * `intervalMs` (±10%) after the previous one ended, so a registry never has two probes out. The
 * loops follow the config (`sync` with each snapshot); timers are unref'd, and `close` stops them
 * all, in-flight probes included. Results go to the health registry, which routing reads.
 */
export class Prober {
  private readonly jobs = new Map<string, Job>();
  private closed = false;
  private readonly random: () => number;

  constructor(private readonly options: ProberOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Starts probes of new registries, restarts changed ones, stops those that left the config. */
  sync(snapshot: Snapshot): void {
    if (this.closed) return;
    const wanted = new Map(probeTargets(snapshot).map((t) => [t.name, t]));
    for (const [name, job] of this.jobs) {
      const t = wanted.get(name);
      if (!t || probeFingerprint(t) !== job.fingerprint) this.stop(name, job);
    }
    for (const [name, t] of wanted) if (!this.jobs.has(name)) this.start(t);
  }

  /** Registry names probed now, sorted. */
  get probing(): string[] {
    return [...this.jobs.keys()].sort();
  }

  close(): void {
    this.closed = true;
    for (const [name, job] of this.jobs) this.stop(name, job);
  }

  private start(t: ProbeTarget): void {
    const { health, probe, logger } = this.options;
    const job: Job = { fingerprint: probeFingerprint(t), stop: new AbortController(), timer: undefined };
    this.jobs.set(t.name, job);
    health.startProbing(t.name, t.check);

    const schedule = (ms: number) => {
      job.timer = setTimeout(() => void run(), ms);
      job.timer.unref();
    };
    const run = async () => {
      job.timer = undefined;
      const outcome = await probe(t.registry, t.check, job.stop.signal).catch(
        (err: unknown): ProbeOutcome => ({ result: 'error', error: describe(err), durationMs: 0 }),
      );
      if (job.stop.signal.aborted) return; // stopped meanwhile: the verdict belongs to an old config
      const change = health.recordProbe(t.name, outcome);
      const detail = {
        registry: t.name,
        result: outcome.result,
        status: outcome.status,
        error: outcome.error,
      };
      if (change === 'down')
        logger?.warn(
          detail,
          `registry failed ${t.check.unhealthyThreshold} health probes in a row: out of routing`,
        );
      else if (change === 'up')
        logger?.info(
          detail,
          `registry passed ${t.check.healthyThreshold} health probes in a row: back in routing`,
        );
      schedule(t.check.intervalMs * (1 - JITTER + 2 * JITTER * this.random()));
    };
    schedule(this.random() * Math.min(t.check.intervalMs, FIRST_PROBE_SPREAD_MS));
  }

  private stop(name: string, job: Job): void {
    clearTimeout(job.timer);
    job.stop.abort();
    this.jobs.delete(name);
    this.options.health.stopProbing(name);
  }
}
