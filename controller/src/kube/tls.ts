import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { generateServingCert, serviceDnsNames, type ServingCert } from './certs';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/**
 * The discovery endpoint's serving certificate. A Secret that already exists is used as it is (from
 * cert-manager or an earlier replica); otherwise one replica generates a CA and certificate and
 * creates it — a racing replica's create fails with 409 and it reads the winner's. The CA is
 * published in a ConfigMap the proxies mount, so they never need to read a Secret.
 */
export async function ensureServingCert(
  kc: KubeConfig,
  options: { namespace: string; secretName: string; configMapName: string; serviceName: string },
): Promise<ServingCert & { generated: boolean }> {
  const api = kc.makeApiClient(CoreV1Api);
  const { namespace, secretName, configMapName } = options;
  let pem: ServingCert | undefined = await readSecret(api, namespace, secretName);
  let generated = false;
  if (!pem) {
    const fresh = generateServingCert(serviceDnsNames(options.serviceName, namespace));
    try {
      await api.createNamespacedSecret({
        namespace,
        body: {
          metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/managed-by': 'tollgate' } },
          type: 'kubernetes.io/tls',
          data: {
            'ca.crt': b64(fresh['ca.crt']),
            'tls.crt': b64(fresh['tls.crt']),
            'tls.key': b64(fresh['tls.key']),
          },
        },
      });
      pem = fresh;
      generated = true;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      pem = await readSecret(api, namespace, secretName);
      if (!pem)
        throw new Error(`Secret ${namespace}/${secretName} exists but could not be read`, { cause: err });
    }
  }
  const data = { 'ca.crt': pem['ca.crt'] };
  try {
    const cm = await api.readNamespacedConfigMap({ name: configMapName, namespace });
    if (cm.data?.['ca.crt'] !== data['ca.crt']) {
      await api.replaceNamespacedConfigMap({ name: configMapName, namespace, body: { ...cm, data } });
    }
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: configMapName, namespace }, data },
    });
  }
  return { ...pem, generated };
}

async function readSecret(api: CoreV1Api, namespace: string, name: string): Promise<ServingCert | undefined> {
  try {
    const s = await api.readNamespacedSecret({ name, namespace });
    const crt = unb64(s.data?.['tls.crt']);
    const key = unb64(s.data?.['tls.key']);
    if (!crt || !key) throw new Error(`Secret ${namespace}/${name} lacks tls.crt or tls.key`);
    // cert-manager puts the issuing CA in ca.crt; a self-signed certificate is its own CA.
    return { 'ca.crt': unb64(s.data?.['ca.crt']) || crt, 'tls.crt': crt, 'tls.key': key };
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
