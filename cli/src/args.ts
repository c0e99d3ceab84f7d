import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_HTTP_LIMITS, DEFAULT_WARMUP, type WarmupLimits } from '@tollgate/dataplane';
import { userSetV8Flag } from './v8-flags';

/** Every server flag has an environment variable; the flag wins. */
export const DEFAULTS = { host: '127.0.0.1', port: 8081, opsPort: 9091, gracePeriodSeconds: 10 };

/** The flags of every command that serves the proxy (`run`, `dataplane`). */
export interface ServeFlags {
  host: string;
  port: number;
  opsPort: number;
  gracePeriodMs: number;
  logLevel: string | undefined;
  /** Redis for shared rate-limit counters; undefined: in-process counters. */
  redisUrl: string | undefined;
  /** Open connections the proxy port accepts at most. */
  maxConnections: number;
  /** Bearer token of the ops port's /approvals endpoints; undefined: none. */
  opsToken: string | undefined;
  /** Where approvers reach the ops port (approval webhooks link there). */
  opsUrl: string | undefined;
  /** Worker processes sharing the proxy port; 1: no cluster, the proxy runs in this process. */
  workers: number;
  /** The warm-up before readiness (`--warmup`, `--warmup-connections`); false: none. */
  warmup: WarmupLimits | false;
  /** Where V8's young generation stops growing while serving, MB per semi-space; undefined: V8's own. */
  maxSemiSpaceMb: number | undefined;
  /** Let V8 optimise WebAssembly (undici's HTTP parser) with TurboFan (`--optimize-wasm`). */
  optimizeWasm: boolean;
}

export interface RunFlags extends ServeFlags {
  files: string[];
  fleet: string | undefined;
  watch: boolean;
}

export class UsageError extends Error {}

export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'ops-port': { type: 'string' },
  'grace-period': { type: 'string' },
  'log-level': { type: 'string' },
  'redis-url': { type: 'string' },
  'max-connections': { type: 'string' },
  'ops-token': { type: 'string' },
  'ops-url': { type: 'string' },
  workers: { type: 'string' },
  warmup: { type: 'string' },
  'warmup-connections': { type: 'string' },
  'max-semi-space': { type: 'string' },
  'optimize-wasm': { type: 'boolean' },
} as const;

type ServeValues = { [K in Exclude<keyof typeof SERVE_OPTIONS, 'optimize-wasm'>]?: string } & {
  'optimize-wasm'?: boolean;
};

function serveFlags(values: ServeValues, env: NodeJS.ProcessEnv): ServeFlags {
  return {
    host: values.host ?? env.TOLLGATE_HOST ?? DEFAULTS.host,
    port: port('--port', values.port ?? env.TOLLGATE_PORT, DEFAULTS.port),
    opsPort: port('--ops-port', values['ops-port'] ?? env.TOLLGATE_OPS_PORT, DEFAULTS.opsPort),
    ...lifecycleFlags(values, env),
    redisUrl: redisUrl(values['redis-url'] ?? env.TOLLGATE_REDIS_URL),
    maxConnections: positiveInteger(
      '--max-connections',
      values['max-connections'] ?? env.TOLLGATE_MAX_CONNECTIONS,
      DEFAULT_HTTP_LIMITS.maxConnections,
    ),
    opsToken: (values['ops-token'] ?? env.TOLLGATE_OPS_TOKEN) || undefined,
    opsUrl: httpUrl('--ops-url', values['ops-url'] ?? env.TOLLGATE_OPS_URL),
    workers: workerCount(values.workers ?? env.TOLLGATE_WORKERS),
    warmup: warmupFlags(values, env),
    maxSemiSpaceMb: maxSemiSpace(values['max-semi-space'] ?? env.TOLLGATE_MAX_SEMI_SPACE, env),
    optimizeWasm: values['optimize-wasm'] ?? ['1', 'true'].includes(env.TOLLGATE_OPTIMIZE_WASM ?? ''),
  };
}

/** `--max-semi-space`'s default, MB (V8's own maximum is 16 on 64-bit); see docs/cli.md. */
export const DEFAULT_MAX_SEMI_SPACE_MB = 4;

/**
 * `--max-semi-space <MB>` (0: no cap). Unset, the default, unless the user gave V8's own
 * `--max-semi-space-size` (node's command line or NODE_OPTIONS): theirs then rules alone.
 */
function maxSemiSpace(raw: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (raw === undefined || raw === '')
    return userSetV8Flag('max-semi-space-size', process.execArgv, env.NODE_OPTIONS)
      ? undefined
      : DEFAULT_MAX_SEMI_SPACE_MB;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 0)
    throw new UsageError(`--max-semi-space must be a whole number of MB >= 0, got '${raw}'`);
  return mb === 0 ? undefined : mb;
}

/** `--warmup <s>` bounds the warm-up (0: none); `--warmup-connections <n>` per upstream origin (0: none). */
function warmupFlags(values: ServeValues, env: NodeJS.ProcessEnv): WarmupLimits | false {
  const budget = seconds('--warmup', values.warmup ?? env.TOLLGATE_WARMUP, DEFAULT_WARMUP.budgetMs / 1000);
  const raw = values['warmup-connections'] ?? env.TOLLGATE_WARMUP_CONNECTIONS;
  const connections = raw === undefined || raw === '' ? DEFAULT_WARMUP.connections : Number(raw);
  if (!Number.isInteger(connections) || connections < 0)
    throw new UsageError(`--warmup-connections must be a whole number >= 0, got '${raw}'`);
  return budget === 0 ? false : { ...DEFAULT_WARMUP, budgetMs: Math.round(budget * 1000), connections };
}

