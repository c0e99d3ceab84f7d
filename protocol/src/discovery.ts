import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AnyResource, ResourceKind } from './types';
import { RESOURCE_KINDS, TYPE_URLS } from './types';

/** protocol/proto/discovery.proto, found by walking up from this file: works from src and dist. */
export function discoveryProtoFile(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'protocol', 'proto', 'discovery.proto');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`protocol/proto/discovery.proto not found above ${__dirname}`);
    dir = parent;
  }
}

/** Wire shapes of the delta discovery messages as @grpc/proto-loader presents them (keepCase). */
export interface WireNode {
  id: string;
  cluster: string;
  user_agent_name?: string;
  user_agent_version?: string;
}

export interface WireStatus {
  code: number;
  message: string;
}

export interface DeltaDiscoveryRequest {
  node?: WireNode | null;
  type_url: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: WireStatus | null;
}

export interface WireResource {
  version: string;
  name: string;
  resource: { type_url: string; value: Buffer };
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: WireResource[];
  type_url: string;
  nonce: string;
  removed_resources: string[];
}

const KIND_BY_TYPE_URL = new Map<string, ResourceKind>(RESOURCE_KINDS.map((k) => [TYPE_URLS[k], k]));

export function kindOfTypeUrl(typeUrl: string): ResourceKind | undefined {
  return KIND_BY_TYPE_URL.get(typeUrl);
}

export const DISCOVERY_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/** A resource's body as the delta stream carries it (the `value` of its `Any`): JSON, UTF-8. */
export function encodeBody(body: unknown): Buffer {
  return Buffer.from(JSON.stringify(body));
}

/** A body off the delta stream; throws a SyntaxError when it is not JSON. */
export function decodeBody(value: Buffer): unknown {
  return JSON.parse(value.toString('utf8'));
}

/**
 * A resource as a proxy holds it after discovery: its body encoded and decoded as the delta stream
 * does. Standalone mode and the warm-up's copies of the config go through it too, so every body a
 * proxy holds is made the same way (by JSON.parse, in the same key order) and shares its hidden
 * class with the bodies of its kind: code the warm-up optimised for its copies stays valid for the
 * real config's objects.
 */
export function asReceived<R extends AnyResource>(r: R): R {
  return { ...r, body: decodeBody(encodeBody(r.body)) as R['body'] };
}
