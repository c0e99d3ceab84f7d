import type { ApprovalResult } from './types';

/**
 * What a client is told when a held tool call is not approved (the MCP plane's JSON-RPC error
 * message): who refused it and why, or that nobody answered in time. A pure function.
 */
export function denialMessage(tool: string, result: ApprovalResult): string {
  if (result.timedOut)
    return `The call to '${tool}' was not approved: no decision in time (${result.reason ?? 'timed out'}).`;
  const by = result.by ? ` by ${result.by}` : '';
  const why = result.reason ? `: ${result.reason}` : '';
  return `The call to '${tool}' was denied${by}${why}.`;
}
