/** Something with `request()` answering like fetch: the proxy's listener behind testing/proxy-client. */
interface Requestable {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

/**
 * POSTs JSON (or a raw string, for malformed bodies) to the test gateway `acme` with a caller key,
 * extra headers replacing the defaults.
 */
export function jsonPoster(app: Requestable, key: string) {
  return (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    Promise.resolve(
      app.request(path, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: {
          'content-type': 'application/json',
          'x-ag-gateway-slug': 'acme',
          authorization: `Bearer ${key}`,
          ...headers,
        },
      }),
    );
}
