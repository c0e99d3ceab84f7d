import { hkdfSync } from 'node:crypto';
import type {
  CompiledConsumerMcp,
  CompiledGatewayMcp,
  CompiledMcpFilter,
  CompiledMcpServer,
} from '@tollgate/protocol';
import type { ConsumerMcp, GatewaySpec, McpFilter, NamedValue, RegistrySpec } from '../api/v1alpha1';
import { durationMs } from './common';
import type { Refs } from './memo';
import { compileMcpOAuth } from './oauth';
import type { StatusBuilder } from './status';

/** What compile is told about where its output runs. */
export interface CompileOptions {
  /**
   * Standalone mode (`tollgate run`): the proxy runs on the operator's own machine, so an MCP
   * Registry may start a local command (transport Stdio). The controller refuses it: a cluster's
   * proxies must never run commands taken from custom resources.
   */
  standalone?: boolean;
}

export const MCP_SESSION_DEFAULTS = { sessionTtlMs: 24 * 3_600_000, idleTimeoutMs: 3_600_000 };
const MIN_KEY_CHARS = 32;
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 30 * 24 * 3_600_000;

/**
 * A Gateway's MCP session keys, each derived (HKDF-SHA256, salt and info fixed) to the 32 bytes
 * AES-256-GCM takes, so the Secret may hold any string of at least 32 characters. Undefined when
 * the Gateway sets no keys or one of their Secrets is missing (the Gateway's other traffic goes on).
 */
export function compileGatewayMcp(
  status: StatusBuilder,
  spec: GatewaySpec['mcp'],
  refs: Pick<Refs, 'secret'>,
): CompiledGatewayMcp | undefined {
  if (spec === undefined) return undefined;
  const sessionKeys: CompiledGatewayMcp['sessionKeys'] = [];
  const ids = new Set<string>();
  let missing = false;
  for (const [i, k] of (spec.sessionKeys ?? []).entries()) {
    const at = `spec.mcp.sessionKeys[${i}]`;
    if (typeof k.id !== 'string' || !/^[A-Za-z0-9_-]{1,16}$/.test(k.id))
      status.reject('Invalid', `${at}.id: 1 to 16 letters, digits, '_' or '-'`);
    else if (ids.has(k.id)) status.reject('Invalid', `${at}.id: '${k.id}' is used twice`);
    ids.add(k.id);
    const found = refs.secret(status.namespace, k.secretRef, `${at}.secretRef`);
    if (!found.ok) {
      status.unresolvedRef(found.reason, found.message);
      missing = true;
      continue;
    }
    const material = found.value.trim();
    if (material.length < MIN_KEY_CHARS) {
      status.reject(
        'Invalid',
        `${at}.secretRef: the key must be at least ${MIN_KEY_CHARS} characters (e.g. openssl rand -base64 32)`,
      );
      continue;
    }
    const key = Buffer.from(hkdfSync('sha256', material, 'tollgate.dev/mcp-session', k.id, 32));
    sessionKeys.push({ id: k.id, key: key.toString('base64') });
  }
  if ((spec.sessionKeys ?? []).length === 0)
    status.reject('Invalid', 'spec.mcp.sessionKeys: at least one key is required');
  const ttl = (field: 'sessionTtl' | 'idleTimeout', fallback: number) => {
    const ms = durationMs(status, `spec.mcp.${field}`, spec[field], fallback);
    if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) status.reject('Invalid', `spec.mcp.${field}: must be 1m to 30d`);
    return ms;
  };
  const sessionTtlMs = ttl('sessionTtl', MCP_SESSION_DEFAULTS.sessionTtlMs);
  const idleTimeoutMs = ttl('idleTimeout', MCP_SESSION_DEFAULTS.idleTimeoutMs);
  if (missing || sessionKeys.length === 0) return undefined;
  return { sessionKeys, sessionTtlMs, idleTimeoutMs };
}

