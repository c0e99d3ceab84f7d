import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server } from 'node:http';
import { hostname } from 'node:os';
import { AgentClient } from './a2a/upstream';
import { ApprovalBroker } from './approvals/broker';
import { approvalsConfigured, webhookIn } from './approvals/config';
import { createApprovalMetrics } from './approvals/metrics';
import type { RedisApprovalStore } from './approvals/redis-store';
import { diffResources } from './config/diff';
import type { Snapshot } from './config/snapshot';
import { ConfigStore } from './config/store';
import { createOpsApp } from './ops/app';
import { McpUpstreams } from './mcp/upstream';
import type { PolicyEngine } from './policies/engine';
import { proxyPolicyEngine } from './policies/proxy-engine';
import { RateLimiter } from './policies/rate-limit/limiter';
import type { RedisCounterStore } from './policies/rate-limit/redis-store';
import { createProxy, type AdapterSet } from './proxy/app';
import { createProxyServer, DEFAULT_HTTP_LIMITS, type HttpLimits } from './proxy/http-server';
import { createAdapters } from './providers';
import { createLogger, type Logger } from './telemetry/logger';
import { createMetrics, type ProxyMetrics } from './telemetry/metrics';
import { createObservedHealth } from './telemetry/routing-metrics';
import type { HealthRegistry } from './routing/health';
import { Prober, createHttpProbe } from './routing/prober';
import type { WarmupLimits } from './warmup/run';
import { Warmer } from './warmup/warmer';

export interface DataplaneOptions {
  host?: string;
  /** Proxy port (default 8081); 0 picks a free one. */
  port?: number;
  /**
   * Ops port: health, metrics, config dump (default 9091). `false`: none (a `--workers` worker,
   * whose primary serves the ops port for every worker).
   */
  opsPort?: number | false;
  store?: ConfigStore;
  logger?: Logger;
  metrics?: ProxyMetrics;
  adapters?: AdapterSet;
  /**
   * Redis for rate-limit counters shared by every replica (`redis://[user:pass@]host:port[/db]`,
   * `rediss://` for TLS). Without it, counters are in-process: per replica.
   */
  redisUrl?: string;
  /** Longest a Redis command may take before a request falls back (default 250 ms). */
  redisCommandTimeoutMs?: number;
  /** The proxy port's connection cap and header/request timeouts (DEFAULT_HTTP_LIMITS otherwise). */
  http?: Partial<HttpLimits>;
  /** Bearer token the ops port's /approvals endpoints require; unset: no auth (never expose the port). */
  opsToken?: string;
  /** Where approvers reach this ops port, for approval webhooks (default http://{host}:{opsPort}). */
  opsUrl?: string;
  /**
   * Warm the request path up for each config before readiness (warmup/warmer.ts): limits, or
   * false / absent for none. The CLI passes DEFAULT_WARMUP unless `--warmup 0`.
   */
  warmup?: WarmupLimits | false;
  /**
   * A full GC (the CLI's, cli/src/full-gc.ts) for the first warm-up to run between its two rounds:
   * what starting left behind goes, and the second round optimises again what the collection made
   * V8 throw away (warmup/run.ts: warmUp).
   */
  collectGarbage?: () => void;
}

export interface Dataplane {
  store: ConfigStore;
  logger: Logger;
  metrics: ProxyMetrics;
  /** Upstream health, per process: outlives config changes; shown in /metrics and /config_dump. */
  health: HealthRegistry;
  /** Tool calls waiting for a person's approval (ops port /approvals); shared through Redis when set. */
  approvals: ApprovalBroker;
  port: number;
  /** 0 when started with `opsPort: false`. */
  opsPort: number;
  /** Resolves once no warm-up runs: the config in the store is warm (see DataplaneOptions.warmup). */
  warmedUp(): Promise<void>;
  /** Readiness drops first, in-flight requests get `graceMs` to finish, then sockets close. */
  close(graceMs?: number): Promise<void>;
}

