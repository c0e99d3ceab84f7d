import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ResourceKind } from './types';
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
