import { isObject, type Json } from '../formats/wire';
import type { JsonRpcRequest } from './jsonrpc';
import { decodeCursor, encodeCursor } from './cursor';
import { request, usable, type MuxContext } from './forward';
import { guardList } from './guard';
import type { McpNames, NamedServer } from './names';

export const LISTS: Record<string, { key: string; kind: 'tool' | 'prompt' | 'resource'; field: string }> = {
  'tools/list': { key: 'tools', kind: 'tool', field: 'name' },
  'prompts/list': { key: 'prompts', kind: 'prompt', field: 'name' },
  'resources/list': { key: 'resources', kind: 'resource', field: 'uri' },
  'resources/templates/list': { key: 'resourceTemplates', kind: 'resource', field: 'uriTemplate' },
};

/** Lists from every server, names prefixed and filtered; the cursor holds each server's own cursor. */
export async function listAll(
  req: JsonRpcRequest,
  list: (typeof LISTS)[string],
  ctx: MuxContext,
): Promise<Json> {
  const cursor = typeof req.params.cursor === 'string' ? decodeCursor(req.params.cursor) : undefined;
  const servers = usable(ctx).filter((s) => !cursor || cursor.has(s.named.registry));
  const pages = await Promise.all(
    servers.map(async (s) => {
      const own = cursor?.get(s.named.registry);
      const params = { ...req.params, ...(own !== undefined ? { cursor: own } : {}) };
      if (own === undefined) delete params.cursor;
      const result = await request(s, { ...req, params }, ctx, { missingMethodIsEmpty: true });
      return { s, result };
    }),
  );
  const items: Json[] = [];
  const next: [string, string][] = [];
  for (const { s, result } of pages) {
    if (!result) continue;
    const got = Array.isArray(result[list.key]) ? (result[list.key] as unknown[]) : [];
    for (const item of got) {
      if (!isObject(item) || typeof item[list.field] !== 'string') continue;
      const own = item[list.field] as string;
      const mapped = mapListItem(item, own, s.named, list.kind, ctx.names, list.field);
      if (mapped) items.push(mapped);
    }
    if (typeof result.nextCursor === 'string') next.push([s.named.registry, result.nextCursor]);
  }
  const shown = list.kind === 'tool' ? guardList(items, ctx.toolGuard) : items;
  const result: Json = { [list.key]: shown };
  if (next.length > 0) result.nextCursor = encodeCursor(next);
  return { jsonrpc: '2.0', id: req.id, result };
}

function mapListItem(
  item: Json,
  own: string,
  server: NamedServer,
  kind: 'tool' | 'prompt' | 'resource',
  names: McpNames,
  field: string,
): Json | undefined {
  if (kind === 'resource') {
    const prefixed = names.exposeUri(server, own);
    return names.allows('resource', prefixed) ? { ...item, [field]: prefixed } : undefined;
  }
  const prefixed = names.expose(server, own);
  if (!names.allows(kind, prefixed)) return undefined;
  return { ...item, [field]: kind === 'tool' ? names.exposeTool(server, own) : prefixed };
}
