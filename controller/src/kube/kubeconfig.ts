import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/**
 * A KubeConfig whose API calls reuse their connections. client-node gives every call a new
 * `https.Agent`, so every status write, Event and replica report paid a TLS handshake on both
 * sides, competing with the writes users make. Calls here share one keep-alive agent per TLS
 * setup (CA, client certificate, server name, verification), as client-go shares its transport; a
 * changed setup (a rotated client certificate) gets a new agent. Proxied and plain-HTTP clusters
 * keep the agent client-node made. Watches are untouched: they hold their connection anyway.
 */
export class PooledKubeConfig extends KubeConfig {
  private pooled: { key: string; agent: https.Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!made || made.constructor !== https.Agent) return;
    const o = (made as https.Agent).options;
    const key = JSON.stringify(
      [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map((v) =>
        v === undefined ? null : Buffer.isBuffer(v) ? v.toString('base64') : v,
      ),
    );
    if (this.pooled?.key !== key) {
      const old = this.pooled?.agent;
      // Calls still in flight on the old agent finish; its idle connections close a minute later.
      if (old) setTimeout(() => old.destroy(), 60_000).unref();
      this.pooled = { key, agent: new https.Agent({ ...o, keepAlive: true }) };
    }
    context.setAgent(this.pooled.agent);
  }
}
