import { HEALTH_DEFAULTS } from '../../../protocol/src';
import { registry } from '../testing/resources';
import { HealthRegistry, MAX_EJECTION_MULTIPLIER, healthKey, passiveSettings } from './health';

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
