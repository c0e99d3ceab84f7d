import type { CompiledCors } from '@tollgate/protocol';
import type { PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { duration } from '../common';
import { tokenList } from './fields';

/** A serialised origin: scheme://host[:port], nothing after it. */
const ORIGIN =
  /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)(:[0-9]{1,5})?$/;

const CORS_DEFAULT_METHODS = ['GET', 'POST'];

export function compileCors(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['cors']>,
): CompiledCors {
  const origins: string[] = [];
  const given = Array.isArray(spec.allowOrigins) ? spec.allowOrigins : [];
  if (given.length === 0) status.reject('Invalid', `${at}.allowOrigins: at least one origin is required`);
  for (const [i, o] of given.entries()) {
    const origin = typeof o === 'string' ? o.toLowerCase() : '';
    if (origin !== '*' && !ORIGIN.test(origin)) {
      status.reject(
        'Invalid',
        `${at}.allowOrigins[${i}]: '${String(o)}' is not an origin (scheme://host[:port], no path or trailing slash) or "*"`,
      );
      continue;
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  const allowCredentials = spec.allowCredentials ?? false;
  if (typeof allowCredentials !== 'boolean')
    status.reject('Invalid', `${at}.allowCredentials: must be true or false`);

  const allowMethods = tokenList(
    status,
    `${at}.allowMethods`,
    spec.allowMethods,
    (m) => m.toUpperCase(),
    true,
  );
  const allowHeaders = tokenList(
    status,
    `${at}.allowHeaders`,
    spec.allowHeaders,
    (h) => h.toLowerCase(),
    true,
  );
  const exposeHeaders = tokenList(
    status,
    `${at}.exposeHeaders`,
    spec.exposeHeaders,
    (h) => h.toLowerCase(),
    true,
  );
  if (allowCredentials === true && exposeHeaders.includes('*')) {
    status.reject(
      'Invalid',
      `${at}.exposeHeaders: '*' is taken literally by browsers on credentialed requests; list the headers`,
    );
  }
  const maxAgeMs = spec.maxAge === undefined ? undefined : duration(status, `${at}.maxAge`, spec.maxAge, 0);

  return {
    // "*" already admits every origin; the other entries would never be consulted.
    allowOrigins: origins.includes('*') ? ['*'] : origins,
    allowMethods: spec.allowMethods === undefined ? [...CORS_DEFAULT_METHODS] : allowMethods,
    // Unset: a preflight is answered with the headers it asks for.
    allowHeaders: spec.allowHeaders === undefined ? ['*'] : allowHeaders,
    exposeHeaders,
    allowCredentials: allowCredentials === true,
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
  };
}
