import type { Frame, Usage, WireFormat } from '../ir';
import { isObject } from '../wire';
import { decodeErrorMessage, encodeError } from './errors';
import { decodeRequest, encodeRequest } from './request';
import { decodeResponse, encodeResponse } from './response';
import { BedrockStreamDecoder, BedrockStreamEncoder } from './stream';
import { usageFromBedrock } from './usage';

/**
 * Amazon Bedrock's Converse API (`/model/{modelId}/converse` and `/converse-stream`). The model id,
 * streaming, SigV4 signing and the event-stream framing belong to the provider
 * (providers/aws/eventstream.ts, providers/aws/sigv4.ts); this codec handles the JSON bodies and the
 * events carried in the frames.
 */
export const bedrockConverseFormat: WireFormat = {
  name: 'bedrock-converse',
  decodeRequest,
  encodeResponse,
  // Bedrock always reports usage (the metadata event); there is no opt-in to honour.
  streamEncoder: () => new BedrockStreamEncoder(),
  encodeError,
  encodeRequest,
  decodeResponse,
  streamDecoder: () => new BedrockStreamDecoder(),
  decodeErrorMessage,
  usageOf: (body) => (isObject(body) ? usageFromBedrock(body.usage) : undefined),
  usageOfFrame,
};

/** Only the `metadata` event carries usage; a frame that is not JSON carries none. */
function usageOfFrame(f: Frame): Partial<Usage> | undefined {
  if (f.event !== 'metadata') return undefined;
  try {
    const v = JSON.parse(f.data) as unknown;
    return isObject(v) ? usageFromBedrock(v.usage) : undefined;
  } catch {
    return undefined;
  }
}

export { errorTypeForStatus, parseErrorType, streamExceptionForStatus, BEDROCK_ERROR_STATUS } from './errors';