export async function startDataplane(options: DataplaneOptions = {}): Promise<Dataplane> {
  const host = options.host ?? '127.0.0.1';
  const store = options.store ?? new ConfigStore();
  const logger = options.logger ?? createLogger();
  const metrics = options.metrics ?? createMetrics();
  const adapters = options.adapters ?? createAdapters();
  let accepting = true;

  const { redis, sharedApprovals } = await connectRedis(options, logger, metrics);
  const limiter = new RateLimiter({ redis, metrics, logger });
  const policies = proxyPolicyEngine(limiter, store, adapters, metrics, logger);

  store.onChange((s) => metrics.setConfig(s.serial, s.resources.size));
  logConfigChanges(store, logger);
  const health = createObservedHealth(metrics.registry);
  const { probes, prober, unwatchProbes } = startProbing(store, health, logger);
  let opsUrl = options.opsUrl;
  const approvals = new ApprovalBroker({
    logger,
    metrics: createApprovalMetrics(metrics.registry),
    ...(sharedApprovals ? { shared: sharedApprovals } : {}),
    webhookFor: webhookIn(store),
    opsUrl: () => opsUrl ?? '',
  });
  const unwatchApprovals = options.redisUrl ? () => undefined : warnPerReplicaApprovals(store, logger);
  const agents = new AgentClient();
  const mcpUpstreams = new McpUpstreams({ logger });
  const proxy = createProxy({
    store,
    adapters,
    metrics,
    logger,
    policies,
    health,
    agents,
    approvals,
    mcpUpstreams,
  });
  // Before readiness, each config's request path is warmed up (new routes and formats after it).
  const { warmup = false, collectGarbage } = options;
  const warmer = new Warmer({ store, adapters, logger, limits: warmup, collectGarbage });
  warmer.consider();
  const unwatchWarmup = store.onChange(() => warmer.consider());
  const ops = createOpsApp({
    store,
    metrics,
    accepting: () => accepting,
    waitingFor: () => warmer.waiting(),
    health,
    mcp: mcpUpstreams,
    approvals: { broker: approvals, ...(options.opsToken ? { token: options.opsToken } : {}) },
    logger,
  });

  const { proxyServer, opsServer, port, opsPort } = await listenAll(options, host, proxy, ops, logger);
  opsUrl ??= `http://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${opsPort}`;

  return {
    store,
    logger,
    metrics,
    health,
    approvals,
    port,
    opsPort,
    warmedUp: () => warmer.idle(),
    async close(graceMs = 10_000) {
      accepting = false;
      unwatchProbes();
      unwatchWarmup();
      await warmer.idle();
      unwatchApprovals();
      // Held tool calls are released at once (denied: "the proxy is shutting down"), within the grace.
      await approvals.close();
      prober.close();
      await closeServer(proxyServer, graceMs, proxy.shutdown);
      if (opsServer) await closeServer(opsServer, 0);
      await closeClients({ adapters, probes, agents, policies, mcpUpstreams });
      logger.flush();
    },
  };
}

/** What the proxy holds open towards others, closed after its servers: pools, probes, agents, counters, MCP servers. */
async function closeClients(c: {
  adapters: AdapterSet;
  probes: { close(): Promise<void> };
  agents: AgentClient;
  policies: PolicyEngine;
  mcpUpstreams: McpUpstreams;
}): Promise<void> {
  await Promise.all([...new Set(Object.values(c.adapters))].map((a) => a.close()));
  await c.probes.close();
  await c.agents.close();
  await c.policies.close();
  // Pooled MCP connections and stdio servers (child processes) end with the proxy.
  await c.mcpUpstreams.close();
}

/** Active health checks of the registries that ask for them, following each config change. */
function startProbing(store: ConfigStore, health: HealthRegistry, logger: Logger) {
  const probes = createHttpProbe();
  const prober = new Prober({ health, probe: probes.probe, logger });
  prober.sync(store.current);
  return { probes, prober, unwatchProbes: store.onChange((s) => prober.sync(s)) };
}

/** At debug level, what each config change added, changed and removed. */
function logConfigChanges(store: ConfigStore, logger: Logger): void {
  let applied = store.current;
  store.onChange((s) => {
    if (logger.isLevelEnabled('debug')) logger.debug(configChange(applied, s), 'config changed');
    applied = s;
  });
}