/** A Registry's `spec.mcp`: checked for every provider, compiled for provider mcp. */
export function compileMcpServer(
  status: StatusBuilder,
  spec: RegistrySpec,
  refs: Pick<Refs, 'secret'>,
  options: CompileOptions,
): CompiledMcpServer | undefined {
  const mcp = spec.mcp;
  if (spec.provider !== 'mcp') {
    if (mcp !== undefined) status.reject('Invalid', "spec.mcp: only allowed when spec.provider is 'mcp'");
    return undefined;
  }
  if (mcp === undefined) {
    status.reject('Invalid', "spec.mcp: required for provider 'mcp'");
    return undefined;
  }
  if (spec.baseUrl !== undefined)
    status.reject('Invalid', 'spec.baseUrl: not used by provider mcp; set spec.mcp.url');
  if (spec.models !== undefined) status.reject('Invalid', 'spec.models: not used by provider mcp');
  if (spec.healthCheck !== undefined)
    status.reject('Unsupported', 'spec.healthCheck: not supported for provider mcp yet');
  const transport = mcp.transport ?? 'StreamableHTTP';
  if (transport === 'Stdio') {
    if (mcp.url !== undefined || mcp.headers !== undefined)
      status.reject('Invalid', 'spec.mcp: url and headers are not used by transport Stdio');
    if (mcp.command === undefined) status.reject('Invalid', 'spec.mcp.command: required for transport Stdio');
    if (!options.standalone) {
      status.reject(
        'Unsupported',
        'spec.mcp.transport: Stdio starts a local command and is allowed in standalone mode (tollgate run) only',
      );
      return undefined;
    }
    const env = namedValues(status, 'spec.mcp.env', mcp.env, refs);
    // Variable names as given (environments are case-sensitive): namedValues lower-cases header names.
    const named = Object.fromEntries(
      (mcp.env ?? []).map((e) => [String(e.name), env[String(e.name).toLowerCase()] ?? '']),
    );
    if (mcp.command === undefined) return undefined;
    return { transport: 'Stdio', command: mcp.command, args: mcp.args ?? [], env: named };
  }
  if (mcp.command !== undefined || mcp.args !== undefined || mcp.env !== undefined)
    status.reject('Invalid', `spec.mcp: command, args and env are only used by transport Stdio`);
  if (transport !== 'StreamableHTTP' && transport !== 'SSE')
    status.reject('Invalid', `spec.mcp.transport: '${String(transport)}' is not a transport`);
  const url = mcp.url ?? '';
  if (!/^https?:\/\/[^/\s?#]+/.test(url))
    status.reject(
      'Invalid',
      transport === 'SSE'
        ? 'spec.mcp.url: required, an http(s) URL (the server’s SSE stream, e.g. https://tools.example.com/sse)'
        : 'spec.mcp.url: required, an http(s) URL (the server’s MCP endpoint)',
    );
  const headers = namedValues(status, 'spec.mcp.headers', mcp.headers, refs);
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADERS.has(name))
      status.reject('Invalid', `spec.mcp.headers: '${name}' is set by the gateway itself`);
  }
  return {
    transport: transport === 'SSE' ? 'SSE' : 'StreamableHTTP',
    url,
    headers,
  } satisfies CompiledMcpServer;
}

/** Headers the MCP transport itself sends: a Registry may not override them. */
const RESERVED_HEADERS = new Set([
  'mcp-session-id',
  'mcp-protocol-version',
  'content-type',
  'accept',
  'content-length',
  'host',
]);

function namedValues(
  status: StatusBuilder,
  field: string,
  list: NamedValue[] | undefined,
  refs: Pick<Refs, 'secret'>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, h] of (list ?? []).entries()) {
    const at = `${field}[${i}]`;
    const name = String(h.name).toLowerCase();
    if (name in out) status.reject('Invalid', `${at}.name: '${h.name}' is set twice`);
    if ((h.value === undefined) === (h.secretRef === undefined)) {
      status.reject('Invalid', `${at}: set exactly one of value or secretRef`);
      continue;
    }
    if (h.secretRef) {
      const found = refs.secret(status.namespace, h.secretRef, `${at}.secretRef`);
      if (found.ok) out[name] = found.value.trim();
      else status.unresolvedRef(found.reason, found.message);
    } else out[name] = h.value ?? '';
  }
  return out;
}

