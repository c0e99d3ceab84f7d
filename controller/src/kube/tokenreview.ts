import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Metadata } from '@grpc/grpc-js';
import type { WireNode } from '@tollgate/protocol';

/** Which ServiceAccounts may stream config, and for which fleets (`*`: any). */
export type AccountRules = Map<string, Set<string>>;

/** `ns/sa` or `ns/sa=fleetA|fleetB`, comma-separated. */
export function parseAccountRules(spec: string): AccountRules {
  const rules: AccountRules = new Map();
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [account = '', fleets] = item.split('=');
    if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(account))
      throw new Error(`bad dataplane account '${item}' (want ns/name[=fleet|fleet])`);
    rules.set(account, new Set(fleets ? fleets.split('|') : ['*']));
  }
  return rules;
}

/** The fleet a reviewed identity may receive, or an error saying why not. Pure. */
export function decideFleet(
  review: { authenticated?: boolean; username?: string; audiences?: string[]; error?: string },
  audience: string,
  requested: string,
  rules: AccountRules,
): { fleet: string } | { error: string } {
  if (!review.authenticated) return { error: `token rejected${review.error ? `: ${review.error}` : ''}` };
  if (review.audiences && !review.audiences.includes(audience))
    return { error: `token is not for audience ${audience}` };
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(review.username ?? '');
  if (!m) return { error: `${review.username} is not a ServiceAccount` };
  const fleets = rules.get(`${m[1]}/${m[2]}`);
  if (!fleets) return { error: `ServiceAccount ${m[1]}/${m[2]} may not stream config` };
  if (!fleets.has('*') && !fleets.has(requested))
    return { error: `ServiceAccount ${m[1]}/${m[2]} may not receive fleet '${requested}'` };
  return { fleet: requested };
}

/** The discovery server's `authorize`: the proxy's projected ServiceAccount token, checked by TokenReview. */
export function tokenReviewAuthorizer(kc: KubeConfig, audience: string, rules: AccountRules) {
  const api = kc.makeApiClient(AuthenticationV1Api);
  return async (node: WireNode, metadata: Metadata): Promise<string> => {
    const header = String(metadata.get('authorization')[0] ?? '');
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new Error('no bearer token');
    const review = await api.createTokenReview({ body: { spec: { token, audiences: [audience] } } });
    const decision = decideFleet(
      {
        authenticated: review.status?.authenticated,
        username: review.status?.user?.username,
        audiences: review.status?.audiences,
        error: review.status?.error,
      },
      audience,
      node.cluster || 'default',
      rules,
    );
    if ('error' in decision) throw new Error(decision.error);
    return decision.fleet;
  };
}
