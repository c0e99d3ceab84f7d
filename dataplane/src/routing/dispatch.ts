import type { RuntimeConsumer, RuntimeRoute, RuntimeTarget } from '../config/snapshot';
import { CallAbort } from '../providers/abort';
import { UpstreamError, type UpstreamResponse } from '../providers/types';
import { GatewayError, errors } from '../errors/errors';
import { choose, type Candidate } from './balancer';
import { healthKey, passiveSettings, type HealthRegistry } from './health';
import { matchesAll, type MatchInput } from './match';
import type { RetryOn } from '@tollgate/protocol';
import type { Logger } from '../telemetry/logger';
import { discard, link, raceAbort, sleep, tracked } from './abortable';
import { delayBeforeRetry, failureOfError, failureOfStatus, parseRetryAfter, verdictOfStatus } from './retry';

export interface Attempt {
  target: RuntimeTarget;
  /** 1-based. */
  attempt: number;
}

export interface DispatchResult<R extends UpstreamResponse = UpstreamResponse> {
  /**
   * The answering try's result, as `send` returned it (what was sent with it included); its body
   * is wrapped so the upstream's in-flight count drops when the body ends.
   */
  response: R;
  target: RuntimeTarget;
  /** Tries made, this one included. */
  attempts: number;
}

/** One request's side of dispatch; its `headers` and `body` are what targets' `match` conditions read. */
export interface DispatchContext extends MatchInput {
  clientIp: string | undefined;
  /** In [0, 1). */
  random: () => number;
  /** The whole request: the client leaving or the gateway's deadline. Never retried past. */
  signal: CallAbort;
  /** When the request's time budget ends, on `health.now()`'s clock (performance.now by default). */
  deadlineAt: number;
  /**
   * The requested model: needed by catch-all routes (health is kept per upstream model, and a
   * target whose registry does not serve the model is skipped). Default: the route's model.
   */
  model?: string;
  /** Set only when debug logging is on: dispatch then logs the target it chose and why it retries. */
  debug?: { logger: Logger; requestId: string };
}

type Group = { cursor: { next: number }; members: Candidate[] };

/** One try: its response, and whatever else the caller needs to read it (what was sent). */
export type Send<R extends UpstreamResponse = UpstreamResponse> = (
  a: Attempt,
  signal: CallAbort,
) => Promise<R>;

/** The reason a try's own signal is aborted by its per-try timer. */
const PER_TRY_TIMEOUT = Symbol('perTryTimeout');

type Outcome<R extends UpstreamResponse = UpstreamResponse> =
  | {
      kind: 'response';
      response: R;
      candidate: Candidate;
      /** Set for a 429 or 5xx. */
      failure: RetryOn | undefined;
      retryAfterMs: number | undefined;
      /** Ends the try (its body included). */
      cancel: () => void;
    }
  | { kind: 'error'; error: unknown; candidate: Candidate; failure: RetryOn | undefined };

/**
 * Sends one request with the consumer's retry policy: within the lowest priority group that has a
 * healthy target, by the route's strategy; after a retryable failure, to an untried healthy target
 * of the same group, then the next group, then (attempts left) round again with backoff. When every
 * target is ejected, the least recently ejected one is tried anyway (panic mode). Targets whose
 * `match` conditions fail are left out first, once (503 `no_eligible_target` when none is left);
 * a route without `fallback` (a pinned or pool view) keeps to its first group that has a target.
 *
 * Returns at the first response headers worth relaying; a retried response's body is discarded.
 * When no retry is left the last response is returned as it is (the client sees the upstream's own
 * error) and the last thrown error is re-thrown. A GatewayError from `send` is never retried, nor is
 * anything after the request's own signal fired.
 */
