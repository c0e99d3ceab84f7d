import { parseArgs } from 'node:util';
import { DEFAULTS, lifecycleFlags, port, seconds } from './args';

export interface ControllerFlags {
  kubeconfig: string | undefined;
  host: string;
  discoveryPort: number;
  opsPort: number;
  namespaces: string[];
  namespace: string;
  identity: string | undefined;
  tlsSecret: string;
  caConfigMap: string;
  serviceName: string;
  insecure: boolean;
  tokenAudience: string;
  dataplaneAccounts: string;
  leaseName: string;
  leaseDurationSeconds: number;
  leaseRenewMs: number;
  gracePeriodMs: number;
  logLevel: string | undefined;
}

export const CONTROLLER_OPTIONS = {
  kubeconfig: { type: 'string' },
  host: { type: 'string' },
  'discovery-port': { type: 'string' },
  'ops-port': { type: 'string' },
  namespaces: { type: 'string' },
  namespace: { type: 'string' },
  identity: { type: 'string' },
  'tls-secret': { type: 'string' },
  'ca-configmap': { type: 'string' },
  'service-name': { type: 'string' },
  insecure: { type: 'boolean' },
  'token-audience': { type: 'string' },
  'dataplane-accounts': { type: 'string' },
  'lease-name': { type: 'string' },
  'lease-duration': { type: 'string' },
  'grace-period': { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** `tollgate controller`: every flag also has an environment variable; the flag wins. */
export function parseControllerFlags(argv: string[], env: NodeJS.ProcessEnv): ControllerFlags {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: CONTROLLER_OPTIONS,
  });
  const namespace = values.namespace ?? env.POD_NAMESPACE ?? 'tollgate-system';
  const leaseDurationSeconds = seconds(
    '--lease-duration',
    values['lease-duration'] ?? env.TOLLGATE_LEASE_DURATION,
    15,
  );
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    host: values.host ?? env.TOLLGATE_HOST ?? '0.0.0.0',
    discoveryPort: port('--discovery-port', values['discovery-port'] ?? env.TOLLGATE_DISCOVERY_PORT, 9977),
    opsPort: port('--ops-port', values['ops-port'] ?? env.TOLLGATE_OPS_PORT, DEFAULTS.opsPort),
    namespaces: (values.namespaces ?? env.TOLLGATE_WATCH_NAMESPACES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    namespace,
    identity: values.identity ?? env.POD_NAME,
    tlsSecret: values['tls-secret'] ?? env.TOLLGATE_TLS_SECRET ?? 'tollgate-controller-tls',
    caConfigMap: values['ca-configmap'] ?? env.TOLLGATE_CA_CONFIGMAP ?? 'tollgate-ca',
    serviceName: values['service-name'] ?? env.TOLLGATE_SERVICE_NAME ?? 'tollgate-controller',
    insecure: values.insecure ?? env.TOLLGATE_INSECURE === 'true',
    tokenAudience: values['token-audience'] ?? env.TOLLGATE_TOKEN_AUDIENCE ?? 'tollgate-discovery',
    dataplaneAccounts:
      values['dataplane-accounts'] ?? env.TOLLGATE_DATAPLANE_ACCOUNTS ?? `${namespace}/tollgate-dataplane`,
    leaseName: values['lease-name'] ?? env.TOLLGATE_LEASE_NAME ?? 'tollgate-controller',
    leaseDurationSeconds,
    // Renew at a third of the lease, as client-go's defaults (15 s lease, 5 s retry) do.
    leaseRenewMs: Math.max(200, Math.round((leaseDurationSeconds * 1000) / 3)),
    ...lifecycleFlags(values, env),
  };
}
