import { Counter, Gauge, type Registry } from 'prom-client';
import { perRegistry } from '@tollgate/dataplane';

/** How standalone mode's loads of the manifests went: a partly applied one is never quiet. */
export interface ReloadMetrics {
  /** A load that left something out: a file with errors, an object not accepted, a reference not resolved. */
  failed(): void;
  /** A load that applied every object of every file, every reference resolved. */
  succeeded(at: Date): void;
}

export const reloadMetrics = perRegistry((registry: Registry): ReloadMetrics => {
  const failures = new Counter({
    name: 'tollgate_config_reload_failures_total',
    help: 'Loads of the manifests (the first one included) that left something out: a file with errors, an object compile did not accept, or a reference that did not resolve.',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'tollgate_config_last_reload_success_timestamp_seconds',
    help: 'When the manifests last loaded with every file valid, every object accepted and every reference resolved (Unix seconds); 0 if never.',
    registers: [registry],
  });
  return {
    failed: () => failures.inc(),
    succeeded: (at) => lastSuccess.set(at.getTime() / 1000),
  };
});
