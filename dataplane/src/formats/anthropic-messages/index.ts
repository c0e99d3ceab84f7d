import type { WireFormat } from '../ir';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';
import { decodeErrorMessage, encodeError } from './errors';
import { decodeResponse, encodeResponse } from './response';
import { streamDecoder } from './stream-decoder';
import { streamEncoder } from './stream-encoder';
import { usageOf, usageOfFrame } from './usage';

/** Anthropic's Messages API (POST /v1/messages), both as the client-facing and the upstream format. */
export const anthropicMessagesFormat: WireFormat = {
  name: 'anthropic-messages',
  decodeRequest,
  encodeResponse,
  streamEncoder: () => streamEncoder(),
  encodeError,
  encodeRequest,
  decodeResponse,
  streamDecoder,
  decodeErrorMessage,
  usageOf,
  usageOfFrame,
};

export { DEFAULT_MAX_TOKENS } from './encode-request';
