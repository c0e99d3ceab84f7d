import { GatewayError } from '../errors/errors';
import { checkRpcRequest, gatewayRpcError, RPC_CODES } from './jsonrpc';

describe('checkRpcRequest', () => {
  it.each([
    ['message/send', 'message/send', false],
    ['message/stream', 'message/stream', true],
    ['tasks/resubscribe', 'tasks/resubscribe', true],
    ['tasks/pushNotificationConfig/set', 'tasks/pushNotificationConfig/set', false],
    ['SendStreamingMessage', 'SendStreamingMessage', true],
    ['SubscribeToTask', 'SubscribeToTask', true],
    ['CreateTaskPushNotificationConfig', 'CreateTaskPushNotificationConfig', false],
    ['x/made-up', 'other', false],
  ])('%s: labelled %s, streaming %s', (method, label, streaming) => {
    const check = checkRpcRequest({ jsonrpc: '2.0', id: 1, method, params: {} });
    expect(check).toEqual({
      ok: true,
      request: expect.objectContaining({ id: 1, method, label, streaming }),
    });
  });

  it('marks the methods that answer with an agent card', () => {
    for (const method of ['agent/getAuthenticatedExtendedCard', 'GetExtendedAgentCard']) {
      const check = checkRpcRequest({ jsonrpc: '2.0', id: 'x', method });
      expect(check.ok && check.request.returnsCard).toBe(true);
    }
  });

  it.each([
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'GetTask' }], null, RPC_CODES.invalidRequest],
    ['a string', 'GetTask', null, RPC_CODES.invalidRequest],
    ['no jsonrpc', { id: 1, method: 'GetTask' }, 1, RPC_CODES.invalidRequest],
    ['no method', { jsonrpc: '2.0', id: 1 }, 1, RPC_CODES.invalidRequest],
    ['a notification (no id)', { jsonrpc: '2.0', method: 'GetTask' }, null, RPC_CODES.invalidRequest],
    ['an object id', { jsonrpc: '2.0', id: {}, method: 'GetTask' }, null, RPC_CODES.invalidRequest],
    [
      'params not an object',
      { jsonrpc: '2.0', id: 'a', method: 'GetTask', params: 3 },
      'a',
      RPC_CODES.invalidParams,
    ],
  ])('refuses %s', (_what, body, id, code) => {
    const check = checkRpcRequest(body);
    expect(check.ok).toBe(false);
    expect(check.ok ? undefined : check.error).toEqual({
      jsonrpc: '2.0',
      id,
      error: { code, message: expect.any(String) },
    });
  });
});

describe('gatewayRpcError', () => {
  it('keeps the status and code of a gateway refusal in data, with the message as said', () => {
    const e = new GatewayError(429, 'rate_limit_exceeded', 'Rate limit reached.');
    expect(gatewayRpcError(4, e)).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: {
        code: RPC_CODES.gatewayError,
        message: 'Rate limit reached.',
        data: { type: 'rate_limit_exceeded', httpStatus: 429 },
      },
    });
  });

  it.each([
    ['invalid_json', RPC_CODES.parseError],
    ['invalid_agent_response', RPC_CODES.invalidAgentResponse],
    ['upstream_error', RPC_CODES.gatewayError],
  ])('%s → %d', (code, rpcCode) => {
    expect(gatewayRpcError(null, new GatewayError(502, code, 'm')).error.code).toBe(rpcCode);
  });
});
