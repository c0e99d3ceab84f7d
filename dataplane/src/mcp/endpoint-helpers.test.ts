import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { parseMessage } from './endpoint-helpers';
import { MCP_ERRORS, McpError } from './jsonrpc';

/** What parseMessage makes of one body: the message, or its error's code and HTTP status. */
function outcome(body: string): unknown {
  try {
    return { message: parseMessage(Buffer.from(body)) };
  } catch (err) {
    if (!(err instanceof McpError)) throw err;
    return { code: err.code, status: err.httpStatus };
  }
}

const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1 } } };

/** Messages at the edges of what the SDK's schema accepts (the fast path must agree with it). */
const CANDIDATES: unknown[] = [
  call,
  { ...call, id: 'a-string' },
  { ...call, id: 0 },
  { ...call, id: -7 },
  { ...call, id: Number.MAX_SAFE_INTEGER },
  { ...call, id: Number.MAX_SAFE_INTEGER + 2 },
  { ...call, id: 1.5 },
  { ...call, id: null },
  { ...call, id: true },
  { ...call, id: {} },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'x' } },
  { ...call, params: { _meta: { progressToken: 'p1' } } },
  { ...call, params: { _meta: { progressToken: 1.5 } } },
  { ...call, params: { _meta: 'not an object' } },
  { ...call, params: [] },
  { ...call, params: null },
  { ...call, params: 'text' },
  { ...call, extra: 1 },
  { ...call, jsonrpc: '1.0' },
  { ...call, jsonrpc: 2 },
  { ...call, method: 7 },
  { jsonrpc: '2.0', id: 1 },
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, result: { content: [] } },
  { jsonrpc: '2.0', id: 1, result: [] },
  { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'nope' } },
  { jsonrpc: '2.0', error: { code: -32601, message: 'nope' } },
  { jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'nope' } },
  { jsonrpc: '2.0', id: 1, result: {}, method: 'x' },
  {},
  'a string',
  7,
  null,
];

describe('parseMessage', () => {
  it.each(CANDIDATES.map((c) => [JSON.stringify(c), c]))(
    'accepts %s exactly when the SDK schema does, unchanged',
    (text) => {
      const accepted = JSONRPCMessageSchema.safeParse(JSON.parse(text)).success;
      const expected = accepted
        ? { message: JSON.parse(text) as unknown }
        : { code: MCP_ERRORS.InvalidRequest, status: 400 };
      expect(outcome(text)).toEqual(expected);
    },
  );

  it('refuses what is not JSON, and batches', () => {
    expect(outcome('{"jsonrpc":')).toEqual({ code: MCP_ERRORS.ParseError, status: 400 });
    expect(outcome(JSON.stringify([call]))).toEqual({ code: MCP_ERRORS.InvalidRequest, status: 400 });
  });

  it('refuses an object whose own members include __proto__', () => {
    const text = '{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{"x":1}}';
    const accepted = JSONRPCMessageSchema.safeParse(JSON.parse(text)).success;
    expect(accepted).toBe(false);
    expect(outcome(text)).toEqual({ code: MCP_ERRORS.InvalidRequest, status: 400 });
  });
});
