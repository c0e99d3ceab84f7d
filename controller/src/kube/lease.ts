import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';

export interface LeaseTiming {
  /** How long a holder's claim lasts without renewal. */
  durationSeconds: number;
  /** How often the holder renews and a follower retries. */
  renewMs: number;
}

export type LeaseAction = 'create' | 'renew' | 'takeover' | 'follow';

/** What to do with the lease, from what it says now. Pure: the whole election in one table. */
export function decideLease(lease: V1Lease | undefined, identity: string, nowMs: number): LeaseAction {
  if (!lease) return 'create';
  const holder = lease.spec?.holderIdentity;
  if (holder === identity) return 'renew';
  const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
  const duration = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  if (!holder || renewed + duration < nowMs) return 'takeover';
  return 'follow';
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: optimistic updates
 * (resourceVersion), takeover only after the holder's lease expired, release on shutdown so a
 * successor takes over at once.
 */
export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly api: CoordinationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly identity: string,
    private readonly timing: LeaseTiming,
    private readonly onChange: (leading: boolean) => void,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.set(false);
    try {
      const lease = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      lease.spec = { ...micro(lease.spec), holderIdentity: undefined, leaseDurationSeconds: 1 };
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease });
    } catch (err) {
      this.onError(err);
    }
  }

  private async tick(): Promise<void> {
    try {
      const lease = await this.read();
      const now = new Date();
      const action = decideLease(lease, this.identity, now.getTime());
      const spec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.timing.durationSeconds,
        renewTime: new V1MicroTime(now),
      };
      if (action === 'create') {
        await this.api.createNamespacedLease({
          namespace: this.namespace,
          body: {
            metadata: { name: this.name, namespace: this.namespace },
            spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
          },
        });
        this.set(true);
      } else if (lease && action !== 'follow') {
        const takeover = action === 'takeover';
        lease.spec = {
          ...micro(lease.spec),
          ...spec,
          ...(takeover
            ? { acquireTime: new V1MicroTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 }
            : {}),
        };
        await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body: lease });
        this.set(true);
      } else {
        this.set(false);
      }
    } catch (err) {
      // A conflict means another replica won the race; any other failure: not sure we lead, so don't.
      this.set(false);
      if ((err as { code?: number }).code !== 409) this.onError(err);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.timing.renewMs);
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.onChange(leading);
  }
}

/**
 * Lease times are MicroTime (six fractional digits); client-node reads them back as plain Dates,
 * which it would write with milliseconds — a format the API server refuses.
 */
function micro(spec: V1Lease['spec']): V1Lease['spec'] {
  if (!spec) return spec;
  const { acquireTime, renewTime } = spec;
  return {
    ...spec,
    ...(acquireTime ? { acquireTime: new V1MicroTime(acquireTime) } : {}),
    ...(renewTime ? { renewTime: new V1MicroTime(renewTime) } : {}),
  };
}
