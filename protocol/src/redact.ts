import type { AnyResource, CompiledRegistry } from './types';

/** What a secret is replaced with wherever it would be shown. */
export const REDACTED = '[redacted]';

/**
 * The one place that knows which compiled fields are secret. Used wherever compiled config is
 * shown to a person (config_dump, `tollgate compile`): credentials are replaced and API-key
 * digests reduced to a count.
 */
export function redactResource(r: AnyResource): unknown {
  switch (r.kind) {
    case 'Registry': {
      const { apiKey, bedrock, mcp, a2a, ...rest } = r.body;
      const body: Record<string, unknown> = apiKey === undefined ? rest : { ...rest, apiKey: REDACTED };
      if (bedrock) {
        const { secretAccessKey, sessionToken, ...keep } = bedrock;
        body.bedrock = {
          ...keep,
          ...(secretAccessKey === undefined ? {} : { secretAccessKey: REDACTED }),
          ...(sessionToken === undefined ? {} : { sessionToken: REDACTED }),
        };
      }
      if (mcp) body.mcp = { ...mcp, headers: redactValues(mcp.headers) };
      if (a2a) body.a2a = { ...a2a, headers: redactValues(a2a.headers) };
      return { ...r, body };
    }
    case 'Gateway': {
      let body = r.body;
      if (body.mcp) {
        const sessionKeys = body.mcp.sessionKeys.map((k) => ({ id: k.id, key: REDACTED }));
        body = { ...body, mcp: { ...body.mcp, sessionKeys } };
      }
      const approvals = body.approvals;
      if (approvals?.webhook) {
        body = {
          ...body,
          approvals: { ...approvals, webhook: { ...approvals.webhook, signingKey: REDACTED } },
        };
      }
      return body === r.body ? r : { ...r, body };
    }
    case 'Consumer': {
      const { apiKeyHashes, ...rest } = r.body;
      return { ...r, body: { ...rest, apiKeys: apiKeyHashes.length } };
    }
    default:
      return r;
  }
}

/**
 * Every credential value a compiled Registry carries (its API key or service-account key, its AWS
 * keys, an A2A agent's header values): what must never reach a caller, even echoed back by the upstream.
 */
export function registrySecrets(r: CompiledRegistry): string[] {
  const out: string[] = [];
  if (r.apiKey) out.push(r.apiKey);
  const b = r.bedrock;
  if (b?.accessKeyId) out.push(b.accessKeyId);
  if (b?.secretAccessKey) out.push(b.secretAccessKey);
  if (b?.sessionToken) out.push(b.sessionToken);
  if (r.mcp) out.push(...Object.values(r.mcp.headers));
  for (const v of Object.values(r.a2a?.headers ?? {})) if (v) out.push(v);
  return out;
}

function redactValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
}
