import { randomBytes } from 'node:crypto';
import { MAX_EVENT_ID_CHARS, openPosition, sealPosition, streamIds } from './event-id';
import { seal, type SessionKey } from './session';

const current: SessionKey = { id: 'k2', key: randomBytes(32) };
const previous: SessionKey = { id: 'k1', key: randomBytes(32) };
const session = 't1.k2.some-session-token';
const position = new Map([
  ['ns/live', '17._GET_stream'],
  ['ns/other', 'abc'],
]);

describe('resumable stream event ids', () => {
  it('round-trip every server position, sealed: the upstream ids cannot be read', () => {
    const id = sealPosition(position, current, session);
    expect(id).toMatch(/^e1\.k2\.[A-Za-z0-9_-]+$/);
    expect(openPosition(id, [current], session)).toEqual({ position });
    expect(Buffer.from(id.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain('_GET_stream');
    expect(sealPosition(position, current, session)).not.toBe(id);
    expect(openPosition(sealPosition(new Map(), current, session), [current], session)).toEqual({
      position: new Map(),
    });
  });

  it('open with any listed key (rotation)', () => {
    const id = sealPosition(position, previous, session);
    expect(openPosition(id, [current, previous], session)).toEqual({ position });
  });

  it.each<[string, { id: string | number; method: string }]>([
    ['a numeric', { id: 7, method: 'tools/call' }],
    ['a string', { id: 'req-1', method: 'resources/read' }],
  ])("a response stream's id also carries %s request id and its method", (_, answering) => {
    const one = new Map([['ns/live', '3.c3RyZWFt']]);
    const id = sealPosition(one, current, session, answering);
    expect(id).toMatch(/^e1\.k2\.[A-Za-z0-9_-]+$/);
    expect(openPosition(id, [current], session)).toEqual({ position: one, answering });
  });

  it('streamIds: none for a response stream before its server gave an id, nor when too long', () => {
    const answering = { id: 1, method: 'tools/call' };
    const ids = streamIds(current, session, answering);
    expect(ids(new Map())).toBeUndefined();
    expect(ids(new Map([['ns/live', 'x'.repeat(MAX_EVENT_ID_CHARS)]]))).toBeUndefined();
    const id = ids(new Map([['ns/live', '9']])) ?? '';
    expect(openPosition(id, [current], session)).toEqual({
      position: new Map([['ns/live', '9']]),
      answering,
    });
    // A GET stream's id exists before any server gave one (the priming event of a new stream).
    expect(openPosition(streamIds(current, session)(new Map()) ?? '', [current], session)).toEqual({
      position: new Map(),
    });
  });

  const id = () => sealPosition(position, current, session);
  it.each<[string, () => string, readonly SessionKey[], string]>([
    ['garbage', () => 'not-an-id', [current], session],
    ['empty', () => '', [current], session],
    ['another version', () => id().replace(/^e1/, 'e2'), [current], session],
    ['an unknown key', id, [previous], session],
    ['a key of the same id but other bytes', id, [{ id: 'k2', key: randomBytes(32) }], session],
    ['another session', id, [current], 't1.k2.another-session'],
    ['altered', () => `${id().slice(0, -2)}${id().endsWith('AA') ? 'BB' : 'AA'}`, [current], session],
    ['too short', () => 'e1.k2.AAAA', [current], session],
    ['not base64url', () => 'e1.k2.a+b/c=', [current], session],
    ['too long', () => `e1.k2.${'A'.repeat(MAX_EVENT_ID_CHARS)}`, [current], session],
    ...malformed(),
  ])('refuse %s (undefined, never a throw)', (_, make, keys, s) => {
    expect(openPosition(make(), keys, s)).toBeUndefined();
  });
});

/** Payloads sealed with the right key and session but not of this shape: refused all the same. */
function malformed(): [string, () => string, readonly SessionKey[], string][] {
  const sealed = (plain: string) => () => `e1.k2.${seal(plain, current, Buffer.from(`e1.k2.${session}`))}`;
  return [
    ['a payload that is not JSON', sealed('{'), [current], session],
    ['a payload that is an array', sealed('["a"]'), [current], session],
    ['a position that is not a string', sealed('{"ns/live": 3}'), [current], session],
    ['a request without a method', sealed('{"ns/live": "3", "#": {"id": 1}}'), [current], session],
    [
      'a request id that is an object',
      sealed('{"ns/live": "3", "#": {"id": {}, "method": "x"}}'),
      [current],
      session,
    ],
  ];
}
