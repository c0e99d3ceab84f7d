import { fixtureJson } from '../../testing/codec';
import {
  bedrockConverseFormat as f,
  errorTypeForStatus,
  parseErrorType,
  streamExceptionForStatus,
} from './index';
import { BEDROCK_ERROR_STATUS } from './errors';

const fixture = (name: string) => fixtureJson(__dirname, name);

describe('bedrock-converse errors', () => {
  it('encodes the Bedrock error body', () => {
    expect(f.encodeError({ status: 429, code: 'rate_limited', message: 'Slow down.' })).toEqual({
      message: 'Slow down.',
    });
  });

  it.each<[string, unknown, string | undefined]>([
    ['message', fixture('error-throttling.json'), 'Too many requests, please wait before trying again.'],
    [
      'Message',
      fixture('error-validation.json'),
      'The model returned the following errors: messages: text content blocks must be non-empty',
    ],
    ['an OpenAI error body', { error: { message: 'x' } }, undefined],
    ['a string', 'Bad Gateway', undefined],
    ['a non-string message', { message: 42 }, undefined],
  ])('decodeErrorMessage reads %s', (_name, body, expected) => {
    expect(f.decodeErrorMessage(body)).toBe(expected);
  });

  it.each<[number, string]>([
    [400, 'ValidationException'],
    [401, 'UnrecognizedClientException'],
    [403, 'AccessDeniedException'],
    [404, 'ResourceNotFoundException'],
    [408, 'ModelTimeoutException'],
    [424, 'ModelErrorException'],
    [429, 'ThrottlingException'],
    [500, 'InternalServerException'],
    [502, 'InternalServerException'],
    [503, 'ServiceUnavailableException'],
    [422, 'ValidationException'],
  ])('status %i → x-amzn-ErrorType %s', (status, type) => {
    expect(errorTypeForStatus(status)).toBe(type);
    // the table of statuses agrees for the types it maps to
    if (status !== 401 && status !== 422 && status !== 502) expect(BEDROCK_ERROR_STATUS[type]).toBe(status);
  });

  it.each<[string | undefined, string | undefined]>([
    ['ThrottlingException', 'ThrottlingException'],
    ['ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/', 'ValidationException'],
    ['', undefined],
    [undefined, undefined],
  ])('parseErrorType(%s)', (header, type) => {
    expect(parseErrorType(header)).toBe(type);
  });

  it.each<[number, string]>([
    [400, 'validationException'],
    [424, 'modelStreamErrorException'],
    [429, 'throttlingException'],
    [503, 'serviceUnavailableException'],
    [500, 'internalServerException'],
    [401, 'internalServerException'],
  ])('a mid-stream failure with status %i is a %s event', (status, type) => {
    expect(streamExceptionForStatus(status)).toBe(type);
  });
});