/** A Consumer's `spec.mcp`, servers resolved: each must be a usable Registry of provider mcp. */
export function compileConsumerMcp(
  status: StatusBuilder,
  spec: ConsumerMcp | undefined,
  refs: Pick<Refs, 'registry'>,
  hasJwtIssuers = false,
): CompiledConsumerMcp | undefined {
  if (spec === undefined) return undefined;
  const ns = status.namespace;
  const list = spec.servers ?? [];
  if (list.length === 0) status.reject('Invalid', 'spec.mcp.servers: at least one server is required');
  const servers: CompiledConsumerMcp['servers'] = [];
  const prefixes = new Set<string>();
  const registries = new Set<string>();
  for (const [i, s] of list.entries()) {
    const at = `spec.mcp.servers[${i}]`;
    const prefix = s.prefix ?? '';
    if (prefix === '' && list.length > 1)
      status.reject('Invalid', `${at}.prefix: required when the consumer has more than one server`);
    else if (prefix !== '' && !/^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(prefix))
      status.reject('Invalid', `${at}.prefix: letters, digits and '-', starting with a letter, at most 32`);
    if (prefixes.has(prefix)) status.reject('Invalid', `${at}.prefix: '${prefix}' is used twice`);
    prefixes.add(prefix);
    const name = `${ns}/${s.registryRef?.name}`;
    if (registries.has(name))
      status.reject('Invalid', `${at}.registryRef: Registry '${s.registryRef?.name}' is listed twice`);
    registries.add(name);
    const registry = refs.registry(name);
    if (typeof registry === 'string') {
      const reason = registry === 'rejected' ? 'RefNotAccepted' : 'RefNotFound';
      const what = reason === 'RefNotFound' ? 'not found' : 'is not usable (see its conditions)';
      status.unresolvedRef(reason, `${at}.registryRef: Registry '${s.registryRef?.name}' ${what}`);
      continue;
    }
    if (registry.provider !== 'mcp') {
      status.reject(
        'Invalid',
        `${at}.registryRef: Registry '${s.registryRef?.name}' is not an MCP server (provider ${registry.provider})`,
      );
      continue;
    }
    servers.push({ registry: name, prefix });
  }
  const exposeAs: Record<string, string> = {};
  const aliases = new Set<string>();
  for (const [i, e] of (spec.exposeAs ?? []).entries()) {
    const at = `spec.mcp.exposeAs[${i}]`;
    if (e.tool in exposeAs) status.reject('Invalid', `${at}.tool: '${e.tool}' is aliased twice`);
    if (aliases.has(e.as)) status.reject('Invalid', `${at}.as: '${e.as}' is used twice`);
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(e.as))
      status.reject('Invalid', `${at}.as: letters, digits, '_', '.' and '-', at most 128`);
    aliases.add(e.as);
    exposeAs[e.tool] = e.as;
  }
  const oauth = compileMcpOAuth(status, spec.oauth, hasJwtIssuers);
  return {
    servers,
    tools: filter(spec.tools),
    prompts: filter(spec.prompts),
    resources: filter(spec.resources),
    exposeAs,
    requireApproval: [...new Set(spec.requireApproval ?? [])],
    onServerDown: spec.onServerDown ?? 'FailOpen',
    ...(oauth ? { oauth } : {}),
  };
}

function filter(f: McpFilter | undefined): CompiledMcpFilter {
  return { allow: [...new Set(f?.allow ?? [])], deny: [...new Set(f?.deny ?? [])] };
}
