import { errors as undiciErrors } from './undici';

/** A network failure as the caller reads it, and the raw code (`ECONNRESET`, `UND_ERR_SOCKET`, …) kept for logs. */
export interface FailureWords {
  message: string;
  code: string | undefined;
}

/**
 * Words for a failure talking to an upstream: what happened, where (`host` is the upstream's
 * `host:port` when known), never a library's internal code. Errors the gateway raised itself
 * (no code) keep their own message.
 */
export function describeFailure(err: unknown, host?: string): FailureWords {
  const found = codedError(err);
  const code = found?.code;
  const at = host ?? hostOf(found);
  const words = code === undefined ? undefined : wordsFor(code, at, found);
  if (words) return { message: words, code };
  if (isParserError(err))
    return { message: 'the upstream answered with a response that is not valid HTTP', code };
  if (code !== undefined)
    return { message: `a network error on the connection to the upstream${at ? ` ${at}` : ''}`, code };
  return { message: messageOf(err), code };
}

type Coded = Error & { code: string; hostname?: unknown; address?: unknown; port?: unknown };

/**
 * The first error with a string code along the `cause` chain (wrappers put the system error there).
 * Read by shape, not `instanceof Error`: Node's own errors may come from another realm.
 */
function codedError(err: unknown): Coded | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    if (typeof (e as { code?: unknown }).code === 'string') return e as Coded;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  const m = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : String(err);
}

function hostOf(e: Coded | undefined): string | undefined {
  if (!e) return undefined;
  if (typeof e.address === 'string') return typeof e.port === 'number' ? `${e.address}:${e.port}` : e.address;
  return typeof e.hostname === 'string' ? e.hostname : undefined;
}

function wordsFor(code: string, at: string | undefined, e: Coded | undefined): string | undefined {
  const where = at ? ` ${at}` : '';
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by${where || ' the upstream'}`;
    case 'ECONNRESET':
      return `connection reset by the upstream${where}`;
    case 'UND_ERR_SOCKET':
      return `the upstream${where} closed the connection before the response was complete`;
    case 'EPIPE':
      return `the upstream${where} closed the connection while the request was being sent`;
    case 'ENOTFOUND':
      return `DNS lookup failed for host ${dnsHost(e, at)}`;
    case 'EAI_AGAIN':
      return `DNS lookup for host ${dnsHost(e, at)} failed (temporary DNS failure)`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to the upstream${where} timed out`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `the upstream${where} sent no response headers within the registry's request timeout`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `the upstream${where} stopped sending mid-response (the registry's idle timeout passed)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the upstream${where} is unreachable (no route to the host)`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return `the upstream${where} sent response headers that are too large`;
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return `the upstream${where} sent a body that does not match its Content-Length`;
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return 'the connection pool to the upstream was closed (the gateway is shutting down)';
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return 'the upstream call was aborted';
  }
  if (isTlsCode(code)) return `TLS failure with the upstream${where}: ${tlsWords(code)}`;
  if (code.startsWith('HPE_')) return `the upstream${where} answered with a response that is not valid HTTP`;
  return undefined;
}

function dnsHost(e: Coded | undefined, at: string | undefined): string {
  if (typeof e?.hostname === 'string') return e.hostname;
  return at?.replace(/:\d+$/, '') ?? 'of the upstream';
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code === 'EPROTO' ||
    code.includes('CERT') ||
    code.startsWith('UNABLE_TO_')
  );
}

function tlsWords(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'its certificate does not name this host';
  if (code === 'CERT_HAS_EXPIRED') return 'its certificate has expired';
  if (code.includes('SELF_SIGNED')) return 'its certificate is self-signed and not trusted';
  if (code.includes('CERT') || code.startsWith('UNABLE_TO_')) return 'its certificate could not be verified';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'it does not speak TLS on this port';
  return 'the TLS handshake failed';
}

function isParserError(err: unknown): boolean {
  return err instanceof undiciErrors.HTTPParserError;
}
