import { replayableInit } from './initialize';

describe("the client's initialize parameters sealed for legacy SSE servers", () => {
  it('keeps the capabilities and the client name and version, nothing else', () => {
    expect(
      replayableInit({
        protocolVersion: '2025-06-18',
        capabilities: { sampling: {}, roots: { listChanged: true } },
        clientInfo: { name: 'cli', version: '2.0', icons: [{ src: 'data:image/png;base64,AAAA' }] },
      }),
    ).toEqual({
      capabilities: { sampling: {}, roots: { listChanged: true } },
      clientInfo: { name: 'cli', version: '2.0' },
    });
  });

  it('fills in a missing client name and version', () => {
    expect(replayableInit({})).toEqual({ capabilities: {}, clientInfo: { name: 'client', version: '0' } });
  });

  it('bounds what it keeps: long names are cut, oversized capabilities keep their names only', () => {
    const out = replayableInit({
      capabilities: { sampling: {}, experimental: { blob: 'x'.repeat(5000) } },
      clientInfo: { name: 'n'.repeat(1000), version: '1' },
    });
    expect(out).toEqual({
      capabilities: { sampling: {}, experimental: {} },
      clientInfo: { name: 'n'.repeat(200), version: '1' },
    });
    expect(JSON.stringify(out).length).toBeLessThan(2048);
  });
});
