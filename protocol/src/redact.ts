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
      const { apiKey, bedrock, mcp, ...rest } = r.body;
      const body: Record<string, unknown> = apiKey === undefined ? rest : { ...rest, apiKey: REDACTED };
      if (bedrock) {
        const { secretAccessKey, sessionToken, ...keep } = bedrock;
        body.bedrock = {
          ...keep,
          ...(secretAccessKey === undefined ? {} : { secretAccessKey: REDACTED }),
          ...(sessionToken === undefined ? {} : { sessionToken: REDACTED }),
        };
      }
      if (mcp)
        body.mcp =
          mcp.transport === 'Stdio'
            ? { ...mcp, env: redactValues(mcp.env) }
            : { ...mcp, headers: redactValues(mcp.headers) };
      return { ...r, body };
    }
    case 'Gateway': {
      const { mcp } = r.body;
      if (!mcp) return r;
      const sessionKeys = mcp.sessionKeys.map((k) => ({ id: k.id, key: REDACTED }));
      return { ...r, body: { ...r.body, mcp: { ...mcp, sessionKeys } } };
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
 * keys): what must never reach a caller, even echoed back by the upstream.
 */
export function registrySecrets(r: CompiledRegistry): string[] {
  const out: string[] = [];
  if (r.apiKey) out.push(r.apiKey);
  const b = r.bedrock;
  if (b?.accessKeyId) out.push(b.accessKeyId);
  if (b?.secretAccessKey) out.push(b.secretAccessKey);
  if (b?.sessionToken) out.push(b.sessionToken);
  if (r.mcp) out.push(...Object.values(r.mcp.transport === 'Stdio' ? r.mcp.env : r.mcp.headers));
  return out;
}

function redactValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED]));
}
