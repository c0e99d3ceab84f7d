import type { AnyResource } from './types';

/**
 * The one place that knows which compiled fields are secret. Used wherever compiled config is
 * shown to a person (config_dump, `tollgate compile`): credentials are replaced and API-key
 * digests reduced to a count.
 */
export function redactResource(r: AnyResource): unknown {
  switch (r.kind) {
    case 'Registry': {
      const { apiKey, mcp, ...rest } = r.body;
      const body: Record<string, unknown> = apiKey === undefined ? rest : { ...rest, apiKey: '[redacted]' };
      if (mcp) body.mcp = { ...mcp, headers: redactValues(mcp.headers) };
      return { ...r, body };
    }
    case 'Gateway': {
      const { mcp } = r.body;
      if (!mcp) return r;
      const sessionKeys = mcp.sessionKeys.map((k) => ({ id: k.id, key: '[redacted]' }));
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

function redactValues(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, '[redacted]']));
}
