import type { WireFormat } from '../ir';
import { decodeErrorMessage, encodeError } from './errors';
import { decodeRequest, encodeRequest, type EncodeOptions } from './request';
import { decodeResponse, encodeResponse } from './response';
import { streamDecoder, streamEncoder } from './stream';
import { usageOf, usageOfFrame } from './usage';

/**
 * Google Gemini's generateContent / streamGenerateContent format, shared by the Gemini API and
 * Vertex AI. The model and streaming are in the request path, not the body: decodeRequest returns
 * `model: ''` and `stream: false` for the caller to set; encodeRequest leaves both out.
 */
export function createGeminiFormat(opts: EncodeOptions = { functionCallIds: true }): WireFormat {
  return {
    name: 'gemini',
    decodeRequest,
    encodeResponse,
    streamEncoder: () => streamEncoder(),
    encodeError,
    encodeRequest: (req) => encodeRequest(req, opts),
    decodeResponse,
    streamDecoder,
    decodeErrorMessage,
    usageOf,
    usageOfFrame,
  };
}

export const geminiFormat: WireFormat = createGeminiFormat();

/** For Vertex AI endpoints that reject `functionCall.id` / `functionResponse.id`. */
export const geminiFormatWithoutCallIds: WireFormat = createGeminiFormat({ functionCallIds: false });

export { DUMMY_THOUGHT_SIGNATURE, type EncodeOptions } from './request';
export { statusName } from './errors';
