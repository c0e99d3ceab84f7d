import { HEALTH_DEFAULTS, type CompiledHealthCheck } from '../../../protocol/src';
import type { RegistrySpec } from '../api/v1alpha1';
import { duration, wholeNumber } from './common';
import type { StatusBuilder } from './status';

/**
 * A registry's health settings with defaults applied: passive checking is always on, so failover
 * works with no configuration. Active probes are modelled by the CRD but not implemented: refused
 * rather than silently ignored.
 */
export function compileHealthCheck(
  status: StatusBuilder,
  spec: RegistrySpec['healthCheck'],
): CompiledHealthCheck {
  if (spec?.active !== undefined)
    status.reject('Unsupported', 'spec.healthCheck.active is not supported yet');
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
  return {
    passive: {
      consecutiveFailures: consecutiveFailures ?? defaults.consecutiveFailures,
      ejectionMs: ejectionMs ?? defaults.ejectionMs,
    },
  };
}
