import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** Deeper definitions are refused (a schema nests a few levels; a hostile one could nest thousands). */
export const MAX_DEPTH = 64;

/** A tool definition that cannot be fingerprinted (nested deeper than MAX_DEPTH, or not JSON). */
export class MalformedToolError extends Error {}

/**
 * The parts of a tool that are pinned, i.e. everything the model reads or that says what the tool
 * does: `name` (as the client sees it, server prefix included), `title`, `description`,
 * `inputSchema`, `outputSchema` and `annotations` (the hints a client shows and acts on, such as
 * `destructiveHint`). Left out: `_meta` (servers put volatile data there), `icons` (cosmetic) and
 * `execution` (how a call is run, not what it does). Absent parts are absent from the hash input.
 */
const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/**
 * SHA-256 (lower-case hex) of the canonical JSON of the tool's pinned fields: object keys sorted at
 * every level, no whitespace, `undefined` members dropped, so the same definition always hashes the
 * same however its server orders its keys. Throws MalformedToolError for a definition nested deeper
 * than MAX_DEPTH or holding something JSON cannot carry (a function, a bigint, a cycle).
 */
export function fingerprint(tool: Tool): string {
  const pinned: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if (tool[field] !== undefined) pinned[field] = tool[field];
  return createHash('sha256').update(canonicalJson(pinned)).digest('hex');
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new MalformedToolError(`nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MalformedToolError('holds a number JSON cannot carry');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v, depth + 1))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .flatMap((k) => {
        const v = (value as Record<string, unknown>)[k];
        return v === undefined ? [] : [`${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`];
      });
    return `{${entries.join(',')}}`;
  }
  throw new MalformedToolError(`holds a ${typeof value}, which JSON cannot carry`);
}
