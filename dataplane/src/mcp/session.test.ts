import { randomBytes } from 'node:crypto';
import { IdleSessions } from './idle';
import {
  CLOCK_SKEW_MS,
  MAX_TOKEN_CHARS,
  openSession,
  sealSession,
  sessionKeysOf,
  type SessionClaims,
  type SessionKey,
} from './session';

const current: SessionKey = { id: 'k2', key: randomBytes(32) };
const previous: SessionKey = { id: 'k1', key: randomBytes(32) };
const foreign: SessionKey = { id: 'k2', key: randomBytes(32) };
const now = 1_700_000_000_000;
const claims: SessionClaims = {
  gateway: 'ns/agents',
  consumer: 'ns/assistant',
  protocolVersion: '2025-06-18',
  issuedAt: now,
  servers: [
    { registry: 'ns/weather', sessionId: 'abc-123', protocolVersion: '2025-06-18' },
    { registry: 'ns/files', protocolVersion: '2025-03-26' },
  ],
};
const expect0 = { gateway: 'ns/agents', consumer: 'ns/assistant', now, ttlMs: 3_600_000 };

/** Flips one bit of the decoded payload at `index` and re-encodes. */
function flip(token: string, index: number): string {
  const [v, id, data] = token.split('.') as [string, string, string];
  const raw = Buffer.from(data, 'base64url');
  raw[index % raw.length] = (raw[index % raw.length] ?? 0) ^ 1;
  return `${v}.${id}.${raw.toString('base64url')}`;
}

describe('sealed MCP session tokens', () => {
  it('round-trip every claim, stateless servers included', () => {
    const token = sealSession(claims, current);
    expect(token).toMatch(/^t1\.k2\.[A-Za-z0-9_-]+$/);
    expect(openSession(token, [current], expect0)).toEqual({ ok: true, claims });
  });

  it("carry the client's elicitation capability only when it declared it", () => {
    const asking = sealSession({ ...claims, elicitation: true }, current);
    expect(openSession(asking, [current], expect0)).toEqual({
      ok: true,
      claims: { ...claims, elicitation: true },
    });
    const plain = openSession(sealSession(claims, current), [current], expect0);
    expect(plain.ok && 'elicitation' in plain.claims).toBe(false);
  });

  it("carry the client's initialize parameters when a legacy SSE server needs them, and refuse a malformed one", () => {
    const clientInit = { capabilities: { sampling: {} }, clientInfo: { name: 'c', version: '1' } };
    const token = sealSession({ ...claims, clientInit }, current);
    expect(openSession(token, [current], expect0)).toEqual({ ok: true, claims: { ...claims, clientInit } });
    const plain = openSession(sealSession(claims, current), [current], expect0);
    expect(plain.ok && 'clientInit' in plain.claims).toBe(false);
    // Authentic but not an object: only a key shared with something else could seal it.
    const odd = sealSession({ ...claims, clientInit: 'x' as unknown as typeof clientInit }, current);
    expect(openSession(odd, [current], expect0)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('are different for the same claims (fresh IV), and do not show the upstream session ids', () => {
    const a = sealSession(claims, current);
    expect(sealSession(claims, current)).not.toBe(a);
    expect(Buffer.from(a.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain('abc-123');
  });

  it('open with any listed key: a rotated key keeps live sessions valid during the overlap', () => {
    const old = sealSession(claims, previous);
    expect(openSession(old, [current, previous], expect0).ok).toBe(true);
    expect(openSession(old, [current], expect0)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it.each([
    ['every bit position of the payload', (t: string) => [0, 5, 12, 20, 40, 80].map((i) => flip(t, i))],
    ['a swapped key id', (t: string) => [t.replace('.k2.', '.k1.')]],
  ])('refuse %s as tampered', (_name, variants) => {
    const token = sealSession(claims, current);
    for (const bad of variants(token)) {
      const keys = [current, { id: 'k1', key: current.key }];
      expect(openSession(bad, keys, expect0)).toEqual({ ok: false, reason: 'tampered' });
    }
  });

  it('refuse a token sealed with a foreign key of the same id as tampered', () => {
    const token = sealSession(claims, foreign);
    expect(openSession(token, [current], expect0)).toEqual({ ok: false, reason: 'tampered' });
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['another version', 't9.k2.AAAA'],
    ['non-base64url data', 't1.k2.a+b/c='],
    ['too short to hold a tag', 't1.k2.AAAA'],
    ['too long', `t1.k2.${'A'.repeat(MAX_TOKEN_CHARS)}`],
    ['a JSON-RPC payload', '{"jsonrpc":"2.0"}'],
  ])('refuse a malformed token (%s)', (_name, token) => {
    expect(openSession(token, [current], expect0)).toEqual({ ok: false, reason: 'malformed' });
  });

  it("refuse another consumer's or another gateway's session", () => {
    const token = sealSession(claims, current);
    expect(openSession(token, [current], { ...expect0, consumer: 'ns/other' })).toEqual({
      ok: false,
      reason: 'other-consumer',
    });
    expect(openSession(token, [current], { ...expect0, gateway: 'ns/other' })).toEqual({
      ok: false,
      reason: 'other-consumer',
    });
  });

  it('expire at the absolute TTL from issued-at, and refuse tokens from the future beyond clock skew', () => {
    const token = sealSession(claims, current);
    expect(openSession(token, [current], { ...expect0, now: now + 3_600_000 }).ok).toBe(true);
    expect(openSession(token, [current], { ...expect0, now: now + 3_600_001 })).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(openSession(token, [current], { ...expect0, now: now - CLOCK_SKEW_MS }).ok).toBe(true);
    expect(openSession(token, [current], { ...expect0, now: now - CLOCK_SKEW_MS - 1 }).ok).toBe(false);
  });

  it('refuse an authentic token whose payload is not session claims', () => {
    const odd = { ...claims, servers: [{ registry: 'x' }] } as unknown as SessionClaims;
    expect(openSession(sealSession(odd, current), [current], expect0)).toEqual({
      ok: false,
      reason: 'tampered',
    });
  });

  it('decode compiled keys once per config object', () => {
    const compiled = [{ id: 'k', key: Buffer.alloc(32, 7).toString('base64') }];
    const keys = sessionKeysOf(compiled);
    expect(keys[0]?.key).toEqual(Buffer.alloc(32, 7));
    expect(sessionKeysOf(compiled)).toBe(keys);
  });
});

describe('IdleSessions', () => {
  it('refuses a session idle for longer than the limit, and an ended one', () => {
    const idle = new IdleSessions();
    expect(idle.touch('token-a', 0, 1000)).toBe('ok');
    expect(idle.touch('token-a', 1000, 1000)).toBe('ok');
    expect(idle.touch('token-a', 2001, 1000)).toBe('idle');
    expect(idle.touch('token-b', 0, 1000)).toBe('ok');
    idle.end('token-b');
    expect(idle.touch('token-b', 1, 1000)).toBe('ended');
  });

  it('holds at most maxEntries sessions, forgetting the least recently used', () => {
    const idle = new IdleSessions(2);
    idle.touch('token-a', 0, 10);
    idle.touch('token-b', 0, 10);
    idle.touch('token-a', 5, 10);
    idle.touch('token-c', 5, 10);
    expect(idle.size).toBe(2);
    // b was forgotten: a replica that never saw it accepts it
    expect(idle.touch('token-b', 100, 10)).toBe('ok');
    expect(idle.touch('token-c', 100, 10)).toBe('idle');
  });
});
