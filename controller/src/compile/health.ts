import {
  ACTIVE_HEALTH_DEFAULTS,
  HEALTH_DEFAULTS,
  type CompiledActiveHealthCheck,
  type CompiledHealthCheck,
  type CompiledProvider,
} from '@tollgate/protocol';
import type { RegistrySpec } from '../api/v1alpha1';
import { duration, wholeNumber } from './common';
import type { StatusBuilder } from './status';

/** What the default probe path depends on besides the health settings. */
export interface ProbeContext {
  provider: CompiledProvider;
  /** The api-version azure-openai requests carry. */
  azureApiVersion: string;
}

/** Bounds of the active settings, in the CRD's words. */
export const ACTIVE_LIMITS = {
  intervalMs: { min: 100, max: 3_600_000, text: '100ms to 1h' },
  timeoutMs: { min: 10, max: 60_000, text: '10ms to 1m' },
  threshold: { min: 1, max: 100 },
} as const;

/**
 * The cheap GET each provider answers with the same credential as its inference calls: its model
 * list, relative to the registry's base URL (whose default already ends in the API version, e.g.
 * https://api.anthropic.com/v1). Bedrock's runtime and Vertex AI's prediction endpoints have no
 * such list, so a path must be given for them. `mock` is never probed; its path is nominal.
 */
export function defaultProbePath(ctx: ProbeContext): string | undefined {
  switch (ctx.provider) {
    case 'anthropic':
      return '/models?limit=1';
    case 'gemini':
      return '/models?pageSize=1';
    case 'azure-openai':
      return `/openai/models?api-version=${encodeURIComponent(ctx.azureApiVersion)}`;
    case 'bedrock':
    case 'vertex':
      return undefined;
    default:
      // openai, openai-compatible, groq, mistral, deepseek (and mock)
      return '/models';
  }
}

/**
 * A registry's health settings with defaults applied: passive checking is always on, so failover
 * works with no configuration; active probes only when `spec.healthCheck.active` is set.
 */
export function compileHealthCheck(
  status: StatusBuilder,
  spec: RegistrySpec['healthCheck'],
  ctx: ProbeContext,
): CompiledHealthCheck {
  const passive = spec?.passive;
  const defaults = HEALTH_DEFAULTS.passive;
  const consecutiveFailures =
    passive?.consecutiveFailures === undefined
      ? defaults.consecutiveFailures
      : wholeNumber(
          status,
          'spec.healthCheck.passive.consecutiveFailures',
          passive.consecutiveFailures,
          1,
          1000,
        );
  const ejectionMs =
    passive?.ejectionDuration === undefined
      ? defaults.ejectionMs
      : duration(status, 'spec.healthCheck.passive.ejectionDuration', passive.ejectionDuration, 1);
  const active = spec?.active === undefined ? undefined : compileActive(status, spec.active, ctx);
  return {
    passive: {
      consecutiveFailures: consecutiveFailures ?? defaults.consecutiveFailures,
      ejectionMs: ejectionMs ?? defaults.ejectionMs,
    },
    ...(active ? { active } : {}),
  };
}

type ActiveSpec = NonNullable<NonNullable<RegistrySpec['healthCheck']>['active']>;

/** The active settings, or undefined after rejecting the object (each bad field named). */
function compileActive(
  status: StatusBuilder,
  spec: ActiveSpec,
  ctx: ProbeContext,
): CompiledActiveHealthCheck | undefined {
  const field = 'spec.healthCheck.active';
  const d = ACTIVE_HEALTH_DEFAULTS;
  const L = ACTIVE_LIMITS;
  const intervalMs = bounded(status, `${field}.interval`, spec.interval, d.intervalMs, L.intervalMs);
  const timeoutMs = bounded(status, `${field}.timeout`, spec.timeout, d.timeoutMs, L.timeoutMs);
  const threshold = (name: 'unhealthyThreshold' | 'healthyThreshold') =>
    spec[name] === undefined
      ? d[name]
      : wholeNumber(status, `${field}.${name}`, spec[name], L.threshold.min, L.threshold.max);
  const unhealthyThreshold = threshold('unhealthyThreshold');
  const healthyThreshold = threshold('healthyThreshold');

  let path: string | undefined;
  if (spec.path !== undefined) {
    if (typeof spec.path !== 'string' || !/^\/[^\s#]*$/.test(spec.path)) {
      status.reject(
        'Invalid',
        `${field}.path: must start with '/' and hold no spaces or '#' (a path relative to baseUrl, e.g. /models)`,
      );
    } else if (spec.path.length > 1024) {
      status.reject('Invalid', `${field}.path: must be at most 1024 characters`);
    } else path = spec.path;
  } else {
    path = defaultProbePath(ctx);
    if (path === undefined)
      status.reject(
        'Invalid',
        `${field}.path: required for provider '${ctx.provider}', which has no model list to probe by default; ` +
          "set a path, relative to baseUrl, that answers a GET with the registry's credential with 2xx",
      );
  }
  if (
    intervalMs === undefined ||
    timeoutMs === undefined ||
    unhealthyThreshold === undefined ||
    healthyThreshold === undefined ||
    path === undefined
  )
    return undefined;
  return { intervalMs, timeoutMs, unhealthyThreshold, healthyThreshold, path };
}

/** An optional duration within limits; its default when unset. */
function bounded(
  status: StatusBuilder,
  field: string,
  value: string | undefined,
  fallbackMs: number,
  limits: { min: number; max: number; text: string },
): number | undefined {
  if (value === undefined) return fallbackMs;
  const ms = duration(status, field, value, 0);
  if (ms === undefined) return undefined;
  if (ms < limits.min || ms > limits.max) {
    status.reject('Invalid', `${field}: '${value}' must be within ${limits.text}`);
    return undefined;
  }
  return ms;
}
