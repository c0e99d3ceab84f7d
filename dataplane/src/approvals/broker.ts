import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LocalApprovalStore } from './local-store';
import type { RedisApprovalStore } from './redis-store';
import { summariseArguments } from './summary';
import type {
  ApprovalInput,
  ApprovalRecord,
  ApprovalResult,
  ApprovalStore,
  DecideOutcome,
  Decision,
} from './types';
import { notifyApprovers, type NotifyOptions } from './notify';

/** Longest a call may wait for a decision. */
export const MAX_APPROVAL_TIMEOUT_MS = 24 * 3_600_000;
/** What a caller waits when nothing else is configured. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60_000;

export interface ApprovalBrokerOptions extends NotifyOptions {
  /** Redis, shared by every replica; without it requests and decisions stay on this replica. */
  shared?: ApprovalStore & Pick<RedisApprovalStore, 'onReconnect' | 'ready'>;
  /** This replica's name in records and logs (default: host name and pid). */
  replica?: string;
  clock?: () => number;
}

/** What a person sends to decide. */
export interface DecisionInput {
  decision: 'approve' | 'deny';
  by?: string;
  reason?: string;
}

/** Redis failed while the request could only be answered there. */
export class ApprovalsUnavailable extends Error {}

interface Held {
  record: ApprovalRecord;
  store: ApprovalStore;
  resolve(result: ApprovalResult): void;
  timer: NodeJS.Timeout;
  unlisten?: () => void;
}

/**
 * Holds tool calls until a person approves or denies them, or their timeout passes (= denied).
 * Requests live in Redis when configured (every replica lists them; a decision through any replica
 * is published and releases the call where it is held), else in this process. When Redis fails,
 * a new request is kept on this replica only (logged, counted): the call is never refused or held
 * longer because of Redis. Every decision is logged at info by the replica that holds the call.
 */
export class ApprovalBroker {
  private readonly local = new LocalApprovalStore();
  private readonly held = new Map<string, Held>();
  private readonly replica: string;
  private readonly clock: () => number;
  private closed = false;

  constructor(private readonly options: ApprovalBrokerOptions) {
    this.replica = options.replica ?? `${hostname()}/${process.pid}`;
    this.clock = options.clock ?? Date.now;
    const release = (id: string, record: ApprovalRecord) => this.release(id, record);
    this.local.onDecision(release);
    options.shared?.onDecision(release);
    options.shared?.onReconnect(() => void this.resync());
  }

  /** 'redis' when requests are shared by every replica, 'local' when per replica. */
  get scope(): 'redis' | 'local' {
    return this.options.shared ? 'redis' : 'local';
  }

  /** Redis configured and connected: new requests are shared. */
  get sharedReady(): boolean {
    return this.options.shared?.ready ?? false;
  }

  /** Calls held by this replica now. */
  get holding(): number {
    return this.held.size;
  }

  /**
   * Holds the call until it is decided. Resolves, never rejects: denied, timed out (`timedOut`,
   * reason "timed out after …"), or cancelled when `signal` aborts or the proxy shuts down.
   */
  async request(input: ApprovalInput): Promise<ApprovalResult> {
    return (await this.hold(input)).result;
  }

