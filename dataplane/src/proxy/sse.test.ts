import { sseEvents } from './sse';

async function split(chunks: string[]): Promise<string[]> {
  async function* src() {
    for (const c of chunks) yield Buffer.from(c);
  }
  const out: string[] = [];
  for await (const e of sseEvents(src())) out.push(e.toString());
  return out;
}

describe('sseEvents', () => {
  it('yields whole events across arbitrary chunk boundaries', async () => {
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    for (let cut = 1; cut < stream.length; cut++) {
      expect(await split([stream.slice(0, cut), stream.slice(cut)])).toEqual([
        'data: {"a":1}\n\n',
        'data: {"b":2}\n\n',
        'data: [DONE]\n\n',
      ]);
    }
  });
  it('keeps multi-line events and event names together, CRLF too', async () => {
    expect(await split(['event: x\r\ndata: 1\r\n\r\nevent: y\ndata: 2\n\n'])).toEqual([
      'event: x\r\ndata: 1\r\n\r\n',
      'event: y\ndata: 2\n\n',
    ]);
  });
  it('terminates an unterminated last event instead of losing it', async () => {
    expect(await split(['data: 1\n\ndata: 2'])).toEqual(['data: 1\n\n', 'data: 2\n\n']);
  });
});
