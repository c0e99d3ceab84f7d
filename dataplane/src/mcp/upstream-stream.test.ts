import { retryOf, sseStream } from './upstream-stream';

const registry = { source: { namespace: 'ns', name: 'live' } } as unknown as Parameters<typeof sseStream>[1];

async function* body(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

describe("a server's event stream", () => {
  it.each<[string, string, number | undefined]>([
    ['a retry', 'id: 1\nretry: 5000\ndata: \n\n', 5000],
    ['no space', 'retry:250\ndata: x', 250],
    ['the last of two', 'retry: 1\nretry: 2\n', 2],
    ['not digits', 'retry: 5s\n', undefined],
    ['negative', 'retry: -1\n', undefined],
    ['none', 'id: 1\ndata: {}\n', undefined],
  ])('retryOf: %s', (_, text, expected) => {
    expect(retryOf(text)).toBe(expected);
  });

  it('keeps ids and retry, priming events included', async () => {
    const events = [];
    const msg = { jsonrpc: '2.0', method: 'notifications/message', params: {} };
    for await (const e of sseStream(
      body(`id: p1\nretry: 500\ndata: \n\nid: 2\nevent: message\ndata: ${JSON.stringify(msg)}\n\n`),
      registry,
    ))
      events.push(e);
    expect(events).toEqual([
      { id: 'p1', retry: 500 },
      { id: '2', message: msg },
    ]);
  });
});
