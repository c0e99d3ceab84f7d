import type { ObjectStatus } from '../compile';
import { AckTracker, MAX_LAGGING, programmedConditions, type ReplicaReport } from './programmed';

const status = (kind: ObjectStatus['kind'], name: string, accepted = true): ObjectStatus => ({
  kind,
  namespace: 'ns',
  name,
  generation: 4,
  conditions: [
    {
      type: 'Accepted',
      status: accepted ? 'True' : 'False',
      reason: 'x',
      message: 'x',
      observedGeneration: 4,
    },
  ],
});

describe('AckTracker.report', () => {
  const views = new Map([
    [
      'default',
      new Map([
        ['Consumer/ns/a', 'v1'],
        ['Gateway/ns/g', 'v9'],
      ]),
    ],
  ]);

  it('lists what any proxy of a fleet has not acknowledged', () => {
    const t = new AckTracker();
    t.open(1, 'default', 'p1');
    t.open(2, 'default', 'p2');
    t.ack(1, 'Consumer', new Map([['ns/a', 'v1']]));
    t.ack(1, 'Gateway', new Map([['ns/g', 'v9']]));
    t.ack(2, 'Consumer', new Map([['ns/a', 'v0']]));
    expect(t.report('r1', 'sys', views)).toEqual({
      replica: 'r1',
      systemVersion: 'sys',
      fleets: { default: { proxies: 2, lagging: ['Consumer/ns/a', 'Gateway/ns/g'] } },
      rejected: [],
    });
    t.close(2);
    expect(t.report('r1', 'sys', views).fleets.default).toEqual({ proxies: 1, lagging: [] });
  });

  it('keeps rejections only while the rejected version is still served, and truncates long lag lists', () => {
    const t = new AckTracker();
    t.open(1, 'default', 'p1');
    t.reject(1, 'Consumer/ns/a', 'v1', 'bad');
    expect(t.report('r', 's', views).rejected).toEqual([
      { key: 'Consumer/ns/a', version: 'v1', node: 'p1', message: 'bad' },
    ]);
    const moved = new Map([['default', new Map([['Consumer/ns/a', 'v2']])]]);
    expect(t.report('r', 's', moved).rejected).toEqual([]);
    const big = new Map([
      ['default', new Map([...Array(MAX_LAGGING + 5).keys()].map((i) => [`Consumer/ns/c${i}`, 'v']))],
    ]);
    const f = t.report('r', 's', big).fleets.default;
    expect(f?.truncated).toBe(true);
    expect(f?.lagging).toHaveLength(MAX_LAGGING);
  });
});

describe('programmedConditions', () => {
  const served = new Map([['Consumer/ns/a', { fleets: ['default'], version: 'v1' }]]);
  const report = (over: Partial<ReplicaReport> = {}): ReplicaReport => ({
    replica: 'r1',
    systemVersion: 'sys',
    fleets: { default: { proxies: 2, lagging: [] } },
    rejected: [],
    ...over,
  });
  const one = (reports: ReplicaReport[], s = status('Consumer', 'a')) =>
    programmedConditions([s], served, reports, 'sys').get(`${s.kind}/ns/${s.name}`);

  it.each([
    ['all proxies acknowledged', [report()], 'True', 'Programmed'],
    ['no proxy connected', [], 'False', 'NoProxies'],
    [
      'a proxy lags',
      [report({ fleets: { default: { proxies: 2, lagging: ['Consumer/ns/a'] } } })],
      'False',
      'Pending',
    ],
    [
      'a replica serves an older config',
      [report(), report({ replica: 'r2', systemVersion: 'old' })],
      'False',
      'Pending',
    ],
    [
      'a proxy rejected the served version',
      [report({ rejected: [{ key: 'Consumer/ns/a', version: 'v1', node: 'p1', message: 'no' }] })],
      'False',
      'Rejected',
    ],
    [
      'a rejection of an older version',
      [report({ rejected: [{ key: 'Consumer/ns/a', version: 'v0', node: 'p1', message: 'no' }] })],
      'True',
      'Programmed',
    ],
  ])('%s', (_name, reports, expectedStatus, reason) => {
    expect(one(reports)).toMatchObject({
      type: 'Programmed',
      status: expectedStatus,
      reason,
      observedGeneration: 4,
    });
  });

  it('counts proxies across replicas and explains objects no proxy receives', () => {
    expect(one([report(), report({ replica: 'r2' })])?.message).toBe(
      "acknowledged by 4 proxies of fleet 'default'",
    );
    expect(one([report()], status('Registry', 'unused'))).toMatchObject({
      status: 'False',
      reason: 'NotServed',
    });
    expect(one([report()], status('Consumer', 'bad', false))).toMatchObject({
      status: 'False',
      reason: 'Invalid',
    });
  });

  it('names the earlier generation served while the current one is not accepted', () => {
    const previous: ObjectStatus = { ...status('Consumer', 'a', false), servedGeneration: 3 };
    expect(one([report()], previous)).toEqual({
      type: 'Programmed',
      status: 'False',
      reason: 'PreviousGeneration',
      message:
        "generation 4 is not accepted; generation 3 is served in its place (acknowledged by 2 proxies of fleet 'default')",
      observedGeneration: 4,
    });
    expect(one([], previous)?.message).toMatch(/generation 3 is served in its place \(no proxy of fleet/);
  });
});