  /**
   * `request`, in two steps: the request is stored (its `id` known, and in Redis seen by every
   * replica) when this resolves; `result` settles with the decision. No `id` when the call was
   * refused at once (shutting down, cancelled).
   */
  async hold(input: ApprovalInput): Promise<{ id?: string; result: Promise<ApprovalResult> }> {
    if (
      !Number.isFinite(input.timeoutMs) ||
      input.timeoutMs <= 0 ||
      input.timeoutMs > MAX_APPROVAL_TIMEOUT_MS
    )
      throw new RangeError(`timeoutMs must be more than 0 and at most ${MAX_APPROVAL_TIMEOUT_MS}`);
    const now = this.clock();
    const refused = (reason: string) => ({
      result: Promise.resolve({ approved: false, reason, at: new Date(now) }),
    });
    if (this.closed) return refused('the proxy is shutting down');
    if (input.signal?.aborted) return refused('cancelled by the caller');
    const record: ApprovalRecord = {
      id: `apr_${randomBytes(18).toString('base64url')}`,
      gateway: input.gateway,
      consumer: input.consumer,
      server: input.server,
      tool: input.tool,
      arguments: summariseArguments(input.arguments),
      requestId: input.requestId,
      createdAt: now,
      expiresAt: now + input.timeoutMs,
      owner: this.replica,
      state: 'pending',
      ...(input.via ? { via: input.via } : {}),
    };
    const store = await this.store(record);
    const { logger, metrics } = this.options;
    const result = new Promise<ApprovalResult>((resolve) => {
      const held: Held = {
        record,
        store,
        resolve,
        timer: setTimeout(
          () =>
            void this.finish(record.id, {
              state: 'timed_out',
              reason: `timed out after ${words(input.timeoutMs)}`,
              at: this.clock(),
            }),
          input.timeoutMs,
        ),
      };
      this.held.set(record.id, held);
      metrics.pending(record.gateway, 1);
      if (input.signal) {
        const onAbort = () =>
          void this.finish(record.id, {
            state: 'cancelled',
            reason: 'cancelled by the caller',
            at: this.clock(),
          });
        input.signal.addEventListener('abort', onAbort, { once: true });
        held.unlisten = () => input.signal?.removeEventListener('abort', onAbort);
        // Aborted while the request was being stored: the event has already fired.
        if (input.signal.aborted) onAbort();
      }
      logger.info(
        {
          approval: record.id,
          ...labelsOf(record),
          requestId: record.requestId,
          expiresAt: new Date(record.expiresAt).toISOString(),
          shared: store.scope === 'redis',
          ...(record.via ? { via: record.via } : {}),
        },
        'approval requested: the tool call waits for a decision',
      );
      // The caller's own user is asked (elicitation): no webhook.
      if (!record.via) notifyApprovers(record, this.options, () => this.held.has(record.id));
    });
    return { id: record.id, result };
  }

  /** Pending requests: every replica's with Redis, else (or while Redis fails) this replica's. */
  async list(): Promise<{ approvals: ApprovalRecord[]; scope: 'redis' | 'local'; partial: boolean }> {
    const now = this.clock();
    const mine = await this.local.pending(now);
    const shared = this.options.shared;
    if (!shared) return { approvals: mine, scope: 'local', partial: false };
    try {
      const all = await shared.pending(now);
      const ids = new Set(all.map((r) => r.id));
      const merged = [...all, ...mine.filter((r) => !ids.has(r.id))].sort(
        (a, b) => a.createdAt - b.createdAt,
      );
      return { approvals: merged, scope: 'redis', partial: false };
    } catch (err) {
      this.options.metrics.redisFallback('list');
      this.options.logger.warn(
        { err: message(err) },
        "approvals: Redis failed; listing this replica's requests only",
      );
      return { approvals: mine, scope: 'redis', partial: true };
    }
  }

  /** One request, pending or decided (decided ones for DECIDED_RETENTION_MS). */
  async get(id: string): Promise<ApprovalRecord | undefined> {
    const now = this.clock();
    const mine = await this.local.get(id, now);
    if (mine || !this.options.shared) return mine;
    try {
      return await this.options.shared.get(id, now);
    } catch (err) {
      this.options.metrics.redisFallback('get');
      throw new ApprovalsUnavailable(`Redis failed (${message(err)}); ask the replica that holds the call`);
    }
  }

  /** A person's decision, through this replica's ops port; releases the call wherever it is held. */
  async decide(id: string, input: DecisionInput): Promise<DecideOutcome> {
    const decision: Decision = {
      state: input.decision === 'approve' ? 'approved' : 'denied',
      at: this.clock(),
      ...(input.by !== undefined ? { by: input.by } : {}),
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
    };
    let outcome: DecideOutcome;
    if (this.local.has(id) || !this.options.shared) {
      outcome = await this.local.decide(id, decision);
    } else {
      try {
        outcome = await this.options.shared.decide(id, decision);
      } catch (err) {
        this.options.metrics.redisFallback('decide');
        throw new ApprovalsUnavailable(
          `Redis failed (${message(err)}); try again or ask the replica that holds the call`,
        );
      }
    }
    if (outcome.outcome === 'decided') {
      const r = outcome.record;
      this.options.logger.info(
        {
          approval: id,
          decision: r.state,
          by: r.by,
          reason: r.reason,
          ...labelsOf(r),
          owner: r.owner,
          ...(r.via ? { via: r.via } : {}),
        },
        'approval decision received',
      );
      this.release(id, r);
    }
    return outcome;
  }

