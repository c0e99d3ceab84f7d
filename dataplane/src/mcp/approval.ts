import { randomBytes } from 'node:crypto';
import type { ApprovalBroker } from '../approvals/broker';
import { denialMessage } from '../approvals/messages';
import { summariseArguments } from '../approvals/summary';
import type { ApprovalResult } from '../approvals/types';
import { isObject, type Json } from '../formats/wire';
import type { Logger } from '../telemetry/logger';
import { MCP_ERRORS, McpError, errorMessage, type JsonRpcRequest, type MuxAnswer } from './jsonrpc';

/**
 * Approvals in the MCP plane: a `tools/call` whose tool is in the consumer's `requireApproval`
 * waits for a person. When the client declared elicitation (and takes the call's answer as SSE),
 * the gateway asks the user itself with an `elicitation/create` request on that stream; otherwise
 * the call is held by the approval broker (ops port `/approvals`, webhook) until decided or timed
 * out. Not approved = a JSON-RPC error saying who refused and why; nothing reaches the server.
 */
export interface McpApprovals {
  broker: ApprovalBroker;
  logger: Logger;
  /** Gateway and Consumer resource names. */
  gateway: string;
  consumer: string;
  timeoutMs: number;
  /** The session's client declared the elicitation capability and takes this answer as SSE. */
  elicit: boolean;
  /** Called when the call starts waiting: the request deadline gives way to the approval timeout. */
  onHold: () => void;
}

/** Gateway-originated requests to the client (elicitations) have ids in their own space. */
const ELICIT_PREFIX = 'tg-approval/';

interface Waiting {
  consumer: string;
  resolve(result: ApprovalResult): void;
}

/** Elicitations this replica sent and awaits an answer to (the client POSTs it in the same session). */
const waiting = new Map<string, Waiting>();

/** Holds the call until approved (then `forward`s it) or refused (a JSON-RPC error). */
export async function holdCall(
  req: JsonRpcRequest,
  visible: string,
  server: string,
  a: McpApprovals,
  signal: AbortSignal,
  forward: () => Promise<MuxAnswer>,
): Promise<MuxAnswer> {
  a.onHold();
  if (a.elicit) return { kind: 'stream', messages: elicited(req, visible, a, signal, forward) };
  const result = await a.broker.request({
    gateway: a.gateway,
    consumer: a.consumer,
    server,
    tool: visible,
    arguments: req.params.arguments ?? {},
    requestId: String(req.id),
    timeoutMs: a.timeoutMs,
    signal,
  });
  if (!result.approved) throw new McpError(MCP_ERRORS.ApprovalRequired, denialMessage(visible, result));
  return forward();
}

async function* elicited(
  req: JsonRpcRequest,
  visible: string,
  a: McpApprovals,
  signal: AbortSignal,
  forward: () => Promise<MuxAnswer>,
): AsyncGenerator<Json> {
  const id = `${ELICIT_PREFIX}${randomBytes(18).toString('base64url')}`;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const decision = new Promise<ApprovalResult>((resolve) => {
    waiting.set(id, { consumer: a.consumer, resolve });
    timer = setTimeout(
      () =>
        resolve({
          approved: false,
          timedOut: true,
          reason: `no answer in ${a.timeoutMs} ms`,
          at: new Date(),
        }),
      a.timeoutMs,
    );
    onAbort = () => resolve({ approved: false, reason: 'cancelled by the caller', at: new Date() });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    yield {
      jsonrpc: '2.0',
      id,
      method: 'elicitation/create',
      params: {
        message: `Allow tool ${visible} with arguments ${summariseArguments(req.params.arguments ?? {}, 500)}?`,
        requestedSchema: {
          type: 'object',
          properties: {
            approve: { type: 'boolean', title: 'Approve', description: `Run ${visible} now` },
          },
          required: ['approve'],
        },
      },
    };
    const result = await decision;
    a.logger.info(
      {
        gateway: a.gateway,
        consumer: a.consumer,
        tool: visible,
        requestId: req.id,
        approved: result.approved,
        by: result.by,
        reason: result.reason,
      },
      'approval decided by the user (elicitation)',
    );
    if (!result.approved) {
      yield errorMessage(req.id, MCP_ERRORS.ApprovalRequired, denialMessage(visible, result));
      return;
    }
    const answer = await forward();
    if (answer.kind === 'message') yield answer.message;
    else yield* answer.messages;
  } finally {
    waiting.delete(id);
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The client's answer to one of the gateway's elicitations: true when the message was one (it then
 * goes to no server). Accepted with `approve: true` approves; decline, cancel, an error or anything
 * else denies. An answer from another consumer, or to an elicitation this replica does not hold, is dropped.
 */
export function answerElicitation(message: Json, consumer: string): boolean {
  if (typeof message.id !== 'string' || !message.id.startsWith(ELICIT_PREFIX)) return false;
  const w = waiting.get(message.id);
  if (!w || w.consumer !== consumer) return true;
  const result = isObject(message.result) ? message.result : undefined;
  const content = result && isObject(result.content) ? result.content : undefined;
  const approved = result?.action === 'accept' && content?.approve === true;
  const action = typeof result?.action === 'string' ? result.action : 'error';
  w.resolve({
    approved,
    by: 'the user (elicitation)',
    ...(approved ? {} : { reason: action === 'accept' ? 'not approved' : `the user chose ${action}` }),
    at: new Date(),
  });
  return true;
}
