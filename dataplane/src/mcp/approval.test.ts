import { testBroker, toolCall, until } from '../testing/approvals';
import { capturedLogger } from '../testing/log-capture';
import type { Json } from '../formats/wire';
import { answerElicitation, holdCall, type McpApprovals } from './approval';
import type { JsonRpcRequest, MuxAnswer } from './jsonrpc';

const req: JsonRpcRequest = {
  id: 9,
  method: 'tools/call',
  params: { name: 'g_write', arguments: { text: 'hi', apiKey: 'sk-live-0123456789abcdefghij' } },
};
const ran: Json = { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'ran' }] } };
const owner = { gateway: 'default/gw', consumer: 'default/agent' };

/** One replica's approvals: a broker of its own (no Redis), and its log lines (broker and MCP side). */
function replica(overrides: Partial<McpApprovals> = {}) {
  const { logger, lines } = capturedLogger('info');
  const { broker } = testBroker({ logger, webhookFor: webhookAsked });
  brokers.push(broker);
  const a: McpApprovals = {
    broker,
    logger,
    ...owner,
    timeoutMs: 2000,
    elicit: true,
    onHold: () => undefined,
    ...overrides,
  };
  /** The client's answer, POSTed to this replica by `consumer`. */
  const answer = (message: Json, consumer = owner.consumer) =>
    answerElicitation(message, { broker, logger, gateway: owner.gateway, consumer });
  return { a, broker, lines, answer };
}

const isWarn = (l: Record<string, unknown>) => l.level === 40 || l.level === 'warn';
const brokers: ReturnType<typeof testBroker>['broker'][] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

let webhooksAsked = 0;
function webhookAsked() {
  webhooksAsked++;
  return undefined;
}

/** Starts an elicited call: its first message (the elicitation) and an iterator for the rest. */
async function elicit(a: McpApprovals, signal = new AbortController().signal) {
  let forwarded = 0;
  const forward = (): Promise<MuxAnswer> => {
    forwarded++;
    return Promise.resolve({ kind: 'message', message: ran });
  };
  const answer = await holdCall(req, 'g_write', 'default/files', a, signal, forward);
  if (answer.kind !== 'stream') throw new Error('expected a stream');
  const it = answer.events[Symbol.asyncIterator]();
  const first = (await it.next()).value?.message as Json;
  const rest = async () => {
    const r = await it.next();
    return r.done ? r : { done: false, value: r.value.message };
  };
  return { first, rest, forwarded: () => forwarded };
}

const accept = (id: unknown): Json => ({
  jsonrpc: '2.0',
  id: id as string,
  result: { action: 'accept', content: { approve: true } },
});

describe('approvals through elicitation', () => {
  it('asks with the approval as id, the tool and its summarised arguments (secrets removed); no webhook', async () => {
    const r = replica();
    webhooksAsked = 0;
    const { first } = await elicit(r.a);
    expect(first).toMatchObject({
      method: 'elicitation/create',
      id: expect.stringMatching(/^tg-approval\/apr_[A-Za-z0-9_-]+$/),
    });
    const params = first.params as { message: string; requestedSchema: { required: string[] } };
    expect(params.message).toMatch(/^Allow tool g_write with arguments .*"text":"hi"/);
    expect(params.message).not.toContain('sk-live-0123456789abcdefghij');
    expect(params.requestedSchema.required).toEqual(['approve']);
    // Held by the broker like any approval (listed, marked as asked of the user), webhook not called.
    const [held] = (await r.broker.list()).approvals;
    expect(`tg-approval/${held?.id}`).toBe(first.id);
    expect(held).toMatchObject({ via: 'elicitation', tool: 'g_write', consumer: 'default/agent' });
    expect(webhooksAsked).toBe(0);
  });

  it("ignores another consumer's answer (warn), then forwards on its own consumer's approval, logged", async () => {
    const r = replica();
    const { first, rest, forwarded } = await elicit(r.a);
    expect(await r.answer(accept(first.id), 'default/other')).toBe(true);
    expect(r.lines.find(isWarn)).toMatchObject({
      approval: String(first.id).slice('tg-approval/'.length),
      consumer: 'default/other',
    });
    expect(forwarded()).toBe(0);
    expect(await r.answer(accept(first.id))).toBe(true);
    expect((await rest()).value).toEqual(ran);
    expect(forwarded()).toBe(1);
    expect(r.lines.find((l) => l.msg === 'approval granted: the tool call goes on')).toMatchObject({
      by: 'the user (elicitation)',
      decidedAt: expect.any(String),
      tool: 'g_write',
    });
  });

  it('an error answer denies without forwarding, with who and why', async () => {
    const r = replica();
    const { first, rest, forwarded } = await elicit(r.a);
    await r.answer({ jsonrpc: '2.0', id: first.id as string, error: { code: -1, message: 'no UI' } });
    expect((await rest()).value).toMatchObject({
      id: 9,
      error: {
        code: -32003,
        message: expect.stringContaining("The call to 'g_write' was denied by the user (elicitation)"),
      },
    });
    expect(forwarded()).toBe(0);
    expect(r.lines.find((l) => l.msg === 'approval not granted: the tool call is refused')).toMatchObject({
      by: 'the user (elicitation)',
      reason: 'the user chose error',
    });
  });

  it('no answer before the timeout: denied as timed out', async () => {
    const { rest, forwarded } = await elicit(replica({ timeoutMs: 30 }).a);
    expect((await rest()).value).toMatchObject({
      error: { message: expect.stringContaining('was not approved: no decision in time') },
    });
    expect(forwarded()).toBe(0);
  });

  it('an answer cannot decide an approval waiting for an approver on the ops port', async () => {
    const r = replica();
    const held = await r.broker.hold(toolCall({ gateway: owner.gateway, consumer: owner.consumer }));
    expect(await r.answer(accept(`tg-approval/${held.id}`))).toBe(true);
    expect((await r.broker.get(held.id ?? ''))?.state).toBe('pending');
    await r.broker.close();
    expect((await held.result).approved).toBe(false);
  });

  it('without Redis, an answer reaching another replica is accepted but decides nothing: warn with the approval id, then timeout', async () => {
    const holder = replica({ timeoutMs: 300 });
    const other = replica();
    const { first, rest, forwarded } = await elicit(holder.a);
    expect(await other.answer(accept(first.id))).toBe(true);
    const warned = other.lines.find(isWarn);
    expect(warned).toMatchObject({
      approval: String(first.id).slice('tg-approval/'.length),
      msg: expect.stringContaining(
        'without Redis it cannot reach the one that does: the call times out as denied',
      ),
    });
    await until(() => holder.broker.holding === 0, 2000);
    expect((await rest()).value).toMatchObject({
      error: { message: expect.stringContaining('no decision in time') },
    });
    expect(forwarded()).toBe(0);
  });

  it('leaves answers that are not its own to the relay (false)', async () => {
    const r = replica();
    expect(await r.answer({ jsonrpc: '2.0', id: 'tg/default/files/1', result: {} })).toBe(false);
    expect(await r.answer({ jsonrpc: '2.0', id: 3, result: {} })).toBe(false);
    expect(await r.answer({ jsonrpc: '2.0', id: 'tg-approval/unknown', result: {} })).toBe(true);
  });
});
