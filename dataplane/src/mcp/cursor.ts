import { MCP_ERRORS, McpError } from './jsonrpc';

/** Cursor: base64url JSON of [registry, that server's cursor] pairs, for the servers with more. */
export function encodeCursor(next: [string, string][]): string {
  return Buffer.from(JSON.stringify(next)).toString('base64url');
}

export function decodeCursor(cursor: string): Map<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (
    !Array.isArray(v) ||
    !v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))
  )
    throw new McpError(MCP_ERRORS.InvalidParams, 'Invalid cursor');
  return new Map(v as [string, string][]);
}
