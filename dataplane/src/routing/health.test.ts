import { HEALTH_DEFAULTS } from '@tollgate/protocol';
import { registry } from '../testing/resources';
import {
  ACTIVE_START,
  CLOSED,
  DUMP_UPSTREAMS_PER_REGISTRY,
  HealthRegistry,
  MAX_EJECTION_MULTIPLIER,
  breakerAdmits,
  breakerPhase,
  healthKey,
  nextActive,
  nextBreaker,
  passiveSettings,
  type ActiveState,
  type BreakerEvent,
  type BreakerState,
  type Verdict,
} from './health';

const settings = { consecutiveFailures: 3, ejectionMs: 1000 };

function setup() {
  let now = 0;
  const ejected: string[] = [];
  const health = new HealthRegistry({ now: () => now, listener: { ejected: (r) => ejected.push(r) } });
  const s = health.get(healthKey('default/a', 'm'), 'default/a', 'm');
  /** One complete try with this verdict. */
  const run = (verdict: 'success' | 'failure' | 'neutral') => {
    const trial = health.begin(s);
    health.record(s, verdict, trial, settings);
    health.release(s);
  };
  return { health, s, run, ejected, advance: (ms: number) => (now += ms) };
}

describe('passive health', () => {
  it('ejects after N consecutive failures, a success in between resets the count', () => {
    const { health, s, run, ejected } = setup();
    run('failure');
    run('failure');
    run('success');
    run('failure');
    run('failure');
    expect(health.available(s)).toBe(true);
    run('failure');
    expect(health.available(s)).toBe(false);
    expect(ejected).toEqual(['default/a']);
  });

  it('429s and client aborts are neutral: they neither count nor reset', () => {
    const { health, s, run } = setup();
    run('failure');
    run('failure');
    run('neutral');
    expect(s.consecutiveFailures).toBe(2);
    run('failure');
    expect(health.available(s)).toBe(false);
  });

  it('re-admits half-open after the ejection: one trial at a time; success closes', () => {
    const { health, s, run, advance } = setup();
    for (let i = 0; i < 3; i++) run('failure');
    advance(999);
    expect(health.available(s)).toBe(false);
    advance(1);
    expect(health.available(s)).toBe(true);
    const trial = health.begin(s);
    expect(trial).toBe(true);
    expect(health.available(s)).toBe(false); // the trial is in flight
    health.record(s, 'success', trial, settings);
    expect(health.available(s)).toBe(true);
    expect(health.dump()['default/a']?.upstreams[0]).toMatchObject({ state: 'closed', ejections: 0 });
    // closed again: a single failure no longer ejects
    run('failure');
    expect(health.available(s)).toBe(true);
  });

  it('a failed trial ejects again, for longer each time, up to the cap', () => {
    const { health, s, run, advance, ejected } = setup();
    for (let i = 0; i < 3; i++) run('failure');
    for (let n = 2; n <= MAX_EJECTION_MULTIPLIER + 2; n++) {
      advance(1000 * Math.min(n - 1, MAX_EJECTION_MULTIPLIER));
      expect(health.available(s)).toBe(true);
      run('failure'); // the trial fails
      const expected = 1000 * Math.min(n, MAX_EJECTION_MULTIPLIER);
      advance(expected - 1);
      expect(health.available(s)).toBe(false);
      advance(1);
      expect(health.available(s)).toBe(true);
      advance(-expected); // back to the moment of this ejection for the next round
    }
    expect(ejected).toHaveLength(MAX_EJECTION_MULTIPLIER + 2);
  });

  it('a neutral trial releases the half-open slot without deciding', () => {
    const { health, s, run, advance } = setup();
    for (let i = 0; i < 3; i++) run('failure');
    advance(1000);
    run('neutral');
    expect(health.available(s)).toBe(true);
    expect(s.probation).toBe(true);
  });

  it('failures of requests sent before the ejection do not extend it', () => {
    const { health, s, run, advance } = setup();
    const stragglers = [health.begin(s), health.begin(s)];
    for (let i = 0; i < 3; i++) run('failure');
    for (const t of stragglers) health.record(s, 'failure', t, settings);
    advance(1000);
    expect(health.available(s)).toBe(true);
  });

  it('reports per registry: healthy, consecutive failures, ejected until', () => {
    const { health, run } = setup();
    for (let i = 0; i < 3; i++) run('failure');
    health.get(healthKey('default/b', 'm'), 'default/b', 'm');
    expect(health.healthyByRegistry()).toEqual(
      new Map([
        ['default/a', false],
        ['default/b', true],
      ]),
    );
    const dump = health.dump();
    expect(dump['default/a']).toMatchObject({
      healthy: false,
      upstreams: [{ model: 'm', healthy: false, state: 'open', consecutiveFailures: 3, ejections: 1 }],
    });
    expect(Date.parse(dump['default/a']?.upstreams[0]?.ejectedUntil ?? '')).toBeGreaterThan(Date.now());
    expect(dump['default/b']).toMatchObject({ healthy: true, upstreams: [{ state: 'closed' }] });
  });

  it('tracks in-flight requests and a latency average', () => {
    const { health, s } = setup();
    health.begin(s);
    health.begin(s);
    health.release(s);
    expect(s.inflight).toBe(1);
    health.observeLatency(s, 100);
    health.observeLatency(s, 200);
    expect(s.ewmaMs).toBeCloseTo(130);
  });

  it('uses the registry settings, or the defaults', () => {
    expect(passiveSettings(registry('a').body)).toEqual(HEALTH_DEFAULTS.passive);
    const custom = { passive: { consecutiveFailures: 2, ejectionMs: 5 } };
    expect(passiveSettings(registry('a', { healthCheck: custom }).body)).toEqual(custom.passive);
  });
});

