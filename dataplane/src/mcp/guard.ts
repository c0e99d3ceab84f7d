import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { isObject, type Json } from '../formats/wire';
import type { ToolGuard } from '../policies/tool-guard/guard';
import { MCP_ERRORS, McpError } from './jsonrpc';

/**
 * The consumer's tool guard (a `toolGuard` Policy) in the MCP plane: a tools/list page is
 * inspected after prefixing, RBAC and aliases (names as the client sees them), and a tools/call is
 * checked before it goes upstream. Scope: the consumer's resource name.
 */
export interface McpToolGuard {
  guard: ToolGuard;
  scope: string;
}

/** The items of a tools/list page the client may see (Enforce drops blocked tools; Observe reports). */
export function guardList(items: Json[], g: McpToolGuard | undefined): Json[] {
  if (!g) return items;
  const tools = items.filter((t): t is Json & Tool => isObject(t) && typeof t.name === 'string');
  return g.guard.inspect(tools, g.scope).allowed as unknown as Json[];
}

/**
 * Refuses a call the guard blocks (a JSON-RPC error with the guard's message, nothing sent
 * upstream). A tool this replica has not inspected yet (a session begun on another replica) is
 * inspected first, from `listOwner` (the owning server's tools, listed through `guardList`).
 */
export async function guardCall(
  visible: string,
  g: McpToolGuard | undefined,
  listOwner: () => Promise<void>,
): Promise<void> {
  if (!g) return;
  let d = g.guard.checkCall(visible, g.scope);
  if (d.allowed && !d.inspected && g.guard.enforcing) {
    await listOwner();
    d = g.guard.checkCall(visible, g.scope);
  }
  if (!d.allowed) throw new McpError(MCP_ERRORS.InvalidParams, d.message);
}
