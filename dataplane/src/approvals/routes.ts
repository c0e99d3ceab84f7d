import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { ApprovalsUnavailable, type ApprovalBroker, type DecisionInput } from './broker';
import type { ApprovalRecord } from './types';

const MAX_TEXT = 1000;

/**
 * The ops port's approval endpoints: `GET /approvals` (pending), `GET /approvals/{id}`, `POST
 * /approvals/{id}` with `{"decision": "approve"|"deny", "reason"?, "by"?}`. With `token`, each
 * needs `Authorization: Bearer <token>`. Errors are `{"error": {"message", "type"}}`.
 */
export function approvalRoutes(app: Hono, broker: ApprovalBroker, token?: string): void {
  const expected = token ? digest(token) : undefined;
  app.use('/approvals', guard);
  app.use('/approvals/*', guard);

  async function guard(c: Context, next: () => Promise<void>) {
    if (!expected) return next();
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    if (!given || !timingSafeEqual(digest(given), expected)) {
      c.header('www-authenticate', 'Bearer realm="tollgate-ops"');
      return fail(c, 401, 'unauthorized', 'the approvals endpoints need Authorization: Bearer <ops token>');
    }
    return next();
  }

  app.get('/approvals', async (c) => {
    const { approvals, scope, partial } = await broker.list();
    return c.json({ scope, partial, approvals: approvals.map(view) });
  });

  app.get('/approvals/:id', async (c) => {
    const id = c.req.param('id');
    try {
      const record = await broker.get(id);
      if (!record) return notFound(c, id);
      return c.json(view(record));
    } catch (err) {
      if (err instanceof ApprovalsUnavailable) return fail(c, 503, 'unavailable', err.message);
      throw err;
    }
  });

  app.post('/approvals/:id', async (c) => {
    const id = c.req.param('id');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return fail(
        c,
        400,
        'invalid_request',
        'the body must be JSON: {"decision": "approve"|"deny", "reason"?, "by"?}',
      );
    }
    const input = parseDecision(body);
    if (typeof input === 'string') return fail(c, 400, 'invalid_request', input);
    try {
      const result = await broker.decide(id, input);
      if (result.outcome === 'unknown') return notFound(c, id);
      if (result.outcome === 'already') {
        return c.json(
          {
            error: {
              message: `approval ${id} was already decided (${result.record.state}${result.record.by ? ` by ${result.record.by}` : ''})`,
              type: 'conflict',
            },
            approval: view(result.record),
          },
          409,
        );
      }
      return c.json(view(result.record));
    } catch (err) {
      if (err instanceof ApprovalsUnavailable) return fail(c, 503, 'unavailable', err.message);
      throw err;
    }
  });
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

function notFound(c: Context, id: string) {
  return fail(c, 404, 'not_found', `no approval ${id.slice(0, 64)}: unknown, or expired`);
}

function fail(c: Context, status: 400 | 401 | 404 | 503, type: string, message: string) {
  return c.json({ error: { message, type } }, status);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