export async function dispatch<R extends UpstreamResponse = UpstreamResponse>(
  route: RuntimeRoute,
  consumer: RuntimeConsumer,
  ctx: DispatchContext,
  send: Send<R>,
  health: HealthRegistry,
): Promise<DispatchResult<R>> {
  const policy = consumer.config.retry;
  const requested = ctx.model ?? route.model;
  const { groups, eligible } = candidatesOf(route, requested, health, ctx);
  if (groups.length === 0) {
    if (route.targets.length === 0)
      throw errors.noUpstream(requested, { consumer: consumer.config.slug, unresolved: route.unresolved });
    throw eligible ? errors.unknownModel(requested, consumer.modelIds) : noEligibleTarget(requested);
  }
  const tried = new Set<Candidate>();
  let last: Outcome<R> | undefined;

  for (let attempt = 1; ; attempt++) {
    const next = pick(route, groups, tried, health, ctx);
    if (last) {
      const wait = delayBeforeRetry({
        sameTarget: next === last.candidate,
        retry: attempt - 1,
        baseMs: policy.backoffMs,
        retryAfterMs: last.kind === 'response' ? last.retryAfterMs : undefined,
        remainingMs: ctx.deadlineAt - health.now(),
        random: ctx.random,
      });
      if (wait === undefined || (wait > 0 && !(await sleep(wait, ctx.signal)))) {
        ctx.debug?.logger.debug(
          {
            requestId: ctx.debug.requestId,
            attempt,
            failed: last.candidate.target.registryName,
            why: describeFailure(last),
          },
          'not retrying: no time left before the deadline',
        );
        return finish(last, attempt - 1);
      }
      if (last.kind === 'response') discard(last.response, last.cancel);
      health.listener.retried?.(last.candidate.target.registryName, last.failure ?? 'unknown');
      ctx.debug?.logger.debug(
        {
          requestId: ctx.debug.requestId,
          attempt,
          failed: last.candidate.target.registryName,
          why: describeFailure(last),
          next: next.target.registryName,
          waitMs: wait,
        },
        next === last.candidate ? 'retrying the same target' : 'falling back to the next target',
      );
    } else if (ctx.debug) {
      logRouteChosen(ctx.debug, route, requested, next, groups);
    }
    tried.add(next);
    const outcome = await tryOnce(next, attempt, policy.perTryTimeoutMs, ctx, send, health);
    const kind = outcome.failure;
    const retryable =
      kind !== undefined && policy.retryOn.includes(kind) && attempt < policy.attempts && !ctx.signal.aborted;
    if (!retryable) {
      if (kind !== undefined && ctx.debug)
        logNotRetrying(ctx.debug, ctx.signal, policy, kind, outcome, attempt);
      return finish(outcome, attempt);
    }
    last = outcome;
  }
}

type Debug = NonNullable<DispatchContext['debug']>;

function logRouteChosen(
  debug: Debug,
  route: RuntimeRoute,
  model: string,
  next: Candidate,
  groups: Group[],
): void {
  debug.logger.debug(
    {
      requestId: debug.requestId,
      route: route.model,
      model,
      strategy: route.strategy,
      target: next.target.registryName,
      candidates: groups.reduce((n, g) => n + g.members.length, 0),
    },
    'route chosen',
  );
}

function logNotRetrying<R extends UpstreamResponse>(
  debug: Debug,
  signal: CallAbort,
  policy: RuntimeConsumer['config']['retry'],
  kind: RetryOn,
  outcome: Outcome<R>,
  attempt: number,
): void {
  const reason = signal.aborted
    ? 'the request ended'
    : policy.retryOn.includes(kind)
      ? `no attempt left (${policy.attempts})`
      : `${kind} is not in retry.retryOn`;
  debug.logger.debug(
    {
      requestId: debug.requestId,
      attempt,
      failed: outcome.candidate.target.registryName,
      why: describeFailure(outcome),
      reason,
    },
    'not retrying',
  );
}

/** What went wrong with a try, for a debug line: the kind, and the status or error message. */
function describeFailure<R extends UpstreamResponse>(o: Outcome<R>): string {
  const detail =
    o.kind === 'response'
      ? `HTTP ${o.response.status}`
      : o.error instanceof Error
        ? o.error.message
        : 'error';
  return `${o.failure ?? 'failure'} (${detail})`;
}

function finish<R extends UpstreamResponse>(outcome: Outcome<R>, attempts: number): DispatchResult<R> {
  if (outcome.kind === 'error') throw outcome.error;
  return { response: outcome.response, target: outcome.candidate.target, attempts };
}

