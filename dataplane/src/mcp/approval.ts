import type { ApprovalBroker } from '../approvals/broker';
import { denialMessage } from '../approvals/messages';
import { summariseArguments } from '../approvals/summary';
import type { ApprovalInput, DecideOutcome } from '../approvals/types';
import { isObject, type Json } from '../formats/wire';
import type { Logger } from '../telemetry/logger';
import {
  MCP_ERRORS,
  McpError,
  errorMessage,
  type JsonRpcRequest,
  type MuxAnswer,
  type StreamEvent,
} from './jsonrpc';

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

/** Gateway-originated requests to the client (elicitations) have ids in their own space: `tg-approval/{approval id}`. */
const ELICIT_PREFIX = 'tg-approval/';

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
  const input: ApprovalInput = {
    gateway: a.gateway,
    consumer: a.consumer,
    server,
    tool: visible,
    arguments: req.params.arguments ?? {},
    requestId: String(req.id),
    timeoutMs: a.timeoutMs,
    signal,
  };
  if (a.elicit) return { kind: 'stream', events: elicited(req, visible, server, a, input, forward) };
  const result = await a.broker.request(input);
  if (!result.approved) throw new McpError(MCP_ERRORS.ApprovalRequired, denialMessage(visible, result));
  return forward();
}

/**
 * The call held by the broker like any other (timeout, cancellation, logs, metrics, Redis), the
 * user asked with an elicitation whose id names the approval: the answer, POSTed to any replica,
 * decides it (see answerElicitation).
 */
async function* elicited(
  req: JsonRpcRequest,
  visible: string,
  registry: string,
  a: McpApprovals,
  input: ApprovalInput,
  forward: () => Promise<MuxAnswer>,
): AsyncGenerator<StreamEvent> {
  const held = await a.broker.hold({ ...input, via: 'elicitation' });
  if (held.id !== undefined) {
    yield {
      registry,
      message: {
        jsonrpc: '2.0',
        id: `${ELICIT_PREFIX}${held.id}`,
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
      },
    };
  }
  const result = await held.result;
  if (!result.approved) {
    yield {
      registry,
      message: errorMessage(req.id, MCP_ERRORS.ApprovalRequired, denialMessage(visible, result)),
    };
    return;
  }
  const answer = await forward();
  if (answer.kind === 'message') yield { registry, message: answer.message };
  else yield* answer.events;
}

/** Who an elicitation answer comes from: the session's gateway and consumer (resource names). */
export interface ElicitationAnswerer {
  broker: ApprovalBroker | undefined;
  logger: Logger;
  gateway: string;
  consumer: string;
}

/**
 * The client's answer to one of the gateway's elicitations: true when the message was one (it then
 * goes to no server). Accepted with `approve: true` approves; decline, cancel, an error or anything
 * else denies. The replica that receives it hands it to the approval broker, which releases the
 * call where it is held (through Redis when it is another replica). An answer that decides nothing
 * (another consumer's, unknown or expired, or held by another replica without Redis) is logged at
 * warn and dropped: the call then times out as denied.
 */
export async function answerElicitation(message: Json, from: ElicitationAnswerer): Promise<boolean> {
  if (typeof message.id !== 'string' || !message.id.startsWith(ELICIT_PREFIX)) return false;
  const approval = message.id.slice(ELICIT_PREFIX.length);
  const result = isObject(message.result) ? message.result : undefined;
  const content = result && isObject(result.content) ? result.content : undefined;
  const approved = result?.action === 'accept' && content?.approve === true;
  const action = typeof result?.action === 'string' ? result.action : 'error';
  const where = { approval, gateway: from.gateway, consumer: from.consumer };
  if (!from.broker) {
    from.logger.warn(where, 'approvals: an elicitation answer reached a proxy without approvals; dropped');
    return true;
  }
  let outcome: DecideOutcome = { outcome: 'unknown' };
  try {
    // Only a request asked of this session's user: never another consumer's, nor one that waits
    // for an approver on the ops port. Without Redis only this replica's requests are found.
    const record = await from.broker.get(approval);
    if (
      record?.via === 'elicitation' &&
      record.gateway === from.gateway &&
      record.consumer === from.consumer
    ) {
      outcome = await from.broker.decide(approval, {
        decision: approved ? 'approve' : 'deny',
        by: 'the user (elicitation)',
        ...(approved ? {} : { reason: action === 'accept' ? 'not approved' : `the user chose ${action}` }),
      });
    }
  } catch (err) {
    from.logger.warn(
      { ...where, err: err instanceof Error ? err.message : String(err) },
      'approvals: an elicitation answer could not be passed on (Redis failed); the call times out as denied',
    );
    return true;
  }
  if (outcome.outcome === 'unknown') {
    from.logger.warn(
      where,
      from.broker.scope === 'local'
        ? 'approvals: an elicitation answer reached a replica that does not hold the call, and without Redis it cannot reach the one that does: the call times out as denied'
        : "approvals: an elicitation answer for an unknown or expired approval (or another consumer's) was dropped",
    );
  } else if (outcome.outcome === 'already') {
    from.logger.info(
      { ...where, decision: outcome.record.state, by: outcome.record.by },
      'approvals: an elicitation answer came after the approval was decided; dropped',
    );
  }
  return true;
}
