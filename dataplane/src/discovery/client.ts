import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  RESOURCE_KINDS,
  TYPE_URLS,
  decodeBody,
  discoveryProtoFile,
  kindOfTypeUrl,
  resourceKey,
  validateResource,
  type AnyResource,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type WireNode,
} from '@tollgate/protocol';
import type { ConfigStore } from '../config/store';
import type { Logger } from '../telemetry/logger';
import { nextBackoff } from './backoff';

export { nextBackoff };

export interface DiscoveryClientOptions {
  address: string;
  node: WireNode;
  store: ConfigStore;
  logger: Logger;
  credentials?: grpc.ChannelCredentials;
  /** Sent with the stream, e.g. the ServiceAccount token. */
  metadata?: () => grpc.Metadata;
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * Reconnect delays: from 10 ms, doubling, capped at 1 s, jittered (nextBackoff), for every attempt
 * that reaches the controller: the gRPC channel's connections (grpc-js adds ±20%) and streams the
 * controller refuses (e.g. while it syncs). While the channel is not connected a stream retry fails
 * locally, without touching the network, so it is retried on a shorter cap (LOCAL_RETRY_MAX_MS) and
 * the stream starts right after the channel's next connection. A controller that is down sees about
 * one connection attempt a second from each proxy; a restarted one is found within about 1.5 s,
 * however long it was away.
 */
export const DEFAULT_BACKOFF = { initialMs: 10, maxMs: 1_000 };
const LOCAL_RETRY_MAX_MS = 250;

type Call = grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/**
 * The proxy side of the delta stream: subscribes to every resource type, validates each resource on
 * its own against the protocol schema, applies the good ones, NACKs the bad ones by name, and
 * reconnects with backoff offering the versions it holds so only differences come back. The store
 * keeps serving the last good config while the controller is away.
 */
export class DiscoveryClient {
  private readonly client: grpc.Client & {
    DeltaAggregatedResources(metadata?: grpc.Metadata): Call;
  };
  private call: Call | undefined;
  private stopped = false;
  private delayMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly synced = new Set<string>();
  /** Versions this proxy holds, by type URL then name. */
  private readonly held = new Map<string, Map<string, string>>();
  private readonly backoff: { initialMs: number; maxMs: number };
  /** The stream is down: reported once per outage, not on every reconnect attempt. */
  private lost = false;

  constructor(private readonly options: DiscoveryClientOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    const def = protoLoader.loadSync(discoveryProtoFile(), { keepCase: true, longs: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      envoy: {
        service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } };
      };
    };
    const Ctor = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService;
    this.client = new Ctor(options.address, options.credentials ?? grpc.credentials.createInsecure(), {
      // The channel's own reconnect backoff (grpc-js defaults: 1 s growing to 120 s) would hide a
      // restarted controller long after our stream retries: it follows our schedule.
      'grpc.initial_reconnect_backoff_ms': this.backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': this.backoff.maxMs,
    }) as unknown as typeof this.client;
    for (const kind of RESOURCE_KINDS) this.held.set(TYPE_URLS[kind], new Map());
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.call?.cancel();
    this.client.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const call = this.client.DeltaAggregatedResources(this.options.metadata?.() ?? new grpc.Metadata());
    this.call = call;
    for (const kind of RESOURCE_KINDS) {
      const typeUrl = TYPE_URLS[kind];
      call.write({
        node: this.options.node,
        type_url: typeUrl,
        resource_names_subscribe: [],
        initial_resource_versions: Object.fromEntries(this.held.get(typeUrl) ?? []),
      });
    }
    call.on('data', (res: DeltaDiscoveryResponse) => {
      this.delayMs = 0;
      if (this.lost) {
        this.lost = false;
        this.options.logger.info({ address: this.options.address }, 'discovery stream restored');
      }
      this.onResponse(call, res);
    });
    const retry = (why: string) => {
      if (this.call !== call || this.stopped) return;
      this.call = undefined;
      // Connected: the controller itself refused or ended the stream. Not connected: a local failure.
      const connected = this.client.getChannel().getConnectivityState(false) === grpc.connectivityState.READY;
      const maxMs = connected ? this.backoff.maxMs : Math.min(this.backoff.maxMs, LOCAL_RETRY_MAX_MS);
      this.delayMs = nextBackoff(this.delayMs, this.backoff.initialMs, maxMs);
      if (!this.lost) {
        this.lost = true;
        const store = this.options.store;
        this.options.logger.warn(
          { why, retryInMs: this.delayMs },
          store.ready
            ? 'discovery stream lost; serving the last good config'
            : store.current.serial === 0
              ? 'discovery stream lost; no config received yet, requests get 503 not_ready'
              : 'discovery stream lost before the first full config; serving what has arrived',
        );
      } else if (this.options.logger.isLevelEnabled('debug')) {
        this.options.logger.debug({ why, retryInMs: this.delayMs }, 'discovery reconnect failed');
      }
      this.timer = setTimeout(() => this.connect(), this.delayMs);
      this.timer.unref();
    };
    call.on('error', (err: Error) => retry(err.message));
    call.on('end', () => retry('stream ended'));
  }

  private onResponse(call: Call, res: DeltaDiscoveryResponse): void {
    const kind = kindOfTypeUrl(res.type_url);
    const held = this.held.get(res.type_url);
    if (!kind || !held) {
      call.write({
        type_url: res.type_url,
        response_nonce: res.nonce,
        error_detail: { code: 3, message: `unknown type ${res.type_url}` },
      });
      return;
    }
    const good: AnyResource[] = [];
    const problems: string[] = [];
    for (const r of res.resources) {
      let body: unknown;
      try {
        body = decodeBody(r.resource.value);
      } catch {
        problems.push(`${r.name}: body is not JSON`);
        continue;
      }
      const check = validateResource({ kind, name: r.name, version: r.version, body });
      if (check.ok) good.push(check.resource);
      else problems.push(`${r.name}: ${check.error}`);
    }
    const removed = res.removed_resources.map((name) => resourceKey({ kind, name }));
    if (good.length > 0 || removed.length > 0) {
      this.options.store.applyDelta(good, removed);
      // Counts always, names of a small change: a first sync of thousands stays one short line.
      this.options.logger.info(
        {
          kind,
          updated: good.length,
          removed: removed.length,
          names: [...good.map((r) => r.name), ...res.removed_resources].slice(0, 20),
        },
        'config applied',
      );
    }
    for (const r of good) held.set(r.name, r.version);
    for (const name of res.removed_resources) held.delete(name);

    if (problems.length > 0) {
      this.options.logger.error({ typeUrl: res.type_url, problems }, 'refused resources (NACK)');
      call.write({
        type_url: res.type_url,
        response_nonce: res.nonce,
        error_detail: { code: 3, message: problems.join('\n') },
      });
    } else {
      call.write({ type_url: res.type_url, response_nonce: res.nonce });
    }
    this.synced.add(res.type_url);
    if (this.synced.size === RESOURCE_KINDS.length && !this.options.store.ready)
      this.options.store.markSynced();
  }
}
