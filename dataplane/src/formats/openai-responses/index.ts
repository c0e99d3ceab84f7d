import type { WireFormat } from '../ir';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';
import { decodeErrorMessage, encodeError } from './errors';
import { decodeResponse, encodeResponse } from './response';
import { streamDecoder } from './stream-decoder';
import { streamEncoder } from './stream-encoder';
import { usageOf, usageOfFrame } from './usage';

/**
 * OpenAI's Responses API (`POST /v1/responses`), stateless: requests that need stored responses or
 * conversations are refused. `encodeResponse` and `streamEncoder` also take the decoded request,
 * optionally, to echo its settings in the Response object as OpenAI does.
 */
export const openAIResponsesFormat: WireFormat = {
  name: 'openai-responses',
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

export { decodeRequest, encodeRequest, encodeResponse, decodeResponse, streamEncoder, streamDecoder };
