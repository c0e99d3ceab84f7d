import type { CompiledCors } from '@tollgate/protocol';
import { CorsRules, createCors } from './cors';

const config = (over: Partial<CompiledCors> = {}): CompiledCors => ({
  allowOrigins: ['https://app.example.com', 'http://localhost:3000'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['authorization', 'content-type'],
  exposeHeaders: [],
  allowCredentials: false,
  ...over,
});

describe('CORS decisions: actual responses', () => {
  it.each<[string, Partial<CompiledCors>, string | undefined, Record<string, string>]>([
    [
      'listed origin is echoed',
      {},
      'https://app.example.com',
      { vary: 'Origin', 'access-control-allow-origin': 'https://app.example.com' },
    ],
    [
      'origins compare case-insensitively',
      {},
      'https://APP.example.com',
      {
        vary: 'Origin',
        'access-control-allow-origin': 'https://APP.example.com',
      },
    ],
    ['unlisted origin: nothing but Vary', {}, 'https://evil.example.com', { vary: 'Origin' }],
    ['a port is part of the origin', {}, 'http://localhost:3001', { vary: 'Origin' }],
    ['no Origin header (not a browser): nothing but Vary', {}, undefined, { vary: 'Origin' }],
    [
      '"*" without credentials is sent as "*"',
      { allowOrigins: ['*'] },
      'https://x.example.com',
      {
        vary: 'Origin',
        'access-control-allow-origin': '*',
      },
    ],
    [
      '"*" with credentials echoes the origin, never "*"',
      { allowOrigins: ['*'], allowCredentials: true },
      'https://x.example.com',
      {
        vary: 'Origin',
        'access-control-allow-origin': 'https://x.example.com',
        'access-control-allow-credentials': 'true',
      },
    ],
    [
      'exposed headers',
      { exposeHeaders: ['x-request-id', 'x-ratelimit-remaining'] },
      'http://localhost:3000',
      {
        vary: 'Origin',
        'access-control-allow-origin': 'http://localhost:3000',
        'access-control-expose-headers': 'x-request-id, x-ratelimit-remaining',
      },
    ],
  ])('%s', (_name, over, origin, expected) => {
    expect(new CorsRules(config(over)).actual({ origin })).toEqual(expected);
  });
});

describe('CORS decisions: preflights', () => {
  const VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  it.each<
    [
      string,
      Partial<CompiledCors>,
      string | undefined,
      string | undefined,
      string | undefined,
      Record<string, string>,
    ]
  >([
    [
      'allowed origin: the configured lists',
      { maxAgeMs: 600_500 },
      'https://app.example.com',
      'POST',
      'authorization, x-other',
      {
        vary: VARY,
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      },
    ],
    ['unlisted origin: nothing but Vary', {}, 'https://evil.example.com', 'POST', undefined, { vary: VARY }],
    [
      'not a preflight (no requested method)',
      {},
      'https://app.example.com',
      undefined,
      undefined,
      { vary: VARY },
    ],
    [
      '"*" methods and headers answer what is asked, with credentials too',
      { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true },
      'https://x.example.com',
      'DELETE',
      'authorization, x-stainless-os',
      {
        vary: VARY,
        'access-control-allow-origin': 'https://x.example.com',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'DELETE',
        'access-control-allow-headers': 'authorization, x-stainless-os',
      },
    ],
    [
      '"*" headers and none asked for: no Allow-Headers',
      { allowHeaders: ['*'] },
      'https://app.example.com',
      'POST',
      undefined,
      {
        vary: VARY,
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'GET, POST',
      },
    ],
  ])('%s', (_name, over, origin, requestMethod, requestHeaders, expected) => {
    expect(new CorsRules(config(over)).preflight({ origin, requestMethod, requestHeaders })).toEqual(
      expected,
    );
  });
});

describe('the cors plugin at the edge', () => {
  const plugin = createCors(config());
  const edge = (method: string, headers: Record<string, string>) => {
    const responseHeaders: Record<string, string> = {};
    const answer = plugin.edge?.({ method, header: (n) => headers[n], responseHeaders });
    return { answer, responseHeaders };
  };

  it('answers OPTIONS itself with 204', () => {
    const { answer } = edge('OPTIONS', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
    });
    expect(answer?.status).toBe(204);
    expect(answer?.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('lets other requests through, adding the headers every response carries', () => {
    const { answer, responseHeaders } = edge('POST', { origin: 'https://app.example.com' });
    expect(answer).toBeUndefined();
    expect(responseHeaders).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': 'https://app.example.com',
    });
  });
});
