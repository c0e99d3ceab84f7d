import type { Condition } from '../api/v1alpha1';
import type { ObjectStatus } from '../compile';
import { resourceKey } from '@tollgate/protocol';

/**
 * `Programmed` means the proxies of an object's fleet acknowledged the config that contains it.
 * Each controller replica knows only the proxies streaming from it, so each one sums them up in a
 * ReplicaReport; the leader merges every replica's report into the condition. Reports are small:
 * per fleet, a count of proxies and the resources some of them still lack.
 */
export interface ReplicaReport {
  replica: string;
  /** The replica's config version (hash of what it serves), to tell stale reports apart. */
  systemVersion: string;
  fleets: Record<string, { proxies: number; lagging: string[]; truncated?: boolean }>;
  rejected: { key: string; version: string; node: string; message: string }[];
}

/** How many lagging keys a report lists before it only says "truncated". */
export const MAX_LAGGING = 200;

interface Proxy {
  fleet: string;
  node: string;
  /** resource key (`Kind/ns/name`) → acknowledged version */
  acked: Map<string, string>;
}

/** The ACK/NACK state of the proxies connected to this replica. */
export class AckTracker {
  private readonly proxies = new Map<number, Proxy>();
  private readonly rejected = new Map<string, ReplicaReport['rejected'][number]>();

  open(id: number, fleet: string, node: string): void {
    this.proxies.set(id, { fleet, node, acked: new Map() });
  }

  close(id: number): void {
    const p = this.proxies.get(id);
    this.proxies.delete(id);
    if (p) for (const [k, r] of this.rejected) if (r.node === p.node) this.rejected.delete(k);
  }

  /** Replaces what a proxy holds of one kind. */
  ack(id: number, kind: string, acked: ReadonlyMap<string, string>): void {
    const p = this.proxies.get(id);
    if (!p) return;
    for (const key of [...p.acked.keys()]) if (key.startsWith(`${kind}/`)) p.acked.delete(key);
    for (const [name, version] of acked) p.acked.set(`${kind}/${name}`, version);
  }

  reject(id: number, key: string, version: string, message: string): void {
    const p = this.proxies.get(id);
    if (p) this.rejected.set(`${p.node}|${key}`, { key, version, node: p.node, message });
  }

  get size(): number {
    return this.proxies.size;
  }

  /** Sums up this replica's proxies against the fleet views it serves (fleet → key → version). */
  report(
    replica: string,
    systemVersion: string,
    views: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): ReplicaReport {
    const fleets: ReplicaReport['fleets'] = {};
    for (const p of this.proxies.values()) {
      const f = (fleets[p.fleet] ??= { proxies: 0, lagging: [] });
      f.proxies++;
      const lagging = new Set(f.lagging);
      for (const [key, version] of views.get(p.fleet) ?? []) {
        if (p.acked.get(key) !== version) lagging.add(key);
      }
      f.lagging = [...lagging].sort();
    }
    for (const f of Object.values(fleets)) {
      if (f.lagging.length > MAX_LAGGING) {
        f.lagging = f.lagging.slice(0, MAX_LAGGING);
        f.truncated = true;
      }
    }
    const rejected = [...this.rejected.values()].filter((r) =>
      [...views.values()].some((v) => v.get(r.key) === r.version),
    );
    return { replica, systemVersion, fleets, rejected };
  }
}

/**
 * The `Programmed` condition of each compiled object, from every replica's report.
 * `keys` maps an object (`Kind/ns/name`) to its resource key and the fleets it is served to;
 * objects compile did not emit are absent from it.
 */
export function programmedConditions(
  statuses: readonly ObjectStatus[],
  served: ReadonlyMap<string, { fleets: string[]; version: string }>,
  reports: readonly ReplicaReport[],
  systemVersion: string,
): Map<string, Condition> {
  const out = new Map<string, Condition>();
  for (const s of statuses) {
    const key = resourceKey(s);
    const cond = (status: Condition['status'], reason: string, message: string): void => {
      out.set(key, { type: 'Programmed', status, reason, message, observedGeneration: s.generation });
    };
    const accepted = s.conditions.find((c) => c.type === 'Accepted')?.status === 'True';
    const entry = served.get(key);
    if (!entry) {
      cond(
        'False',
        accepted ? 'NotServed' : 'Invalid',
        accepted
          ? `no proxy fleet needs this ${s.kind}` +
              (s.kind === 'Registry' ? ' (no Consumer routes to it)' : '')
          : `the ${s.kind} is not accepted, so no proxy receives it`,
      );
      continue;
    }
    const rejection = reports
      .flatMap((r) => r.rejected)
      .find((r) => r.key === key && r.version === entry.version);
    if (rejection) {
      cond('False', 'Rejected', `proxy ${rejection.node} rejected it: ${rejection.message}`);
      continue;
    }
    let proxies = 0;
    let behind = 0;
    for (const r of reports) {
      for (const fleet of entry.fleets) {
        const f = r.fleets[fleet];
        if (!f || f.proxies === 0) continue;
        proxies += f.proxies;
        if (r.systemVersion !== systemVersion || f.truncated || f.lagging.includes(key)) behind++;
      }
    }
    const fleetNames = entry.fleets.map((f) => `'${f}'`).join(', ');
    if (s.servedGeneration !== undefined) {
      // Not this generation: the last accepted one, in its place until this one is fixed.
      const state =
        proxies === 0
          ? `no proxy of fleet ${fleetNames} is connected`
          : behind > 0
            ? `proxies of fleet ${fleetNames} have not acknowledged it yet`
            : `acknowledged by ${proxies} prox${proxies === 1 ? 'y' : 'ies'} of fleet ${fleetNames}`;
      cond(
        'False',
        'PreviousGeneration',
        `generation ${s.generation} is not accepted; generation ${s.servedGeneration} is served in its place (${state})`,
      );
    } else if (proxies === 0) cond('False', 'NoProxies', `no proxy of fleet ${fleetNames} is connected`);
    else if (behind > 0)
      cond('False', 'Pending', `proxies of fleet ${fleetNames} have not acknowledged it yet`);
    else
      cond(
        'True',
        'Programmed',
        `acknowledged by ${proxies} prox${proxies === 1 ? 'y' : 'ies'} of fleet ${fleetNames}`,
      );
  }
  return out;
}
