import {
  DECIDED_RETENTION_MS,
  type ApprovalRecord,
  type ApprovalStore,
  type DecideOutcome,
  type Decision,
} from './types';

/**
 * Approval requests in this process: seen and decided through this replica only. Decided requests
 * stay for DECIDED_RETENTION_MS (GET shows them, a second decision is refused) and are then forgotten.
 */
export class LocalApprovalStore implements ApprovalStore {
  readonly scope = 'local';
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly listeners: ((id: string, record: ApprovalRecord) => void)[] = [];

  async create(record: ApprovalRecord): Promise<void> {
    this.prune(record.createdAt);
    this.records.set(record.id, { ...record });
  }

  async get(id: string, now: number): Promise<ApprovalRecord | undefined> {
    this.prune(now);
    const r = this.records.get(id);
    return r ? { ...r } : undefined;
  }

  async pending(now: number): Promise<ApprovalRecord[]> {
    this.prune(now);
    return [...this.records.values()]
      .filter((r) => r.state === 'pending' && r.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => ({ ...r }));
  }

  async decide(id: string, decision: Decision): Promise<DecideOutcome> {
    return decideRecord(this.records.get(id), decision, (record) => {
      this.records.set(id, record);
      for (const l of this.listeners) l(id, { ...record });
    });
  }

  onDecision(listener: (id: string, record: ApprovalRecord) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  /** True when this store holds `id` (pending or decided). */
  has(id: string): boolean {
    return this.records.has(id);
  }

  private prune(now: number): void {
    for (const [id, r] of this.records) {
      if (now > r.expiresAt + DECIDED_RETENTION_MS) this.records.delete(id);
    }
  }
}

/**
 * The decision rule both stores follow: a pending request past its expiry is gone (its holder
 * times it out); a timed-out one is gone for a person too (404, not 409); the first decision wins.
 */
export function decideRecord(
  current: ApprovalRecord | undefined,
  decision: Decision,
  save: (record: ApprovalRecord) => void,
): DecideOutcome {
  if (!current) return { outcome: 'unknown' };
  const person = decision.state === 'approved' || decision.state === 'denied';
  if (current.state === 'timed_out' && person) return { outcome: 'unknown' };
  if (current.state !== 'pending') return { outcome: 'already', record: { ...current } };
  if (person && decision.at >= current.expiresAt) return { outcome: 'unknown' };
  const record: ApprovalRecord = {
    ...current,
    state: decision.state,
    decidedAt: decision.at,
    ...(decision.by !== undefined ? { by: decision.by } : {}),
    ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
  };
  save(record);
  return { outcome: 'decided', record: { ...record } };
}
