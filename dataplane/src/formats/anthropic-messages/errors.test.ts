import { anthropicMessagesFormat as fmt } from './index';
import overloaded from './fixtures/error-overloaded.json';

describe('anthropic-messages errors', () => {
  it.each<[number, string, string]>([
    [400, 'bad_request', 'invalid_request_error'],
    [401, 'invalid_api_key', 'authentication_error'],
    [402, 'billing', 'billing_error'],
    [403, 'forbidden', 'permission_error'],
    [404, 'model_not_found', 'not_found_error'],
    [409, 'conflict', 'invalid_request_error'],
    [413, 'too_large', 'request_too_large'],
    [429, 'rate_limited', 'rate_limit_error'],
    [500, 'internal', 'api_error'],
    [502, 'upstream_error', 'api_error'],
    [503, 'unavailable', 'overloaded_error'],
    [504, 'upstream_timeout', 'timeout_error'],
    [529, 'overloaded', 'overloaded_error'],
    [599, 'odd', 'api_error'],
    [500, 'overloaded_error', 'overloaded_error'],
  ])('encodes status %i (code %s) as %s', (status, code, type) => {
    expect(fmt.encodeError({ status, code, message: 'boom' })).toEqual({
      type: 'error',
      error: { type, message: 'boom' },
    });
  });

  it.each<[string, unknown, string | undefined]>([
    ['the recorded overloaded body', overloaded, 'Overloaded'],
    [
      'an encoded error',
      fmt.encodeError({ status: 401, code: 'x', message: 'invalid x-api-key' }),
      'invalid x-api-key',
    ],
    [
      "OpenAI's error shape",
      { error: { message: 'Incorrect API key', type: 'invalid_request_error' } },
      undefined,
    ],
    ['an error without a message', { type: 'error', error: { type: 'api_error' } }, undefined],
    ['a string', 'Internal Server Error', undefined],
    ['null', null, undefined],
  ])('decodes the message of %s', (_name, body, message) => {
    expect(fmt.decodeErrorMessage(body)).toBe(message);
  });
});