  /** Shutdown: every held call is released as cancelled ("the proxy is shutting down"). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.held.keys()].map((id) =>
        this.finish(id, { state: 'cancelled', reason: 'the proxy is shutting down', at: this.clock() }),
      ),
    );
    await this.options.shared?.close();
    await this.local.close();
  }

  /** Stored in Redis when it takes it, else kept on this replica (logged and counted). */
  private async store(record: ApprovalRecord): Promise<ApprovalStore> {
    const shared = this.options.shared;
    if (shared) {
      try {
        await shared.create(record);
        return shared;
      } catch (err) {
        this.options.metrics.redisFallback('create');
        this.options.logger.warn(
          { approval: record.id, err: message(err) },
          "approvals: Redis failed; this request is held by this replica only: list and decide it on this replica's ops port",
        );
      }
    }
    await this.local.create(record);
    return this.local;
  }

  /** The holder's own end of a request (timeout, cancel, shutdown): atomic against a person's decision. */
  private async finish(id: string, decision: Decision): Promise<void> {
    const held = this.held.get(id);
    if (!held) return;
    let record: ApprovalRecord = { ...held.record, ...decision };
    try {
      const outcome = await held.store.decide(id, decision);
      if (outcome.outcome !== 'unknown') record = outcome.record;
    } catch (err) {
      // Redis is down: the call is released by its own rule all the same.
      this.options.logger.warn(
        { approval: id, err: message(err) },
        'approvals: Redis failed while ending a request',
      );
    }
    this.release(id, record);
  }

  private release(id: string, record: ApprovalRecord): void {
    const held = this.held.get(id);
    if (!held || record.state === 'pending') return;
    this.held.delete(id);
    clearTimeout(held.timer);
    held.unlisten?.();
    const { logger, metrics } = this.options;
    const decidedAt = record.decidedAt ?? this.clock();
    const waitMs = decidedAt - held.record.createdAt;
    const state = record.state;
    metrics.pending(held.record.gateway, -1);
    metrics.decided(labelsOf(held.record), state, waitMs);
    logger.info(
      {
        approval: id,
        decision: state,
        by: record.by,
        reason: record.reason,
        decidedAt: new Date(decidedAt).toISOString(),
        waitedMs: waitMs,
        ...labelsOf(held.record),
        requestId: held.record.requestId,
      },
      state === 'approved'
        ? 'approval granted: the tool call goes on'
        : 'approval not granted: the tool call is refused',
    );
    held.resolve({
      approved: state === 'approved',
      at: new Date(decidedAt),
      ...(record.by !== undefined ? { by: record.by } : {}),
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      ...(state === 'timed_out' ? { timedOut: true } : {}),
    });
  }

  /** After a Redis outage: decisions published meanwhile were missed, so ask for each held call. */
  private async resync(): Promise<void> {
    const shared = this.options.shared;
    if (!shared) return;
    for (const [id, held] of this.held) {
      if (held.store !== shared) continue;
      try {
        const record = await shared.get(id, this.clock());
        if (record && record.state !== 'pending') this.release(id, record);
      } catch {
        // still down: the next reconnect looks again, the timeout ends it otherwise
      }
    }
  }
}

function labelsOf(r: ApprovalRecord): { gateway: string; consumer: string; server: string; tool: string } {
  return { gateway: r.gateway, consumer: r.consumer, server: r.server, tool: r.tool };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** 90000 → "1m30s", 1500 → "1.5s", 250 → "250ms". */
export function words(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
