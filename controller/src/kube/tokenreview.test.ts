import { decideFleet, parseAccountRules } from './tokenreview';

describe('dataplane identity', () => {
  const rules = parseAccountRules('tollgate/tollgate-dataplane, edge/proxy=edge|edge-2');
  const ok = { authenticated: true, audiences: ['tollgate-discovery'] };

  it.each([
    [
      'the chart account, any fleet',
      { ...ok, username: 'system:serviceaccount:tollgate:tollgate-dataplane' },
      'edge',
      { fleet: 'edge' },
    ],
    [
      'a restricted account, its fleet',
      { ...ok, username: 'system:serviceaccount:edge:proxy' },
      'edge-2',
      { fleet: 'edge-2' },
    ],
    [
      'a restricted account, another fleet',
      { ...ok, username: 'system:serviceaccount:edge:proxy' },
      'default',
      { error: "ServiceAccount edge/proxy may not receive fleet 'default'" },
    ],
    [
      'an unknown account',
      { ...ok, username: 'system:serviceaccount:default:default' },
      'default',
      { error: 'ServiceAccount default/default may not stream config' },
    ],
    [
      'a user, not a ServiceAccount',
      { ...ok, username: 'alice' },
      'default',
      { error: 'alice is not a ServiceAccount' },
    ],
    [
      'a token for another audience',
      { authenticated: true, audiences: ['api'], username: 'x' },
      'default',
      { error: 'token is not for audience tollgate-discovery' },
    ],
    [
      'a bad token',
      { authenticated: false, error: 'invalid bearer token' },
      'default',
      { error: 'token rejected: invalid bearer token' },
    ],
  ])('%s', (_name, review, fleet, expected) => {
    expect(decideFleet(review, 'tollgate-discovery', fleet, rules)).toEqual(expected);
  });

  it('refuses malformed rules', () => {
    expect(() => parseAccountRules('just-a-name')).toThrow("bad dataplane account 'just-a-name'");
  });
});
