/**
 * AWS Signature Version 4 for upstream requests (Bedrock), with the smithy signer the AWS SDKs use,
 * so the gateway needs neither the SDK nor its own crypto. Bedrock API keys
 * (`Authorization: Bearer …`) need no signing; choosing between the two is the provider's concern.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (STS, IRSA, pod identity) carry a session token; it is signed too. */
  sessionToken?: string;
}

export interface SignAwsRequestInput {
  method: string;
  url: string;
  /** The headers that will be sent (besides `host`, taken from the URL); all of them are signed. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  region: string;
  /** The signing name, e.g. `bedrock` for bedrock-runtime. */
  service: string;
  credentials: AwsCredentials;
  /** The signing time; now when absent (fixed in tests). */
  date?: Date;
  /**
   * Adds and signs `x-amz-content-sha256`, as the AWS SDKs do (default true). AWS's published test
   * vectors predate the header, hence the switch.
   */
  applyChecksum?: boolean;
}

/** The headers the signer adds, to send alongside the request's own. */
export interface AwsSignedHeaders {
  authorization: string;
  'x-amz-date': string;
  'x-amz-content-sha256'?: string;
  'x-amz-security-token'?: string;
}

/** The AWS SDK's signer, loaded by the first signed request rather than by every proxy. */
const loadSigner = () =>
  Promise.all([
    import('@aws-crypto/sha256-js'),
    import('@smithy/protocol-http'),
    import('@smithy/signature-v4'),
  ]);
let signerModules: ReturnType<typeof loadSigner> | undefined;

/** Signs one request; returns only the headers the signature adds (lowercase names). */
export async function signAwsRequest(input: SignAwsRequestInput): Promise<AwsSignedHeaders> {
  const [{ Sha256 }, { HttpRequest }, { SignatureV4 }] = await (signerModules ??= loadSigner());
  const url = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  // The signature covers the host the client connects to; the HTTP client sends the same one.
  headers.host ??= url.host;
  const request = new HttpRequest({
    method: input.method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: url.pathname,
    query: queryOf(url),
    headers,
    body: input.body ?? '',
  });
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: input.service,
    sha256: Sha256,
    applyChecksum: input.applyChecksum ?? true,
  });
  const signed = await signer.sign(request, { signingDate: input.date ?? new Date() });
  const out: AwsSignedHeaders = {
    authorization: header(signed.headers, 'authorization'),
    'x-amz-date': header(signed.headers, 'x-amz-date'),
  };
  const sha = signed.headers['x-amz-content-sha256'];
  if (sha !== undefined) out['x-amz-content-sha256'] = sha;
  const token = signed.headers['x-amz-security-token'];
  if (token !== undefined) out['x-amz-security-token'] = token;
  return out;
}

/** The parts of an `Authorization: AWS4-HMAC-SHA256 …` header, for verifying a signature. */
export interface ParsedAwsAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAwsAuthorization(value: string): ParsedAwsAuthorization | undefined {
  const m =
    /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m;
  if (!accessKeyId || !date || !region || !service || !signedHeaders || !signature) return undefined;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** `20150830T123600Z` (the x-amz-date format) → Date; undefined when malformed. */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0));
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

function header(headers: Record<string, string>, name: string): string {
  const v = headers[name];
  if (v === undefined) throw new Error(`the signer did not set ${name}`);
  return v;
}