describe('the breaker transition function', () => {
  const cfg = { consecutiveFailures: 2, ejectionMs: 100 };
  const begin: BreakerEvent = { type: 'begin' };
  const end = (verdict: Verdict, trial = false): BreakerEvent => ({ type: 'end', verdict, trial });
  /** Runs events at given times; returns every state after each. */
  function drive(steps: [number, BreakerEvent][], from: BreakerState = CLOSED): BreakerState[] {
    const out: BreakerState[] = [];
    let s = from;
    for (const [now, e] of steps) {
      s = nextBreaker(s, e, cfg, now);
      out.push(s);
    }
    return out;
  }

  it('closed → open after N consecutive failures', () => {
    const [a, b] = drive([
      [0, end('failure')],
      [1, end('failure')],
    ]);
    expect(a && breakerPhase(a, 1)).toBe('closed');
    expect(b).toMatchObject({ consecutiveFailures: 2, ejections: 1, ejectedAt: 1, ejectedUntil: 101 });
    expect(b && breakerPhase(b, 100)).toBe('open');
    expect(b && breakerAdmits(b, 100)).toBe(false);
    // the ejection time passes: half-open, admitting
    expect(b && breakerPhase(b, 101)).toBe('halfOpen');
    expect(b && breakerAdmits(b, 101)).toBe(true);
  });

  it('half-open admits ONE trial: concurrent tries are kept away until it is decided', () => {
    const [open] = drive([[0, end('failure')]], { ...CLOSED, consecutiveFailures: 1 });
    const trial = nextBreaker(open as BreakerState, begin, cfg, 100);
    expect(trial.trialInFlight).toBe(true);
    expect(breakerAdmits(trial, 100)).toBe(false);
    // a second begin (panic mode) does not take another trial slot
    expect(nextBreaker(trial, begin, cfg, 100)).toBe(trial);
  });

  it('a successful trial closes the breaker and resets the ejection count', () => {
    const s = drive([
      [0, end('failure')],
      [0, end('failure')],
      [100, begin],
      [150, end('success', true)],
    ]);
    const closed = s[3] as BreakerState;
    expect(breakerPhase(closed, 150)).toBe('closed');
    expect(closed).toMatchObject({
      consecutiveFailures: 0,
      ejections: 0,
      probation: false,
      trialInFlight: false,
    });
    // a single failure no longer ejects
    expect(breakerPhase(nextBreaker(closed, end('failure'), cfg, 151), 151)).toBe('closed');
  });

  it('a failed trial opens it again, each time for longer, up to the cap; a success resets', () => {
    let s = drive([
      [0, end('failure')],
      [0, end('failure')],
    ])[1] as BreakerState;
    const durations: number[] = [];
    for (let i = 0; i < MAX_EJECTION_MULTIPLIER + 2; i++) {
      const now = s.ejectedUntil;
      s = nextBreaker(nextBreaker(s, begin, cfg, now), end('failure', true), cfg, now);
      durations.push(s.ejectedUntil - now);
    }
    expect(durations).toEqual([200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000, 1000]);
    const now = s.ejectedUntil;
    s = nextBreaker(nextBreaker(s, begin, cfg, now), end('success', true), cfg, now);
    expect(s.ejections).toBe(0);
    s = drive(
      [
        [now + 1, end('failure')],
        [now + 1, end('failure')],
      ],
      s,
    )[1] as BreakerState;
    expect(s.ejectedUntil - (now + 1)).toBe(100); // back to the base duration
  });

  it('neutral verdicts neither count nor reset; a neutral trial frees the slot undecided', () => {
    const s = drive([
      [0, end('failure')],
      [0, end('neutral')],
    ]);
    expect(s[1]?.consecutiveFailures).toBe(1);
    const open = nextBreaker(s[1] as BreakerState, end('failure'), cfg, 0);
    const trial = nextBreaker(open, begin, cfg, 100);
    const after = nextBreaker(trial, end('neutral', true), cfg, 100);
    expect(breakerPhase(after, 100)).toBe('halfOpen');
    expect(breakerAdmits(after, 100)).toBe(true);
  });

  it('failures while open (stragglers, panic mode) do not extend the ejection', () => {
    const open = drive([
      [0, end('failure')],
      [0, end('failure')],
    ])[1] as BreakerState;
    const later = nextBreaker(open, end('failure'), cfg, 50);
    expect(later.ejectedUntil).toBe(open.ejectedUntil);
    expect(later.consecutiveFailures).toBe(3);
  });

  it("a trial finishing after another try's success closed the breaker counts as a plain failure", () => {
    const open = drive([
      [0, end('failure')],
      [0, end('failure')],
    ])[1] as BreakerState;
    const trial = nextBreaker(open, begin, cfg, 100);
    const closed = nextBreaker(trial, end('success'), cfg, 101); // a straggler's success
    expect(breakerPhase(closed, 101)).toBe('closed');
    const after = nextBreaker(closed, end('failure', true), cfg, 102);
    expect(breakerPhase(after, 102)).toBe('closed');
    expect(after).toMatchObject({ consecutiveFailures: 1, trialInFlight: false });
  });

  it('returns the same state when nothing changes (the hot path allocates nothing)', () => {
    expect(nextBreaker(CLOSED, begin, cfg, 0)).toBe(CLOSED);
    expect(nextBreaker(CLOSED, end('success'), cfg, 0)).toBe(CLOSED);
    expect(nextBreaker(CLOSED, end('neutral'), cfg, 0)).toBe(CLOSED);
  });
});