/** One try: the verdict goes into health, the latency into the balancer's average. */
async function tryOnce<R extends UpstreamResponse>(
  c: Candidate,
  attempt: number,
  perTryTimeoutMs: number | undefined,
  ctx: DispatchContext,
  send: Send<R>,
  health: HealthRegistry,
): Promise<Outcome<R>> {
  const settings = passiveSettings(c.target.registry);
  const trial = health.begin(c.state);
  const child = new CallAbort();
  const unlink = link(ctx.signal, child);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    health.release(c.state);
    child.off('abort', release);
  };
  const timer =
    perTryTimeoutMs === undefined
      ? undefined
      : setTimeout(() => child.abort(PER_TRY_TIMEOUT), perTryTimeoutMs);
  const t0 = health.now();
  let response: R;
  try {
    response = await raceAbort(send({ target: c.target, attempt }, child), child);
  } catch (err) {
    clearTimeout(timer);
    unlink();
    release();
    if (err instanceof GatewayError || ctx.signal.aborted) {
      health.record(c.state, 'neutral', trial, settings);
      throw err;
    }
    const error =
      child.reason === PER_TRY_TIMEOUT
        ? new UpstreamError('timeout', `no response headers within ${perTryTimeoutMs}ms (perTryTimeout)`)
        : err;
    // A timeout is the slowest answer of all: it counts in the latency average too.
    const timedOut = error instanceof UpstreamError && error.kind === 'timeout';
    if (timedOut) health.observeLatency(c.state, health.now() - t0);
    health.record(c.state, error instanceof UpstreamError ? 'failure' : 'neutral', trial, settings);
    return { kind: 'error', error, candidate: c, failure: failureOfError(error) };
  }
  clearTimeout(timer);
  const verdict = verdictOfStatus(response.status);
  if (verdict === 'success') health.observeLatency(c.state, health.now() - t0);
  health.record(c.state, verdict, trial, settings);
  // The request's abort still reaches this try's body; a finished body unlinks, or listeners pile up.
  child.once('abort', release);
  const body = tracked(response.body, (err) => {
    release();
    unlink();
    // An upstream that dies mid-body failed, though too late to retry.
    if (err !== undefined && !child.aborted) health.record(c.state, 'failure', false, settings);
  });
  const failure = failureOfStatus(response.status);
  // The try's own response object, its body swapped for the tracked one (a spread copy of it cost
  // ~0.5 µs a request: V8 copies a spread followed by more properties on a slow path).
  response.body = body;
  return {
    kind: 'response',
    response,
    candidate: c,
    failure,
    retryAfterMs: failure ? parseRetryAfter(response.headers['retry-after']) : undefined,
    cancel: () => child.abort(),
  };
}

/**
 * The route's targets that can serve `requested` and whose `match` conditions hold, by priority
 * group, with their health state: the conditions are evaluated here, once per request. A route
 * without fallback keeps only its first group that has one. `eligible`: some target's conditions
 * held (tells "no target admits this request" from "no target serves this model").
 */
function candidatesOf(
  route: RuntimeRoute,
  requested: string,
  health: HealthRegistry,
  input: MatchInput,
): { groups: Group[]; eligible: boolean } {
  const groups: Group[] = [];
  let eligible = false;
  for (const g of route.groups) {
    const members: Candidate[] = [];
    for (const target of g.targets) {
      if (target.match !== undefined && !matchesAll(target.match, input)) continue;
      eligible = true;
      const name = target.model ?? requested;
      const upstream = target.registry.aliases[name] ?? name;
      if (target.served && !target.served.has(upstream)) continue;
      // No key of its own: a catch-all target sending the caller's model, whose entry may be evicted.
      const state =
        target.key === undefined
          ? health.get(healthKey(target.registryName, upstream), target.registryName, upstream, true)
          : health.get(target.key, target.registryName, upstream);
      members.push({ target, state });
    }
    if (members.length === 0) continue;
    groups.push({ cursor: g.cursor, members });
    if (!route.fallback) break;
  }
  return { groups, eligible };
}

/** 503: the route has targets, but the conditions of none of them admit this request. */
function noEligibleTarget(model: string): GatewayError {
  return new GatewayError(
    503,
    'no_eligible_target',
    `No target of model '${model}' is eligible for this request: no target's match conditions hold.`,
  );
}

/**
 * An untried available target of the lowest group that has one; else, when every available one
 * was tried, a new round over them; else (nothing available) panic mode: the least recently
 * ejected, untried first.
 */
function pick(
  route: RuntimeRoute,
  groups: readonly Group[],
  tried: ReadonlySet<Candidate>,
  health: HealthRegistry,
  ctx: DispatchContext,
): Candidate {
  // Untried available targets first, then (every available one tried) a new round over them.
  for (let round = 0; round < 2; round++) {
    const fresh = round === 0;
    for (const g of groups) {
      // The common case, one member that can take the try, needs no filtered copy.
      const only = g.members.length === 1 ? g.members[0] : undefined;
      if (only) {
        if ((!fresh || !tried.has(only)) && health.available(only.state)) return only;
        continue;
      }
      const ok = g.members.filter((c) => (!fresh || !tried.has(c)) && health.available(c.state));
      if (ok.length > 0)
        return choose(route.strategy, ok, { random: ctx.random, clientIp: ctx.clientIp, cursor: g.cursor });
    }
  }
  const all = groups.flatMap((g) => g.members);
  const untried = all.filter((c) => !tried.has(c));
  let best: Candidate | undefined;
  for (const c of untried.length > 0 ? untried : all) {
    if (!best || c.state.ejectedAt < best.state.ejectedAt) best = c;
  }
  return best as Candidate;
}
