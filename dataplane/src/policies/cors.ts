import type { CompiledCors } from '@tollgate/protocol';
import type { EdgeAnswer, EdgeRequest, Plugin } from './types';

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** A request's CORS view: the headers that matter, lower-case names. */
export interface CorsRequest {
  origin: string | undefined;
  /** Access-Control-Request-Method (preflight only). */
  requestMethod?: string | undefined;
  /** Access-Control-Request-Headers (preflight only). */
  requestHeaders?: string | undefined;
}

/**
 * CORS decisions, pure and precomputed from the compiled config. The server never refuses a request
 * for CORS reasons (browsers enforce it); it only says which origins, methods and headers it allows.
 *
 * - An allowed origin is echoed; `*` is sent for any origin only without credentials, since browsers
 *   refuse `*` on credentialed requests (the request's origin is echoed instead).
 * - Every answer carries `Vary: Origin` (and preflights the request headers they depend on), so a
 *   cache never serves one origin's answer to another.
 * - `*` in the methods or headers lists answers a preflight with what it asks for.
 */
export class CorsRules {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly credentials: boolean;
  private readonly methods: string | undefined;
  private readonly headers: string | undefined;
  private readonly expose: string | undefined;
  private readonly maxAge: string | undefined;

  constructor(config: CompiledCors) {
    this.anyOrigin = config.allowOrigins.includes('*');
    this.origins = new Set(config.allowOrigins);
    this.credentials = config.allowCredentials;
    this.methods = config.allowMethods.includes('*') ? undefined : config.allowMethods.join(', ');
    this.headers = config.allowHeaders.includes('*') ? undefined : config.allowHeaders.join(', ');
    this.expose = config.exposeHeaders.length > 0 ? config.exposeHeaders.join(', ') : undefined;
    this.maxAge = config.maxAgeMs === undefined ? undefined : String(Math.floor(config.maxAgeMs / 1000));
  }

  /** The Access-Control-Allow-Origin value for `origin`, or undefined when it is not allowed. */
  allowOrigin(origin: string | undefined): string | undefined {
    if (!origin) return undefined;
    if (this.anyOrigin) return this.credentials ? origin : '*';
    return this.origins.has(origin.toLowerCase()) ? origin : undefined;
  }

  /** Headers for an actual (non-preflight) response. */
  actual(req: CorsRequest): Record<string, string> {
    const out: Record<string, string> = { vary: 'Origin' };
    const allowed = this.allowOrigin(req.origin);
    if (allowed === undefined) return out;
    out['access-control-allow-origin'] = allowed;
    if (this.credentials) out['access-control-allow-credentials'] = 'true';
    if (this.expose !== undefined) out['access-control-expose-headers'] = this.expose;
    return out;
  }

  /** Headers for a preflight's answer. */
  preflight(req: CorsRequest): Record<string, string> {
    const out: Record<string, string> = { vary: PREFLIGHT_VARY };
    const allowed = this.allowOrigin(req.origin);
    if (allowed === undefined || !req.requestMethod) return out;
    out['access-control-allow-origin'] = allowed;
    if (this.credentials) out['access-control-allow-credentials'] = 'true';
    out['access-control-allow-methods'] = this.methods ?? req.requestMethod;
    const headers = this.headers ?? req.requestHeaders;
    if (headers) out['access-control-allow-headers'] = headers;
    if (this.maxAge !== undefined) out['access-control-max-age'] = this.maxAge;
    return out;
  }
}

/** The `cors` plugin: preflights answered at the edge (204), CORS headers on every other response. */
export function createCors(config: CompiledCors): Plugin {
  const rules = new CorsRules(config);
  return {
    name: 'cors',
    edge(req: EdgeRequest): EdgeAnswer | undefined {
      const origin = req.header('origin');
      if (req.method === 'OPTIONS') {
        const headers = rules.preflight({
          origin,
          requestMethod: req.header('access-control-request-method'),
          requestHeaders: req.header('access-control-request-headers'),
        });
        return { status: 204, headers };
      }
      Object.assign(req.responseHeaders, rules.actual({ origin }));
      return undefined;
    },
  };
}
