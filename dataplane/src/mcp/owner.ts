import type { CompiledConsumerMcp } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import type { McpNames } from './names';

/**
 * The registry a client message is addressed to, for logs and metric labels: the server owning the
 * named tool, prompt or resource; undefined for messages every server gets (initialize, lists) and
 * for names no server owns. Config names only, so labels stay bounded.
 */
export function ownerOf(method: string, params: Json, names: McpNames): string | undefined {
  switch (method) {
    case 'tools/call':
      return names.resolveTool(String(params.name ?? ''))?.server.registry;
    case 'prompts/get':
      return names.resolvePrompt(String(params.name ?? ''))?.server.registry;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return names.resolveUri(String(params.uri ?? ''))?.server.registry;
    case 'completion/complete': {
      const ref = isObject(params.ref) ? params.ref : {};
      if (ref.type === 'ref/prompt') return names.resolvePrompt(String(ref.name ?? ''))?.server.registry;
      if (ref.type === 'ref/resource') return names.resolveUri(String(ref.uri ?? ''))?.server.registry;
      return undefined;
    }
    default:
      return undefined;
  }
}

const OTHER = 'other';
const known = new WeakMap<CompiledConsumerMcp, ReadonlySet<string>>();

/**
 * A tool's label on the duration histogram: its prefixed name when the consumer's config names it
 * literally (a `tools.allow` or `requireApproval` entry without `*` or `?`, an `exposeAs` tool),
 * `other` otherwise. Tool names come from servers and callers; only config-known ones become
 * labels, so a server with thousands of tools (or a caller inventing names) cannot blow up the
 * series count. List tools by name in `tools.allow` to see them apart.
 */
export function toolLabel(mcp: CompiledConsumerMcp, prefixed: string): string {
  let names = known.get(mcp);
  if (!names) {
    const literal = (g: string) => !g.includes('*') && !g.includes('?');
    names = new Set([
      ...mcp.tools.allow.filter(literal),
      ...mcp.requireApproval.filter(literal),
      ...Object.keys(mcp.exposeAs),
    ]);
    known.set(mcp, names);
  }
  return names.has(prefixed) ? prefixed : OTHER;
}