/** The proxy port, and the ops port unless `opsPort: false` (a worker's); logged once listening. */
async function listenAll(
  options: DataplaneOptions,
  host: string,
  proxy: { listener: Parameters<typeof createProxyServer>[0] },
  ops: RequestListener,
  logger: Logger,
) {
  const httpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
  const proxyServer = await listen(
    createProxyServer(proxy.listener, httpLimits, logger),
    host,
    options.port ?? 8081,
  );
  let opsServer: Server | undefined;
  if (options.opsPort !== false) {
    opsServer = createServer(ops);
    opsServer.keepAliveTimeout = DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs;
    await listen(opsServer, host, options.opsPort ?? 9091);
  }
  const port = (proxyServer.address() as AddressInfo).port;
  const opsPort = opsServer ? (opsServer.address() as AddressInfo).port : 0;
  // A worker says so: the primary's own line is the one that names the ops port.
  logger.info(
    { host, port, ...(opsServer ? { opsPort } : {}), maxConnections: httpLimits.maxConnections },
    opsServer ? 'dataplane listening' : 'worker listening',
  );
  return { proxyServer, opsServer, port, opsPort, httpLimits };
}

/** The Redis stores `redisUrl` asks for (ioredis is loaded only then): rate-limit counters, approvals. */
async function connectRedis(
  options: DataplaneOptions,
  logger: Logger,
  metrics: ProxyMetrics,
): Promise<{ redis?: RedisCounterStore; sharedApprovals?: RedisApprovalStore }> {
  if (!options.redisUrl) {
    logger.info('no Redis URL (--redis-url): rate limits are counted in-process, per replica');
    return {};
  }
  const { RedisCounterStore, redactRedisUrl } = await import('./policies/rate-limit/redis-store');
  const { RedisApprovalStore } = await import('./approvals/redis-store');
  const shown = redactRedisUrl(options.redisUrl);
  let reported: 'up' | 'down' | undefined;
  const redis = new RedisCounterStore({
    url: options.redisUrl,
    commandTimeoutMs: options.redisCommandTimeoutMs,
    onConnectionEvent: (event) => {
      if (event.type === 'ready') {
        reported = 'up';
        logger.info({ redis: shown }, 'Redis connected');
        return;
      }
      if (event.error) metrics.countRedisError('connection');
      // Once per outage: reconnect attempts repeat every few seconds.
      if (reported !== 'down') {
        reported = 'down';
        logger.warn({ redis: shown, err: event.error?.message }, 'Redis unreachable; reconnecting');
      }
    },
  });
  logger.info({ redis: shown }, 'rate limits are counted in Redis, shared by every replica');
  return { redis, sharedApprovals: new RedisApprovalStore({ url: options.redisUrl }) };
}

/** Every plugin's state, on the rate limiter's counters (in Redis when there is one). */
/**
 * Without Redis, approvals are per replica: said once, when a Gateway first configures them.
 * Returns the unsubscribe.
 */
function warnPerReplicaApprovals(store: ConfigStore, logger: Logger): () => void {
  let said = false;
  const check = (s: Snapshot) => {
    if (said || !approvalsConfigured(s)) return;
    said = true;
    logger.warn(
      'approvals are configured but there is no Redis (--redis-url): each replica lists only the tool calls it holds, and a decision must be POSTed to the ops port of that replica',
    );
  };
  check(store.current);
  return store.onChange(check);
}

/** A config swap for the debug log: counts, and the keys of at most 50 resources of each kind of change. */
function configChange(before: Snapshot, after: Snapshot) {
  const diff = diffResources(before.resources, after.resources);
  const first = (keys: string[]) => keys.slice(0, 50);
  return {
    serial: after.serial,
    resources: after.resources.size,
    counts: { added: diff.added.length, changed: diff.changed.length, removed: diff.removed.length },
    added: first(diff.added),
    changed: first(diff.changed),
    removed: first(diff.removed),
  };
}

function listen(server: Server, hostname: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => resolve(server));
  });
}

/**
 * How long the requests `onGraceEnd` ended get to write their last words (a stream's error event,
 * a 503) before the sockets are cut.
 */
const LAST_WORDS_MS = 250;

/**
 * Stops accepting, lets open requests finish for `graceMs`; then `onGraceEnd` ends what is left in
 * the callers' formats, and what still has not finished LAST_WORDS_MS later is cut.
 */
function closeServer(server: Server, graceMs: number, onGraceEnd?: () => void): Promise<void> {
  return new Promise((resolve) => {
    let cut: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      if (!onGraceEnd) return server.closeAllConnections();
      onGraceEnd();
      cut = setTimeout(() => server.closeAllConnections(), LAST_WORDS_MS);
      cut.unref();
    }, graceMs);
    // Keep-alive sockets that finish their request during the grace period are closed as they idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    timer.unref();
    sweep.unref();
    server.close(() => {
      clearTimeout(timer);
      clearTimeout(cut);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
