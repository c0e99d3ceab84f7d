/**
 * The agent card as a caller of the gateway sees it: every JSON-RPC interface points at the
 * gateway's own URL for this consumer and agent, interfaces the gateway does not relay (gRPC,
 * HTTP+JSON) are left out, and the agent's security schemes are replaced by the gateway's (the
 * consumer's API key as `Authorization: Bearer` or `x-api-key`). Signatures are dropped: they sign
 * the agent's own card, which this no longer is.
 *
 * Both card generations are served as they come: v0.3 (top-level `url`, `preferredTransport`,
 * `additionalInterfaces`, OpenAPI-style `securitySchemes` with `type`, `security`) and v1.0
 * (`supportedInterfaces`, proto-JSON `securitySchemes`, `securityRequirements`).
 */

type Json = Record<string, unknown>;

export const BEARER_SCHEME = 'tollgateBearer';
export const API_KEY_SCHEME = 'tollgateApiKey';
const DESCRIPTION = "The consumer's Tollgate API key";
const JSONRPC = 'JSONRPC';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A v0.3 card names its endpoint at the top level; a v1.0 card only in supportedInterfaces. */
export function isLegacyCard(card: Json): boolean {
  return typeof card.url === 'string' || typeof card.protocolVersion === 'string';
}

export type CardRewrite = { ok: true; card: Json } | { ok: false; reason: string };

export function rewriteCard(card: unknown, gatewayUrl: string): CardRewrite {
  if (!isObject(card)) return { ok: false, reason: 'the agent card is not a JSON object' };
  const out: Json = { ...card };
  delete out.signatures;
  const legacy = isLegacyCard(card);
  const interfaces = jsonRpcInterfaces(card.supportedInterfaces, gatewayUrl);
  if (interfaces !== undefined) out.supportedInterfaces = interfaces;
  if (legacy) {
    const transport = typeof card.preferredTransport === 'string' ? card.preferredTransport : JSONRPC;
    const additional = Array.isArray(card.additionalInterfaces) ? card.additionalInterfaces : [];
    const speaksJsonRpc =
      transport.toUpperCase() === JSONRPC ||
      additional.some((i) => isObject(i) && String(i.transport).toUpperCase() === JSONRPC);
    if (!speaksJsonRpc) return { ok: false, reason: 'the agent offers no JSON-RPC interface' };
    out.url = gatewayUrl;
    out.preferredTransport = JSONRPC;
    if (card.additionalInterfaces !== undefined)
      out.additionalInterfaces = [{ url: gatewayUrl, transport: JSONRPC }];
    out.securitySchemes = {
      [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: DESCRIPTION },
      [API_KEY_SCHEME]: { type: 'apiKey', in: 'header', name: 'x-api-key', description: DESCRIPTION },
    };
    out.security = [{ [BEARER_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }];
    delete out.securityRequirements;
  } else {
    if (!interfaces || interfaces.length === 0)
      return { ok: false, reason: 'the agent offers no JSON-RPC interface' };
    out.securitySchemes = {
      [BEARER_SCHEME]: { httpAuthSecurityScheme: { scheme: 'Bearer', description: DESCRIPTION } },
      [API_KEY_SCHEME]: {
        apiKeySecurityScheme: { location: 'header', name: 'x-api-key', description: DESCRIPTION },
      },
    };
    out.securityRequirements = [
      { schemes: { [BEARER_SCHEME]: { list: [] } } },
      { schemes: { [API_KEY_SCHEME]: { list: [] } } },
    ];
    delete out.security;
  }
  if (Array.isArray(card.skills)) out.skills = card.skills.map(withoutSkillSecurity);
  return { ok: true, card: out };
}

/** The JSON-RPC entries of a v1.0 interface list, pointed at the gateway; undefined when absent. */
function jsonRpcInterfaces(list: unknown, gatewayUrl: string): Json[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list
    .filter((i): i is Json => isObject(i) && String(i.protocolBinding).toUpperCase() === JSONRPC)
    .map((i) => ({ ...i, url: gatewayUrl }));
}

/** A skill's own security names the agent's schemes, which the card no longer has. */
function withoutSkillSecurity(skill: unknown): unknown {
  if (!isObject(skill)) return skill;
  const { security: _security, securityRequirements: _requirements, ...rest } = skill;
  return rest;
}

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;
const firstOf = (v: string | undefined) => v?.split(',')[0]?.trim();

/**
 * The URL callers reach this agent at through the gateway: `X-Forwarded-Proto` and
 * `X-Forwarded-Host` when a proxy in front sets them (first value), else the Host the request
 * came to, over http. A malformed value is ignored rather than written into the card.
 */
export function gatewayUrlOf(
  header: (name: string) => string | undefined,
  fallbackHost: string | undefined,
  consumer: string,
  agent: string,
): string {
  const forwardedProto = firstOf(header('x-forwarded-proto'))?.toLowerCase();
  const proto = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : 'http';
  const candidates = [firstOf(header('x-forwarded-host')), header('host'), fallbackHost];
  const host = candidates.find((h): h is string => h !== undefined && HOST.test(h)) ?? 'localhost';
  return `${proto}://${host}/${consumer}/a2a/${agent}`;
}
