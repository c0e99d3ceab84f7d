/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Undici from 'undici';

/**
 * The parts of undici the dataplane uses, loaded from undici's own modules rather than its entry:
 * `require('undici')` also loads its fetch, WebSocket, EventSource, cache, cookie and mock layers,
 * and through them Node's internal copy of undici (the global Headers/Response): ~9 MB of RSS in a
 * bare process (~3 MB of it heap) that a proxy never uses (docs/internals.md, Memory). Types are the
 * package's own. e2e/lazy-load.test.ts fails if the entry comes back into `tollgate run`.
 */

export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
export type Pool = Undici.Pool;
export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export type Agent = Undici.Agent;
export const errors = require('undici/lib/core/errors') as typeof Undici.errors;
export const buildConnector = require('undici/lib/core/connect') as typeof Undici.buildConnector;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace buildConnector {
  type connector = Undici.buildConnector.connector;
  type Options = Undici.buildConnector.Options;
}
export type { Dispatcher } from 'undici';

// As undici's entry does: request(), stream(), pipeline(), connect() and upgrade() on every dispatcher.
Object.assign(
  (require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher).prototype,
  require('undici/lib/api') as object,
);

type RequestOptions = { dispatcher?: Undici.Dispatcher } & Omit<
  Undici.Dispatcher.RequestOptions,
  'origin' | 'path' | 'method'
> &
  Partial<Pick<Undici.Dispatcher.RequestOptions, 'method'>>;

/** undici's `request(url, options)`: on `options.dispatcher`, else on undici's global one. */
export function request(
  url: string | URL,
  options: RequestOptions = {},
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher = globalDispatcher(), ...rest } = options;
  const { origin, pathname, search } = typeof url === 'string' ? new URL(url) : url;
  return dispatcher.request({
    ...rest,
    origin,
    path: `${pathname}${search}`,
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  });
}

function globalDispatcher(): Undici.Dispatcher {
  return (require('undici/lib/global') as Pick<typeof Undici, 'getGlobalDispatcher'>).getGlobalDispatcher();
}
