import { isObject, type Json } from '../formats/wire';

/**
 * A request's params as sent to a server over a connection the gateway shares between callers
 * (stdio, legacy SSE): a progress token replaced by `tg-{id}` (the gateway's own request id), so
 * two callers' tokens never collide; the caller's token is returned to map progress back.
 */
export function withGatewayProgressToken(
  message: Json,
  id: number,
): { params: Json | undefined; progressToken: unknown } {
  const params = isObject(message.params) ? { ...message.params } : undefined;
  const meta = params && isObject(params._meta) ? { ...params._meta } : undefined;
  const progressToken = meta?.progressToken;
  if (params && meta && progressToken !== undefined) {
    meta.progressToken = `tg-${id}`;
    params._meta = meta;
  }
  return { params, progressToken };
}
