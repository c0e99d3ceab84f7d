/** Upstream health checking of a compiled Registry (see types.ts). */

export interface CompiledHealthCheck {
  /** Failures in a row (connect error, timeout, 5xx; never 4xx) that eject the upstream. */
  passive: { consecutiveFailures: number; ejectionMs: number };
  /** Periodic probes of the registry (opt-in); absent: none. */
  active?: CompiledActiveHealthCheck;
}

/**
 * Each proxy sends `GET {baseUrl}{path}` with the registry's own credential, `intervalMs` (±10%)
 * after the previous probe ended. A 2xx answer within `timeoutMs` is a success; any other status,
 * a connect error or the timeout is a failure. `unhealthyThreshold` failures in a row take the
 * whole registry (every upstream model) out of routing, as a passive ejection does;
 * `healthyThreshold` successes in a row bring it back. `mock` registries are never probed.
 */
export interface CompiledActiveHealthCheck {
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  /** Relative to baseUrl, starting with `/`, query string included; compile fills the provider's default. */
  path: string;
}

export const HEALTH_DEFAULTS: CompiledHealthCheck = {
  passive: { consecutiveFailures: 5, ejectionMs: 30_000 },
};

/** Active probe settings when a Registry sets `healthCheck.active` without them. */
export const ACTIVE_HEALTH_DEFAULTS: Omit<CompiledActiveHealthCheck, 'path'> = {
  intervalMs: 10_000,
  timeoutMs: 2_000,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
};
