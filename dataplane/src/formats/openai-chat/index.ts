import type { WireFormat } from '../ir';
import { decodeErrorMessage, encodeError } from './errors';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';
import { decodeResponse, encodeResponse } from './response';
import { streamDecoder, streamEncoder } from './stream';
import { usageOf, usageOfFrame } from './usage';

export { wantsStreamUsage } from './usage';
export { UNTRANSLATED_FIELDS } from './decode-request';

/** OpenAI Chat Completions (`POST /v1/chat/completions`), also spoken by most compatible servers. */
export const openAIChatFormat: WireFormat = {
  name: 'openai-chat',
  decodeRequest,
  encodeResponse,
  streamEncoder,
  encodeError,
  encodeRequest,
  decodeResponse,
  streamDecoder,
  decodeErrorMessage,
  usageOf,
  usageOfFrame,
};
