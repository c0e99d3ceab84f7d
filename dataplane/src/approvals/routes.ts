import { timingSafeEqual, createHash } from 'node:crypto';
import { ApprovalsUnavailable, type ApprovalBroker, type DecisionInput } from './broker';
import type { ApprovalRecord } from './types';

const MAX_TEXT = 1000;

/** An answer of the approval endpoints: its status, its JSON body and any header of its own. */
export interface ApprovalReply {
  status: 200 | 400 | 401 | 404 | 409 | 503;
  json: unknown;
  headers?: Record<string, string>;
}

/**
 * What the ops port's approval endpoints answer (ops/app.ts routes them): `GET /approvals`
 * (pending), `GET /approvals/{id}`, `POST /approvals/{id}` with `{"decision": "approve"|"deny",
 * "reason"?, "by"?}`. With `token`, each needs `Authorization: Bearer <token>` (`refuse`). Errors
 * are `{"error": {"message", "type"}}`.
 */
export interface ApprovalsApi {
  /** The 401 for a request without the ops token (when there is one); undefined: it may go on. */
  refuse(authorization: string | undefined): ApprovalReply | undefined;
  list(): Promise<ApprovalReply>;
  show(id: string): Promise<ApprovalReply>;
  /** `body` is read only now, past `refuse`. */
  decide(id: string, body: () => Promise<string>): Promise<ApprovalReply>;
}

export function approvalRoutes(broker: ApprovalBroker, token?: string): ApprovalsApi {
  const expected = token ? digest(token) : undefined;
  return {
    refuse(authorization) {
      if (!expected) return undefined;
      const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
      if (given && timingSafeEqual(digest(given), expected)) return undefined;
      return {
        ...fail(401, 'unauthorized', 'the approvals endpoints need Authorization: Bearer <ops token>'),
        headers: { 'www-authenticate': 'Bearer realm="tollgate-ops"' },
      };
    },

    async list() {
      const { approvals, scope, partial } = await broker.list();
      return ok({ scope, partial, approvals: approvals.map(view) });
    },

    show: (id) =>
      unlessUnavailable(async () => {
        const record = await broker.get(id);
        return record ? ok(view(record)) : notFound(id);
      }),

    async decide(id, body) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await body());
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        return fail(
          400,
          'invalid_request',
          'the body must be JSON: {"decision": "approve"|"deny", "reason"?, "by"?}',
        );
      }
      const input = parseDecision(parsed);
      if (typeof input === 'string') return fail(400, 'invalid_request', input);
      return unlessUnavailable(async () => {
        const result = await broker.decide(id, input);
        if (result.outcome === 'unknown') return notFound(id);
        if (result.outcome === 'already') {
          const { state, by } = result.record;
          return {
            status: 409,
            json: {
              error: {
                message: `approval ${id} was already decided (${state}${by ? ` by ${by}` : ''})`,
                type: 'conflict',
              },
              approval: view(result.record),
            },
          };
        }
        return ok(view(result.record));
      });
    },
  };
}

/** A shared store that cannot answer now is a 503; anything else goes on up. */
async function unlessUnavailable(run: () => Promise<ApprovalReply>): Promise<ApprovalReply> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApprovalsUnavailable) return fail(503, 'unavailable', err.message);
    throw err;
  }
}

/** The decision body, or what is wrong with it. */
export function parseDecision(body: unknown): DecisionInput | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object: {"decision": "approve"|"deny", "reason"?, "by"?}';
  const { decision, reason, by, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return `unknown field${extra.length > 1 ? 's' : ''}: ${extra.join(', ')}`;
  if (decision !== 'approve' && decision !== 'deny') return 'decision must be "approve" or "deny"';
  for (const [name, v] of [
    ['reason', reason],
    ['by', by],
  ] as const) {
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_TEXT))
      return `${name} must be a string of at most ${MAX_TEXT} characters`;
  }
  return {
    decision,
    ...(typeof by === 'string' ? { by } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
  };
}

/** A record as the ops port shows it: times as ISO strings. */
function view(r: ApprovalRecord) {
  return {
    id: r.id,
    state: r.state,
    gateway: r.gateway,
    consumer: r.consumer,
    server: r.server,
    tool: r.tool,
    arguments: r.arguments,
    requestId: r.requestId,
    created: new Date(r.createdAt).toISOString(),
    expires: new Date(r.expiresAt).toISOString(),
    owner: r.owner,
    ...(r.via !== undefined ? { via: r.via } : {}),
    ...(r.decidedAt !== undefined ? { decided: new Date(r.decidedAt).toISOString() } : {}),
    ...(r.by !== undefined ? { by: r.by } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  };
}

function ok(json: unknown): ApprovalReply {
  return { status: 200, json };
}

function notFound(id: string): ApprovalReply {
  return fail(404, 'not_found', `no approval ${id.slice(0, 64)}: unknown, or expired`);
}

function fail(status: 400 | 401 | 404 | 503, type: string, message: string): ApprovalReply {
  return { status, json: { error: { message, type } } };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