/** An http(s) URL without a trailing slash; empty means none. */
function httpUrl(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let ok: boolean;
  try {
    const u = new URL(raw);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) throw new UsageError(`${flag} must be an http or https URL, got '${raw}'`);
  return raw.replace(/\/+$/, '');
}

/** `--workers`: a whole number >= 1, or `auto` for the cores this process may use. */
export function workerCount(raw: string | undefined, cores = availableParallelism()): number {
  if (raw === 'auto') return cores;
  return positiveInteger('--workers', raw, 1);
}

export const RUN_OPTIONS = {
  ...SERVE_OPTIONS,
  file: { type: 'string', short: 'f', multiple: true },
  fleet: { type: 'string' },
  'no-watch': { type: 'boolean' },
} as const;

export function parseRunFlags(argv: string[], env: NodeJS.ProcessEnv): RunFlags {
  const { values } = parseArgs({ args: argv, allowPositionals: false, options: RUN_OPTIONS });
  return {
    ...serveFlags(values, env),
    files: requireFiles(values.file),
    fleet: values.fleet ?? env.TOLLGATE_FLEET,
    watch: !(values['no-watch'] ?? false),
  };
}

/** `validate` and `compile`; only `compile` takes `--allow-errors` (print and exit 0 despite errors). */
export function parseFileFlags(
  argv: string[],
  command: 'validate' | 'compile' = 'validate',
): { files: string[]; output: 'yaml' | 'json'; allowErrors: boolean } {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o', default: 'yaml' },
      ...(command === 'compile' ? { 'allow-errors': { type: 'boolean' } as const } : {}),
    },
  });
  if (values.output !== 'yaml' && values.output !== 'json')
    throw new UsageError('--output must be yaml or json');
  const allowErrors = (values as { 'allow-errors'?: boolean })['allow-errors'] ?? false;
  return { files: requireFiles(values.file), output: values.output, allowErrors };
}

function requireFiles(files: string[] | undefined): string[] {
  if (!files || files.length === 0) throw new UsageError('at least one -f <file|dir> is required');
  return files;
}

/** The flags every long-running command shares: shutdown grace period and log level. */
export function lifecycleFlags(
  values: { 'grace-period'?: string; 'log-level'?: string },
  env: NodeJS.ProcessEnv,
): { gracePeriodMs: number; logLevel: string | undefined } {
  return {
    gracePeriodMs:
      seconds(
        '--grace-period',
        values['grace-period'] ?? env.TOLLGATE_GRACE_PERIOD,
        DEFAULTS.gracePeriodSeconds,
      ) * 1000,
    logLevel: values['log-level'] ?? env.TOLLGATE_LOG_LEVEL,
  };
}

export function port(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag} must be a port number, got '${raw}'`);
  return n;
}

/** A whole number of at least 1. */
function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number >= 1, got '${raw}'`);
  return n;
}

/** A non-negative number, optionally suffixed `s` (`10` or `10s`). */
export function seconds(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number of seconds, got '${raw}'`);
  return n;
}

/** redis:// or rediss:// (TLS); empty means none. */
function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let ok: boolean;
  try {
    const u = new URL(raw);
    ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  // The value may hold a password: never echo it.
  if (!ok) throw new UsageError('--redis-url must be a redis:// or rediss:// URL with a host');
  return raw;
}

export interface DataplaneFlags extends ServeFlags {
  discovery: string;
  fleet: string;
  nodeId: string;
  /** CA that signed the controller's certificate: TLS on the stream when set. */
  discoveryCa: string | undefined;
  /** Projected ServiceAccount token, re-read on every (re)connect. */
  tokenFile: string | undefined;
}

export const DATAPLANE_OPTIONS = {
  ...SERVE_OPTIONS,
  discovery: { type: 'string' },
  fleet: { type: 'string' },
  'node-id': { type: 'string' },
  'discovery-ca': { type: 'string' },
  'token-file': { type: 'string' },
} as const;

/** `tollgate dataplane`: the proxy fed by the controller's discovery stream instead of files. */
export function parseDataplaneFlags(argv: string[], env: NodeJS.ProcessEnv): DataplaneFlags {
  const { values } = parseArgs({ args: argv, allowPositionals: false, options: DATAPLANE_OPTIONS });
  const discovery = values.discovery ?? env.TOLLGATE_DISCOVERY;
  if (!discovery) throw new UsageError('--discovery <host:port> (or TOLLGATE_DISCOVERY) is required');
  return {
    ...serveFlags(values, env),
    discovery,
    fleet: values.fleet ?? env.TOLLGATE_FLEET ?? 'default',
    nodeId: values['node-id'] ?? env.TOLLGATE_NODE_ID ?? env.HOSTNAME ?? 'tollgate-dataplane',
    discoveryCa: values['discovery-ca'] ?? env.TOLLGATE_DISCOVERY_CA,
    tokenFile: values['token-file'] ?? env.TOLLGATE_TOKEN_FILE,
  };
}