describe('the active probes transition function', () => {
  const t = { unhealthyThreshold: 3, healthyThreshold: 2 };
  const run = (results: boolean[], from: ActiveState = ACTIVE_START) =>
    results.reduce<ActiveState[]>((acc, ok) => [...acc, nextActive(acc.at(-1) ?? from, ok, t)], []);

  it('starts healthy; unhealthyThreshold failures in a row mark it unhealthy', () => {
    const s = run([false, false, true, false, false, false]);
    expect(s.map((x) => x.healthy)).toEqual([true, true, true, true, true, false]);
    expect(s.at(-1)).toEqual({ healthy: false, successes: 0, failures: 3 });
  });

  it('healthyThreshold successes in a row bring it back; a failure in between starts over', () => {
    const down: ActiveState = { healthy: false, successes: 0, failures: 3 };
    const s = run([true, false, true, true], down);
    expect(s.map((x) => x.healthy)).toEqual([false, false, false, true]);
  });

  it('thresholds of 1 flip on every result', () => {
    const one = { unhealthyThreshold: 1, healthyThreshold: 1 };
    const down = nextActive(ACTIVE_START, false, one);
    expect(down.healthy).toBe(false);
    expect(nextActive(down, true, one).healthy).toBe(true);
  });
});

describe('active probes in the health registry', () => {
  const check = {
    intervalMs: 1000,
    timeoutMs: 100,
    unhealthyThreshold: 2,
    healthyThreshold: 2,
    path: '/models',
  };
  const fail = { result: 'status', status: 503, durationMs: 3 } as const;
  const ok = { result: 'success', status: 200, durationMs: 2 } as const;

  function setup() {
    let now = 0;
    const probed: string[] = [];
    const health = new HealthRegistry({
      now: () => now,
      listener: { probed: (r, result) => probed.push(`${r} ${result}`) },
    });
    const a = health.get(healthKey('default/a', 'm1'), 'default/a', 'm1');
    const b = health.get(healthKey('default/a', 'm2'), 'default/a', 'm2');
    const other = health.get(healthKey('default/b', 'm1'), 'default/b', 'm1');
    return { health, a, b, other, probed, advance: (ms: number) => (now += ms) };
  }

  it('takes every upstream model of the registry out after unhealthyThreshold failures, and back', () => {
    const { health, a, b, other, probed } = setup();
    health.startProbing('default/a', check);
    expect(health.recordProbe('default/a', fail)).toBeUndefined();
    expect(health.available(a)).toBe(true);
    expect(health.recordProbe('default/a', fail)).toBe('down');
    expect([health.available(a), health.available(b), health.available(other)]).toEqual([false, false, true]);
    expect(health.isEjected(a)).toBe(true);
    expect(health.healthyByRegistry().get('default/a')).toBe(false);

    expect(health.recordProbe('default/a', ok)).toBeUndefined();
    expect(health.available(a)).toBe(false);
    expect(health.recordProbe('default/a', ok)).toBe('up');
    expect([health.available(a), health.available(b)]).toEqual([true, true]);
    expect(health.healthyByRegistry().get('default/a')).toBe(true);
    expect(probed).toEqual([
      'default/a status',
      'default/a status',
      'default/a success',
      'default/a success',
    ]);
  });

  it('leaves the breaker alone: a panic-mode try while probed down is never the trial', () => {
    const { health, a } = setup();
    health.startProbing('default/a', check);
    health.recordProbe('default/a', fail);
    health.recordProbe('default/a', fail);
    expect(health.begin(a)).toBe(false);
    expect(a.breaker).toBe(CLOSED);
  });

  it('panic mode prefers the least recently ejected, probes included', () => {
    const { health, a, other, advance } = setup();
    const settings = { consecutiveFailures: 1, ejectionMs: 10_000 };
    advance(10);
    health.record(other, 'failure', false, settings); // ejected passively at 10
    advance(10);
    health.startProbing('default/a', check);
    health.recordProbe('default/a', fail);
    health.recordProbe('default/a', fail); // down at 20
    expect(a.ejectedAt).toBe(20);
    expect(other.ejectedAt).toBe(10);
  });

  it('stopping the probes (registry gone or changed) forgets their verdict', () => {
    const { health, a } = setup();
    health.startProbing('default/a', check);
    health.recordProbe('default/a', fail);
    health.recordProbe('default/a', fail);
    health.stopProbing('default/a');
    expect(health.available(a)).toBe(true);
    expect(health.recordProbe('default/a', fail)).toBeUndefined(); // a late result of stopped probes
    health.startProbing('default/a', check);
    health.recordProbe('default/a', fail);
    expect(health.available(a)).toBe(true); // a fresh count
  });

  it('dumps the probes per registry, probed registries without traffic included', () => {
    const { health } = setup();
    health.startProbing('default/a', check);
    health.startProbing('default/c', check);
    health.recordProbe('default/a', {
      result: 'error',
      error: 'connect ECONNREFUSED 10.0.0.1:443',
      durationMs: 1.26,
    });
    health.recordProbe('default/a', { result: 'timeout', error: 'no answer within 100ms', durationMs: 100 });
    const dump = health.dump();
    expect(Object.keys(dump)).toEqual(['default/a', 'default/b', 'default/c']);
    expect(dump['default/a']).toMatchObject({
      healthy: false,
      active: {
        healthy: false,
        consecutiveSuccesses: 0,
        consecutiveFailures: 2,
        path: '/models',
        intervalMs: 1000,
        unhealthySince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastProbe: { result: 'timeout', error: 'no answer within 100ms', durationMs: 100 },
      },
      upstreams: [
        { model: 'm1', healthy: false, state: 'closed' },
        { model: 'm2', healthy: false, state: 'closed' },
      ],
    });
    expect(dump['default/a']?.active?.lastProbe?.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(dump['default/b']).toEqual({
      healthy: true,
      upstreams: [expect.objectContaining({ model: 'm1', healthy: true })],
    });
    expect(dump['default/c']).toEqual({
      healthy: true,
      active: {
        healthy: true,
        consecutiveSuccesses: 0,
        consecutiveFailures: 0,
        path: '/models',
        intervalMs: 1000,
      },
      upstreams: [],
    });
    expect(health.healthyByRegistry()).toEqual(
      new Map([
        ['default/a', false],
        ['default/b', true],
        ['default/c', true],
      ]),
    );
  });
});

describe('bounded state for catch-all routes (names chosen by callers)', () => {
  const fromRequest = (health: HealthRegistry, model: string) =>
    health.get(healthKey('default/any', model), 'default/any', model, true);

  it('never holds more than the cap, however many names callers send', () => {
    const health = new HealthRegistry({ maxTracked: 100 });
    for (let i = 0; i < 5000; i++) fromRequest(health, `m-${i}`);
    expect(health.size).toBeLessThanOrEqual(100);
  });

  it('evicts the least recently used name with failures once idle ones are gone; keeps the recent', () => {
    let now = 0;
    const health = new HealthRegistry({ now: () => now, maxTracked: 10 });
    const states = Array.from({ length: 10 }, (_, i) => fromRequest(health, `m-${i}`));
    // Each carries information (one failure), so none is dropped as idle.
    for (const s of states) health.record(s, 'failure', false, settings);
    fromRequest(health, 'm-0'); // used again: now the most recent
    now += 1;
    fromRequest(health, 'new');
    const models = (health.dump(100)['default/any']?.upstreams ?? []).map((u) => u.model);
    expect(models).toContain('m-0');
    expect(models).toContain('new');
    expect(models).not.toContain('m-1'); // the least recently used
    expect(health.size).toBeLessThanOrEqual(10);
  });

  it('never evicts a configured upstream or one with a request in flight', () => {
    const health = new HealthRegistry({ maxTracked: 10 });
    const configured = health.get(healthKey('default/cfg', 'gpt'), 'default/cfg', 'gpt');
    health.record(configured, 'failure', false, settings);
    const busy = fromRequest(health, 'busy');
    health.begin(busy);
    for (let i = 0; i < 1000; i++) {
      const s = fromRequest(health, `m-${i}`);
      health.record(s, 'failure', false, settings);
    }
    expect(health.get(healthKey('default/cfg', 'gpt'), 'default/cfg', 'gpt')).toBe(configured);
    expect(fromRequest(health, 'busy')).toBe(busy);
    expect(health.size).toBeLessThanOrEqual(10);
  });

  it('a name also used by a configured route stops being evictable', () => {
    const health = new HealthRegistry({ maxTracked: 5 });
    const s = fromRequest(health, 'shared');
    health.get(healthKey('default/any', 'shared'), 'default/any', 'shared');
    health.record(s, 'failure', false, settings);
    for (let i = 0; i < 100; i++) health.record(fromRequest(health, `m-${i}`), 'failure', false, settings);
    expect(fromRequest(health, 'shared')).toBe(s);
  });

  it('the dump lists at most so many upstreams per registry, eventful ones first, and counts the rest', () => {
    let now = 0;
    const health = new HealthRegistry({ now: () => now });
    const ejected = fromRequest(health, 'zz-broken');
    for (let i = 0; i < 3; i++) health.record(ejected, 'failure', false, settings);
    for (let i = 0; i < 2000; i++) fromRequest(health, `m-${String(i).padStart(4, '0')}`);
    now += 1;
    const dump = health.dump()['default/any'];
    expect(dump?.upstreams).toHaveLength(DUMP_UPSTREAMS_PER_REGISTRY);
    expect(dump?.upstreamsOmitted).toBe(2001 - DUMP_UPSTREAMS_PER_REGISTRY);
    expect(dump?.healthy).toBe(false); // computed over all, listed or not
    const models = dump?.upstreams.map((u) => u.model) ?? [];
    expect(models).toContain('zz-broken');
    expect(models).toContain('m-1999'); // the most recently used
    expect(models).not.toContain('m-0000');
    expect([...models].sort()).toEqual(models);
  });
});
