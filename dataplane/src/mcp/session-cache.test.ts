import { randomBytes } from 'node:crypto';
import { CLOCK_SKEW_MS, openSession, sealSession, type SessionClaims, type SessionKey } from './session';
import { OpenedSessions } from './session-cache';

const key: SessionKey = { id: 'k1', key: randomBytes(32) };
const other: SessionKey = { id: 'k2', key: randomBytes(32) };
const now = 1_700_000_000_000;
const ttlMs = 3_600_000;
const expectAt = (at: number) => ({ gateway: 'ns/gw', consumer: 'ns/app', now: at, ttlMs });
const claimsAt = (issuedAt: number): SessionClaims => ({
  gateway: 'ns/gw',
  consumer: 'ns/app',
  protocolVersion: '2025-06-18',
  issuedAt,
  servers: [{ registry: 'ns/tools', sessionId: 's-1', protocolVersion: '2025-06-18' }],
  clientInit: { capabilities: { sampling: {} } },
});

describe('OpenedSessions (the opened-token cache)', () => {
  /** Counts the tokens opened in full (not answered from memory). */
  const unseals = jest.fn(openSession);
  const cached = (options: { maxEntries?: number; maxChars?: number } = {}) =>
    new OpenedSessions({ ...options, open: unseals });
  beforeEach(() => unseals.mockClear());

  it('opens a token once, then answers its next uses from memory with the same claims', () => {
    const cache = cached();
    const token = sealSession(claimsAt(now), key);
    const first = cache.open(token, [key], expectAt(now));
    expect(first).toEqual({ ok: true, claims: claimsAt(now) });
    expect(cache.open(token, [key], expectAt(now + 1000))).toEqual(first);
    expect(unseals).toHaveBeenCalledTimes(1);
    // shared by every request of the session: frozen, nested values included
    if (!first.ok) throw new Error('not opened');
    expect(Object.isFrozen(first.claims)).toBe(true);
    expect(Object.isFrozen(first.claims.servers[0])).toBe(true);
    expect(Object.isFrozen(first.claims.clientInit)).toBe(true);
  });

  it('honours the TTL and the clock skew at every use, from memory', () => {
    const cache = cached();
    const token = sealSession(claimsAt(now), key);
    expect(cache.open(token, [key], expectAt(now)).ok).toBe(true);
    expect(cache.open(token, [key], expectAt(now + ttlMs))).toMatchObject({ ok: true });
    expect(cache.open(token, [key], expectAt(now + ttlMs + 1))).toEqual({ ok: false, reason: 'expired' });
    expect(cache.open(token, [key], { ...expectAt(now), ttlMs: 10 })).toMatchObject({ ok: true });
    expect(cache.open(token, [key], { ...expectAt(now + 11), ttlMs: 10 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    // issued further in the future than the skew allows (a replica's clock far behind)
    expect(cache.open(token, [key], expectAt(now - CLOCK_SKEW_MS - 1))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(unseals).toHaveBeenCalledTimes(1);
  });

  it('refuses the session to another gateway or consumer, from memory', () => {
    const cache = cached();
    const token = sealSession(claimsAt(now), key);
    cache.open(token, [key], expectAt(now));
    expect(cache.open(token, [key], { ...expectAt(now), consumer: 'ns/other' })).toEqual({
      ok: false,
      reason: 'other-consumer',
    });
    expect(cache.open(token, [key], { ...expectAt(now), gateway: 'ns/other' })).toEqual({
      ok: false,
      reason: 'other-consumer',
    });
    expect(unseals).toHaveBeenCalledTimes(1);
  });

  it('still refuses altered and foreign tokens, and keeps none of them', () => {
    const cache = cached();
    const token = sealSession(claimsAt(now), key);
    cache.open(token, [key], expectAt(now));
    const [version, id, data] = token.split('.') as [string, string, string];
    const raw = Buffer.from(data, 'base64url');
    raw[20] = (raw[20] ?? 0) ^ 0x80;
    const altered = `${version}.${id}.${raw.toString('base64url')}`;
    expect(cache.open(altered, [key], expectAt(now))).toEqual({ ok: false, reason: 'tampered' });
    // the same key id, sealed with other bytes
    const forged = sealSession(claimsAt(now), { id: key.id, key: randomBytes(32) });
    expect(cache.open(forged, [key], expectAt(now))).toEqual({ ok: false, reason: 'tampered' });
    expect(cache.open(sealSession(claimsAt(now), other), [key], expectAt(now))).toEqual({
      ok: false,
      reason: 'unknown-key',
    });
    expect(cache.open(`${token}x`, [key], expectAt(now))).toMatchObject({ ok: false });
    expect(cache.size).toBe(1);
  });

  it("refuses a kept token once its key is no longer the gateway's (removed, or the id given other bytes)", () => {
    const cache = cached();
    const token = sealSession(claimsAt(now), key);
    cache.open(token, [key, other], expectAt(now));
    // the same key in a new config object still answers from memory
    expect(cache.open(token, [other, { id: key.id, key: Buffer.from(key.key) }], expectAt(now)).ok).toBe(
      true,
    );
    expect(unseals).toHaveBeenCalledTimes(1);
    expect(cache.open(token, [other], expectAt(now))).toEqual({ ok: false, reason: 'unknown-key' });
    expect(cache.open(token, [{ id: key.id, key: randomBytes(32) }], expectAt(now))).toEqual({
      ok: false,
      reason: 'tampered',
    });
    expect(cache.size).toBe(0);
    // the key back: opened in full again
    expect(cache.open(token, [key], expectAt(now)).ok).toBe(true);
    expect(unseals).toHaveBeenCalledTimes(4);
  });

  it('keeps at most its number of entries, oldest out first', () => {
    const cache = cached({ maxEntries: 3 });
    const tokens = [0, 1, 2, 3, 4].map((i) => sealSession(claimsAt(now + i), key));
    for (const t of tokens) expect(cache.open(t, [key], expectAt(now)).ok).toBe(true);
    expect(cache.size).toBe(3);
    unseals.mockClear();
    for (const t of tokens.slice(2)) cache.open(t, [key], expectAt(now));
    expect(unseals).not.toHaveBeenCalled();
    cache.open(tokens[0] as string, [key], expectAt(now));
    expect(unseals).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(3);
  });

  it('keeps at most its number of token characters', () => {
    const token = sealSession(claimsAt(now), key);
    const cache = cached({ maxChars: token.length * 2 });
    for (let i = 0; i < 5; i++) cache.open(sealSession(claimsAt(now + i), key), [key], expectAt(now));
    expect(cache.size).toBe(2);
    // a token longer than the whole budget is opened, and not kept
    const small = cached({ maxChars: token.length - 1 });
    expect(small.open(token, [key], expectAt(now)).ok).toBe(true);
    expect(small.size).toBe(0);
  });
});
