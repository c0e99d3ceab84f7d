import { testBroker } from '../testing/approvals';
import { capturedLogger } from '../testing/log-capture';
import type { Json } from '../formats/wire';
import { answerElicitation, holdCall, type McpApprovals } from './approval';
import type { JsonRpcRequest } from './jsonrpc';
import type { MuxAnswer } from './jsonrpc';

const req: JsonRpcRequest = {
  id: 9,
  method: 'tools/call',
  params: { name: 'g_write', arguments: { text: 'hi', apiKey: 'sk-live-0123456789abcdefghij' } },
};
const ran: Json = { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'ran' }] } };

function settings(overrides: Partial<McpApprovals> = {}): McpApprovals {
  return {
    broker: testBroker().broker,
    logger: capturedLogger('info').logger,
    gateway: 'default/gw',
    consumer: 'default/agent',
    timeoutMs: 2000,
    elicit: true,
    onHold: () => undefined,
    ...overrides,
  };
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
  const it = answer.messages[Symbol.asyncIterator]();
  const first = (await it.next()).value as Json;
  return { first, rest: () => it.next(), forwarded: () => forwarded };
}

describe('approvals through elicitation', () => {
  it('asks with a gateway id, the tool and its summarised arguments (secrets removed)', async () => {
    const { first } = await elicit(settings());
    expect(first).toMatchObject({
      method: 'elicitation/create',
      id: expect.stringMatching(/^tg-approval\//),
    });
    const params = first.params as { message: string; requestedSchema: { required: string[] } };
    expect(params.message).toMatch(/^Allow tool g_write with arguments .*"text":"hi"/);
    expect(params.message).not.toContain('sk-live-0123456789abcdefghij');
    expect(params.requestedSchema.required).toEqual(['approve']);
  });

  it("ignores another consumer's answer, then forwards on its own consumer's approval", async () => {
    const { first, rest, forwarded } = await elicit(settings());
    const approve = {
      jsonrpc: '2.0',
      id: first.id,
      result: { action: 'accept', content: { approve: true } },
    };
    expect(answerElicitation(approve, 'default/other')).toBe(true);
    expect(forwarded()).toBe(0);
    expect(answerElicitation(approve, 'default/agent')).toBe(true);
    expect((await rest()).value).toEqual(ran);
    expect(forwarded()).toBe(1);
  });

  it('an error answer denies without forwarding', async () => {
    const { first, rest, forwarded } = await elicit(settings());
    answerElicitation(
      { jsonrpc: '2.0', id: first.id, error: { code: -1, message: 'no UI' } },
      'default/agent',
    );
    expect((await rest()).value).toMatchObject({
      id: 9,
      error: { code: -32003, message: expect.stringContaining("The call to 'g_write' was denied") },
    });
    expect(forwarded()).toBe(0);
  });

  it('no answer before the timeout: denied as timed out', async () => {
    const { rest, forwarded } = await elicit(settings({ timeoutMs: 30 }));
    expect((await rest()).value).toMatchObject({
      error: { message: expect.stringContaining('was not approved: no decision in time') },
    });
    expect(forwarded()).toBe(0);
  });

  it('leaves answers that are not its own to the relay (false)', () => {
    expect(answerElicitation({ jsonrpc: '2.0', id: 'tg/default/files/1', result: {} }, 'x')).toBe(false);
    expect(answerElicitation({ jsonrpc: '2.0', id: 3, result: {} }, 'x')).toBe(false);
    expect(answerElicitation({ jsonrpc: '2.0', id: 'tg-approval/unknown', result: {} }, 'x')).toBe(true);
  });
});
