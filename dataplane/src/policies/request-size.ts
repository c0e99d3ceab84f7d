import type { CompiledRequestSize } from '@tollgate/protocol';
import { GatewayError } from '../errors/errors';
import type { Plugin } from './types';

/**
 * The `requestSize` plugin. `maxBodyBytes` is enforced while the body is read (the snapshot makes it
 * the consumer's body limit, so an oversized body is refused by Content-Length or as soon as it
 * passes the limit, never buffered whole); `maxMessages` is checked here, after parsing.
 *
 * Too many messages is a 413 (code `too_many_messages`): the request is well-formed but larger than
 * this consumer may send, which is what 413 says and what a 400 (malformed) does not; a client that
 * sees 413 knows to shorten the conversation rather than fix its request.
 */
export function createRequestSize(config: CompiledRequestSize): Plugin {
  const max = config.maxMessages;
  if (max === undefined) return { name: 'requestSize' };
  return {
    name: 'requestSize',
    preRequest(req) {
      if (req.operation !== 'chat.completions') return;
      const messages = req.body?.messages;
      if (Array.isArray(messages) && messages.length > max) throw tooManyMessages(messages.length, max);
    },
  };
}

function tooManyMessages(count: number, max: number): GatewayError {
  return new GatewayError(
    413,
    'too_many_messages',
    `The request has ${count} messages; at most ${max} are allowed.`,
  );
}
