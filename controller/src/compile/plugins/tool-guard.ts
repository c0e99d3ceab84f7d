import type { CompiledToolGuard } from '@tollgate/protocol';
import type { PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { oneOf } from './fields';

type Spec = NonNullable<PolicyPlugins['toolGuard']>;

const SHA256 = /^[0-9a-f]{64}$/;
/** A DNS name (labels of letters, digits and inner hyphens), optionally `*.` before it. */
const HOST = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MAX_TOOL_NAME = 256;

export function compileToolGuard(status: StatusBuilder, at: string, spec: Spec): CompiledToolGuard {
  const mode = oneOf(status, `${at}.mode`, spec.mode, ['Enforce', 'Observe'] as const, 'Enforce');
  const pin = oneOf(status, `${at}.pin`, spec.pin, ['FirstSeen', 'Declared'] as const, 'FirstSeen');
  const pinned = compilePinned(status, `${at}.pinned`, spec.pinned);
  if (pin === 'Declared' && pinned.length === 0) {
    status.reject('Invalid', `${at}.pinned: must list at least one tool when pin is Declared`);
  }
  let detectHiddenInstructions = true;
  if (spec.detectHiddenInstructions !== undefined) {
    if (typeof spec.detectHiddenInstructions === 'boolean')
      detectHiddenInstructions = spec.detectHiddenInstructions;
    else status.reject('Invalid', `${at}.detectHiddenInstructions: must be true or false`);
  }
  const allowUrlHosts = compileHosts(status, `${at}.allowUrlHosts`, spec.allowUrlHosts);
  return { mode, pin, pinned, detectHiddenInstructions, allowUrlHosts };
}

/** Unique tools, sorted; fingerprints lower-cased. */
function compilePinned(status: StatusBuilder, field: string, values: unknown): CompiledToolGuard['pinned'] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    status.reject('Invalid', `${field}: must be a list`);
    return [];
  }
  const byTool = new Map<string, string>();
  for (const [i, raw] of (values as unknown[]).entries()) {
    const p = (typeof raw === 'object' && raw !== null ? raw : {}) as { tool?: unknown; sha256?: unknown };
    const { tool, sha256 } = p;
    if (typeof tool !== 'string' || tool.length === 0 || tool.length > MAX_TOOL_NAME) {
      status.reject(
        'Invalid',
        `${field}[${i}].tool: must be a tool name of 1 to ${MAX_TOOL_NAME} characters`,
      );
      continue;
    }
    const digest = typeof sha256 === 'string' ? sha256.toLowerCase() : '';
    if (!SHA256.test(digest)) {
      status.reject('Invalid', `${field}[${i}].sha256: must be 64 hexadecimal digits (a SHA-256)`);
      continue;
    }
    if (byTool.has(tool)) {
      status.reject('Invalid', `${field}[${i}].tool: '${tool}' is listed twice`);
      continue;
    }
    byTool.set(tool, digest);
  }
  return [...byTool]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([tool, sha256]) => ({ tool, sha256 }));
}

/** Lower-case, trailing dot dropped, unique, sorted. */
function compileHosts(status: StatusBuilder, field: string, values: unknown): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    status.reject('Invalid', `${field}: must be a list`);
    return [];
  }
  const out = new Set<string>();
  for (const [i, v] of (values as unknown[]).entries()) {
    const host = typeof v === 'string' ? v.toLowerCase().replace(/\.$/, '') : '';
    if (host.length === 0 || host.length > 253 || !HOST.test(host)) {
      status.reject(
        'Invalid',
        `${field}[${i}]: '${String(v)}' must be a host name, or *. followed by a domain`,
      );
      continue;
    }
    out.add(host);
  }
  return [...out].sort();
}
