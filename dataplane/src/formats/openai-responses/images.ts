import { TranslationError, type ImageSource } from '../ir';

/**
 * Responses carries images as one `image_url` string: a URL or a base64 data URL. The IR keeps
 * base64 apart from URLs because most other formats (Anthropic, Bedrock, Gemini) need the bytes.
 */

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

export function imageSourceOf(url: string, param: string): ImageSource {
  if (!url.startsWith('data:')) return { kind: 'url', url };
  const m = DATA_URL.exec(url);
  if (!m?.[1] || m[2] === undefined)
    throw new TranslationError(`'${param}' must be an http(s) URL or a base64 data URL.`, param);
  return { kind: 'base64', mediaType: m[1], data: m[2] };
}

export function imageUrlOf(source: ImageSource): string {
  return source.kind === 'url' ? source.url : `data:${source.mediaType};base64,${source.data}`;
}
