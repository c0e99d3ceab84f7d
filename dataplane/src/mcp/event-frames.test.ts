import { sealedFrames, takesPriming } from './event-frames';
import type { StreamPosition } from './event-id';
import type { StreamEvent } from './jsonrpc';

async function* from(events: StreamEvent[]): AsyncGenerator<StreamEvent> {
  yield* events;
}

/** A readable stand-in for sealing: the position as `registry=id` pairs; none when empty. */
const plainIds = (p: StreamPosition) =>
  p.size === 0 ? undefined : [...p].map(([r, id]) => `${r}=${id}`).join(',');

async function frames(events: StreamEvent[], priming: boolean) {
  const position = new Map<string, string>();
  const sent = { id: false };
  const out: string[] = [];
  for await (const f of sealedFrames(from(events), position, plainIds, priming, sent))
    out.push(f.toString('utf8'));
  return { out, position, sent };
}

const note = (n: number) => ({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: n } });

describe('sealedFrames', () => {
  it("gives every message the id of its server's place, priming events to clients that take them, retry once", async () => {
    const { out, position, sent } = await frames(
      [
        { registry: 'ns/a', id: '1', retry: 500 },
        { registry: 'ns/a', id: '2', message: note(1) },
        { registry: 'ns/b', message: note(2) },
        { registry: 'ns/a', id: '', message: note(3) },
      ],
      true,
    );
    expect(out).toEqual([
      'id: ns/a=1\nretry: 500\ndata: \n\n',
      `id: ns/a=2\nevent: message\ndata: ${JSON.stringify(note(1))}\n\n`,
      `id: ns/a=2\nevent: message\ndata: ${JSON.stringify(note(2))}\n\n`,
      // '' resets the server's place: nothing left to resume from, so no id.
      `event: message\ndata: ${JSON.stringify(note(3))}\n\n`,
    ]);
    expect(position).toEqual(new Map());
    expect(sent.id).toBe(true);
  });

  it('without priming: events with no message are not sent; their retry goes out on the next message', async () => {
    const { out, sent } = await frames(
      [
        { registry: 'ns/a', id: '1', retry: 250 },
        { registry: 'ns/a', id: '2', message: note(1) },
      ],
      false,
    );
    expect(out).toEqual([`id: ns/a=2\nretry: 250\nevent: message\ndata: ${JSON.stringify(note(1))}\n\n`]);
    expect(sent.id).toBe(true);
  });

  it('a stream whose server gives no ids sends messages without ids, and says the client holds none', async () => {
    const { out, sent } = await frames([{ registry: 'ns/a', message: note(1) }], true);
    expect(out).toEqual([`event: message\ndata: ${JSON.stringify(note(1))}\n\n`]);
    expect(sent.id).toBe(false);
  });
});

describe('takesPriming', () => {
  it.each([
    ['2025-11-25', true],
    ['2026-01-01', true],
    ['2025-06-18', false],
    [undefined, false],
  ])('%s → %s', (version, expected) => {
    expect(takesPriming(version)).toBe(expected);
  });
});
