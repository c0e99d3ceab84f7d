/**
 * The manifests the policy e2e tests share: Gateway `acme`, Registry `mock` (its spec given, the
 * built-in mock provider by default), and one Consumer per key — named and slugged after it,
 * routing every model to `mock` — with the keys in Secret `keys`.
 */
export function acmeWithConsumers(keys: Record<string, string>, registrySpec = '{provider: mock}'): string {
  const names = Object.keys(keys);
  return `
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: mock}
spec: ${registrySpec}
---
${secretYaml('keys', names.map((c) => `${c}: ${keys[c]}`).join(', '))}${names
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

/** A Secret: `stringData` is the inside of its YAML map, e.g. `key: sk-app`. */
export function secretYaml(name: string, stringData: string): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}}
stringData: {${stringData}}
`;
}

/** Gateway `acme` (slug `acme`); `spec` replaces its whole spec map. */
export function acmeGatewayYaml(spec = '{slug: acme}'): string {
  return `apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: acme}
spec: ${spec}
`;
}

/** The head of Consumer `name` of gateway `acme` (slug = name), its API key in Secret `secret`, `key`: add its routes. */
export function consumerHeadYaml(secret: string, key: string, name = 'app'): string {
  return `apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: ${name}}
spec:
  gatewayRef: {name: acme}
  slug: ${name}
  credentials: {apiKeys: [{secretRef: {name: ${secret}, key: ${key}}}]}
`;
}
