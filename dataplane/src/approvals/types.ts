/**
 * Approvals (human in the loop): a held tool call waits for a person's decision, given on the ops
 * port (`/approvals`) or after a webhook, or for its timeout (= denied).
 */

/** What a caller (the MCP plane, before forwarding a `tools/call`) asks approval for. */
export interface ApprovalInput {
  /** Gateway resource name `{namespace}/{name}` (its webhook settings are looked up by it). */
  gateway: string;
  /** Consumer slug or resource name, as the caller shows it. */
  consumer: string;
  /** The MCP server (registry) the tool belongs to. */
  server: string;
  /** The tool's name as the client called it. */
  tool: string;
  /** The call's arguments: only a summary (truncated, secret-looking values removed) is kept. */
  arguments: unknown;
  /** The caller's request id (JSON-RPC id, x-request-id), for correlation in logs. */
  requestId: string;
  /** How long the call waits for a decision; no decision by then = denied. */
  timeoutMs: number;
  /** The client went away: the request is withdrawn (denied, reason "cancelled"). */
  signal?: AbortSignal;
  /** 'elicitation': the gateway asks the caller's user itself (no webhook; their answer decides it). */
  via?: 'elicitation';
}

export interface ApprovalResult {
  approved: boolean;
  /** Who decided (as the approver gave it). */
  by?: string;
  reason?: string;
  at: Date;
  timedOut?: boolean;
}

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'timed_out' | 'cancelled';

/** An approval request as stored (in this process or in Redis) and shown on the ops port. */
export interface ApprovalRecord {
  id: string;
  gateway: string;
  consumer: string;
  server: string;
  tool: string;
  /** JSON summary of the arguments, at most SUMMARY_MAX_CHARS characters, secrets removed. */
  arguments: string;
  requestId: string;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  /** The replica holding the call. */
  owner: string;
  state: ApprovalState;
  /** 'elicitation': asked of the caller's user (ApprovalInput.via), who decides it by answering. */
  via?: 'elicitation';
  by?: string;
  reason?: string;
  decidedAt?: number;
}

/** A decision as a person (or the timeout, or the caller going away) gives it. */
export interface Decision {
  state: Exclude<ApprovalState, 'pending'>;
  by?: string;
  reason?: string;
  at: number;
}

/** What deciding an approval request did. */
export type DecideOutcome =
  | { outcome: 'decided'; record: ApprovalRecord }
  /** Never existed, or expired (timed out, or past its expiry with no holder left). */
  | { outcome: 'unknown' }
  /** Someone (or something) decided first; `record` holds that decision. */
  | { outcome: 'already'; record: ApprovalRecord };

/**
 * Where approval requests live: this process (per replica) or Redis (shared by every replica).
 * Decisions are atomic: exactly one decision wins per request.
 */
export interface ApprovalStore {
  /** 'redis': every replica sees every request; 'local': this replica only. */
  readonly scope: 'redis' | 'local';
  create(record: ApprovalRecord): Promise<void>;
  get(id: string, now: number): Promise<ApprovalRecord | undefined>;
  /** Pending requests not yet expired, oldest first. */
  pending(now: number): Promise<ApprovalRecord[]>;
  decide(id: string, decision: Decision): Promise<DecideOutcome>;
  /** Called with every decision made through any replica (the store's own included). */
  onDecision(listener: (id: string, record: ApprovalRecord) => void): void;
  close(): Promise<void>;
}

/** How long a decided request stays visible (GET shows it, POST says 409) after its decision. */
export const DECIDED_RETENTION_MS = 10 * 60_000;
