/**
 * The manifests the policy e2e tests share: Gateway `acme`, Registry `mock` (its spec given, the
 * built-in mock provider by default), and one Consumer per key — named and slugged after it,
 * routing every model to `mock` — with the keys in Secret `keys`.
 */
export function acmeWithConsumers(keys: Record<string, string>, registrySpec = '{provider: mock}'): string {
  const names = Object.keys(keys);
  return `
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: acme}
spec: {slug: acme}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: mock}
spec: ${registrySpec}
---
apiVersion: v1
kind: Secret
metadata: {name: keys}
stringData: {${names.map((c) => `${c}: ${keys[c]}`).join(', ')}}
${names
  .map(
    (c) => `---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: ${c}}
spec:
  gatewayRef: {name: acme}
  slug: ${c}
  credentials: {apiKeys: [{secretRef: {name: keys, key: ${c}}}]}
  routes: [{model: "*", targets: [{registryRef: {name: mock}}]}]`,
  )
  .join('\n')}`;
}
