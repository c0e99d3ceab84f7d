import { randomBytes } from 'node:crypto';
import { MAX_EVENT_ID_CHARS, openPosition, sealPosition } from './event-id';
import type { SessionKey } from './session';

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
    expect(openPosition(id, [current], session)).toEqual(position);
    expect(Buffer.from(id.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain('_GET_stream');
    expect(sealPosition(position, current, session)).not.toBe(id);
    expect(openPosition(sealPosition(new Map(), current, session), [current], session)).toEqual(new Map());
  });

  it('open with any listed key (rotation)', () => {
    const id = sealPosition(position, previous, session);
    expect(openPosition(id, [current, previous], session)).toEqual(position);
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
  ])('refuse %s (undefined, never a throw)', (_, make, keys, s) => {
    expect(openPosition(make(), keys, s)).toBeUndefined();
  });
});
