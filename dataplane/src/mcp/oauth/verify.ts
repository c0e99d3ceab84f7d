import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { CompiledJwtIssuer } from '@tollgate/protocol';
import type { IssuerKeys } from './keys';
import { scopesOfClaims } from './scopes';

/**
 * Checks an OAuth access token (a JWT) for one consumer: issued by one of its issuers, signed by a
 * key of that issuer's JWKS with an algorithm on the issuer's list (asymmetric only — never
 * `none`, never an HMAC that would take a public key as its secret), `aud` naming this resource
 * (or one of the configured audiences), `exp` required and `exp`/`nbf` checked with a small skew.
 */
export const CLOCK_SKEW_SECONDS = 30;

export interface VerifiedToken {
  issuer: string;
  subject: string | undefined;
  scopes: Set<string>;
}

/** Why a token was refused: what `error_description` says (never the token itself). */
export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
}

export async function verifyAccessToken(
  token: string,
  issuers: readonly CompiledJwtIssuer[],
  resource: string,
  keys: IssuerKeys,
  now: () => number = Date.now,
): Promise<VerifiedToken> {
  let alg: unknown;
  let iss: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    iss = decodeJwt(token).iss;
  } catch {
    throw new TokenRejected('The access token is not a well-formed JWT.');
  }
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none')
    throw new TokenRejected('Unsigned tokens (alg none) are not accepted.');
  const issuer = issuers.find((i) => i.issuer === iss);
  if (!issuer) throw new TokenRejected('The token was not issued by a trusted issuer.');
  if (!issuer.algorithms.includes(alg))
    throw new TokenRejected(`The signature algorithm ${alg} is not accepted for this issuer.`);
  let getKey;
  try {
    getKey = await keys.keysOf(issuer);
  } catch {
    throw new TokenRejected("The issuer's signing keys could not be fetched.");
  }
  try {
    const { payload } = await jwtVerify(token, getKey, {
      issuer: issuer.issuer,
      audience: issuer.audiences.length > 0 ? issuer.audiences : resource,
      algorithms: issuer.algorithms,
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['exp'],
      currentDate: new Date(now()),
    });
    return {
      issuer: issuer.issuer,
      subject: typeof payload.sub === 'string' ? payload.sub : undefined,
      scopes: scopesOfClaims(payload),
    };
  } catch (err) {
    throw new TokenRejected(describe(err));
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The access token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'The access token is not meant for this resource (audience).';
    if (err.claim === 'nbf') return 'The access token is not valid yet.';
    return `The access token's ${err.claim} claim is not acceptable.`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return "No key of the issuer's JWKS matches the token.";
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'The signature of the access token is not valid.';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The signature algorithm is not accepted.';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError)
    return 'The access token could not be verified.';
  return 'The access token could not be verified.';
}
