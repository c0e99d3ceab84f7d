import type { ErrorInfo } from '../ir';
import { openAIChatFormat as fmt } from './index';
import { fixtureJson } from '../../testing/codec';

const fixture = (name: string) => fixtureJson(__dirname, name);

describe('openai-chat encodeError', () => {
  it.each<[number, string]>([
    [400, 'invalid_request_error'],
    [401, 'invalid_request_error'],
    [403, 'permission_error'],
    [404, 'invalid_request_error'],
    [405, 'invalid_request_error'],
    [413, 'invalid_request_error'],
    [415, 'invalid_request_error'],
    [429, 'requests'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
  ])('status %i → type %s', (status, type) => {
    const e: ErrorInfo = { status, code: 'some_code', message: 'went wrong' };
    expect(fmt.encodeError(e)).toStrictEqual({
      error: { message: 'went wrong', type, param: null, code: 'some_code' },
    });
  });

  it('carries the param of a translation error', () => {
    const e: ErrorInfo = {
      status: 400,
      code: 'unsupported_parameter',
      message: 'no',
      param: 'messages[2].content[0]',
    };
    expect(fmt.encodeError(e)).toStrictEqual({
      error: {
        message: 'no',
        type: 'invalid_request_error',
        param: 'messages[2].content[0]',
        code: 'unsupported_parameter',
      },
    });
  });
});

describe('openai-chat decodeErrorMessage', () => {
  it.each<[string, unknown, string | undefined]>([
    ['an OpenAI 429', fixture('error-429.json'), 'Rate limit reached for gpt-4o in organization org-abc123'],
    ['an OpenAI 401', fixture('error-401.json'), 'Incorrect API key provided'],
    [
      'Ollama: error as a string',
      { error: 'model "llama9" not found, try pulling it first' },
      'model "llama9" not found',
    ],
    [
      'vLLM / Mistral: a top-level message',
      { object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', param: null, code: '1300' },
      'Rate limit exceeded',
    ],
    ['a detail string', { detail: 'Not Found' }, 'Not Found'],
    [
      'FastAPI validation details',
      { detail: [{ loc: ['body', 'messages'], msg: 'field required', type: 'value_error.missing' }] },
      'field required',
    ],
    ['not an error body', { id: 'chatcmpl-1', choices: [] }, undefined],
    ['not an object', 'Bad Gateway', undefined],
    ['null', null, undefined],
  ])('%s', (_name, body, expected) => {
    const got = fmt.decodeErrorMessage(body);
    if (expected === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(expected);
  });
});
