import { resourceKey, type CompiledApprovals } from '@tollgate/protocol';
import type { Snapshot } from '../config/snapshot';
import type { WebhookTarget } from './webhook';

/** A Gateway's approval settings (by resource name `{namespace}/{name}`) in the config of the moment. */
export function approvalsIn(store: {
  readonly current: Snapshot;
}): (gateway: string) => CompiledApprovals | undefined {
  return (gateway) => {
    const r = store.current.resources.get(resourceKey({ kind: 'Gateway', name: gateway }));
    return r?.kind === 'Gateway' ? r.body.approvals : undefined;
  };
}

/** The webhook a broker tells, per Gateway, from the config of the moment. */
export function webhookIn(store: {
  readonly current: Snapshot;
}): (gateway: string) => WebhookTarget | undefined {
  const approvals = approvalsIn(store);
  return (gateway) => approvals(gateway)?.webhook;
}

/** Whether any Gateway of the snapshot sets spec.mcp.approvals. */
export function approvalsConfigured(snapshot: Snapshot): boolean {
  for (const r of snapshot.resources.values()) if (r.kind === 'Gateway' && r.body.approvals) return true;
  return false;
}
