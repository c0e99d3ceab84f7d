import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  discoveryProtoFile,
  kindOfTypeUrl,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type WireNode,
} from '@tollgate/protocol';
import { diff, fleetViews, type FleetView, type WireEntry } from './state';

type Stream = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** One connected proxy's stream. */
export interface StreamInfo {
  /** Unique per stream for the life of the server (a reconnecting proxy gets a new one). */
  id: number;
  node: WireNode;
  fleet: string;
}

export interface NackReport {
  stream: StreamInfo;
  node: WireNode;
  fleet: string;
  typeUrl: string;
  /** The resources of the refused response, with the versions sent. */
  resources: { name: string; version: string }[];
  message: string;
}

export interface DiscoveryServerOptions {
  /** Streams are refused until this returns true (informers synced). */
  ready: () => boolean;
  /** Maps a stream to the fleet it may see; throwing refuses the stream (e.g. a failed TokenReview). */
  authorize?: (node: WireNode, metadata: grpc.Metadata) => Promise<string>;
  onNack?: (report: NackReport) => void;
  /** The versions of `typeUrl` this proxy has acknowledged (name → version), after each ACK. */
  onAck?: (stream: StreamInfo, typeUrl: string, acked: ReadonlyMap<string, string>) => void;
  onOpen?: (stream: StreamInfo) => void;
  onClose?: (stream: StreamInfo) => void;
}

interface TypeState {
  /** What the client holds (ACKed or sent), name → version. */
  known: Map<string, string>;
  subscribed: boolean;
  /** What the client has acknowledged holding, name → version. */
  acked: Map<string, string>;
  /** Responses awaiting ACK/NACK by nonce: what they sent and removed. */
  pending: Map<string, { sent: WireEntry[]; removed: string[] }>;
  /** Versions the client refused: not sent again until the version changes. */
  refused: Map<string, string>;
}

interface StreamState {
  stream: Stream;
  info: StreamInfo;
  types: Map<string, TypeState>;
}

/**
 * The delta discovery server (Envoy's DeltaAggregatedResources): per-resource content-hash versions,
 * a nonce on every response, ACK/NACK, removed_resources, initial_resource_versions on reconnect,
 * and each proxy sees only its fleet. A change sends only the resources that changed.
 */
export class DiscoveryServer {
  private views = new Map<string, FleetView>();
  private readonly streams = new Set<StreamState>();
  private readonly server = new grpc.Server();
  private systemVersion = '';
  private nextStreamId = 1;

  constructor(private readonly options: DiscoveryServerOptions) {
    const def = protoLoader.loadSync(discoveryProtoFile(), { keepCase: true, longs: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      envoy: {
        service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } };
      };
    };
    this.server.addService(pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service, {
      DeltaAggregatedResources: (stream: Stream) => this.onStream(stream),
    });
  }

  /** Replaces the served config; every connected proxy gets just what changed for its fleet. */
  setResources(
    resources: Parameters<typeof fleetViews>[0],
    fleets: Record<string, string[]>,
    systemVersion: string,
  ): void {
    this.views = fleetViews(resources, fleets);
    this.systemVersion = systemVersion;
    for (const s of this.streams) for (const typeUrl of s.types.keys()) this.push(s, typeUrl);
  }

  async listen(address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.stream.end();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  get connected(): number {
    return this.streams.size;
  }

  private onStream(stream: Stream): void {
    let state: StreamState | undefined;
    let authorizing: Promise<void> | undefined;
    const queue: DeltaDiscoveryRequest[] = [];

    const handle = (req: DeltaDiscoveryRequest) => {
      if (!state) return;
      const kind = kindOfTypeUrl(req.type_url);
      if (!kind) {
        refuse(stream, grpc.status.INVALID_ARGUMENT, `unknown type_url ${req.type_url}`);
        return;
      }
      let t = state.types.get(req.type_url);
      if (!t) {
        t = { known: new Map(), acked: new Map(), subscribed: false, pending: new Map(), refused: new Map() };
        state.types.set(req.type_url, t);
      }
      const { info } = state;
      if (req.response_nonce) {
        const response = t.pending.get(req.response_nonce);
        t.pending.delete(req.response_nonce);
        if (!response) return;
        const { sent, removed } = response;
        for (const name of removed) t.acked.delete(name);
        if (req.error_detail) {
          // A NACK is reported once and remembered; the same versions are never re-sent in a loop.
          const refused = parseRefusedNames(req.error_detail.message, sent);
          for (const e of refused) {
            t.refused.set(e.name, e.version);
            t.known.set(e.name, e.version);
          }
          for (const e of sent) if (!refused.includes(e)) t.acked.set(e.name, e.version);
          this.options.onNack?.({
            stream: info,
            node: info.node,
            fleet: info.fleet,
            typeUrl: req.type_url,
            resources: refused.map((e) => ({ name: e.name, version: e.version })),
            message: req.error_detail.message,
          });
        } else {
          for (const e of sent) t.acked.set(e.name, e.version);
        }
        this.options.onAck?.(info, req.type_url, t.acked);
        return;
      }
      // A first request for this type: subscribe (wildcard) with what the client already holds.
      t.subscribed = true;
      t.known = new Map(Object.entries(req.initial_resource_versions ?? {}));
      t.acked = new Map(t.known);
      this.push(state, req.type_url, true);
    };

    stream.on('data', (req: DeltaDiscoveryRequest) => {
      if (state) return handle(req);
      queue.push(req);
      if (authorizing) return;
      if (!this.options.ready()) {
        refuse(stream, grpc.status.UNAVAILABLE, 'controller not synced yet');
        return;
      }
      const node = req.node ?? { id: '', cluster: '' };
      authorizing = (
        this.options.authorize?.(node, stream.metadata) ?? Promise.resolve(node.cluster || 'default')
      ).then(
        (fleet) => {
          state = { stream, info: { id: this.nextStreamId++, node, fleet }, types: new Map() };
          this.streams.add(state);
          this.options.onOpen?.(state.info);
          for (const r of queue.splice(0)) handle(r);
        },
        (err: unknown) => {
          refuse(stream, grpc.status.PERMISSION_DENIED, `unauthorized: ${(err as Error).message}`);
        },
      );
    });
    const drop = () => {
      if (state && this.streams.delete(state)) this.options.onClose?.(state.info);
    };
    stream.on('end', () => {
      drop();
      stream.end();
    });
    stream.on('error', drop);
    stream.on('close', drop);
  }

  /** Sends the difference between the fleet's view and what the client holds, if any. */
  private push(s: StreamState, typeUrl: string, always = false): void {
    const t = s.types.get(typeUrl);
    if (!t?.subscribed) return;
    const desired = this.views.get(s.info.fleet)?.get(typeUrl) ?? new Map<string, WireEntry>();
    const { updated, removed } = diff(desired, t.known);
    const fresh = updated.filter((e) => t.refused.get(e.name) !== e.version);
    if (fresh.length === 0 && removed.length === 0 && !always) return;
    const nonce = randomBytes(8).toString('hex');
    for (const e of fresh) t.known.set(e.name, e.version);
    for (const name of removed) {
      t.known.delete(name);
      t.refused.delete(name);
    }
    t.pending.set(nonce, { sent: fresh, removed });
    s.stream.write({
      system_version_info: this.systemVersion,
      type_url: typeUrl,
      nonce,
      removed_resources: removed,
      resources: fresh.map((e) => ({
        name: e.name,
        version: e.version,
        resource: { type_url: typeUrl, value: e.json },
      })),
    });
  }
}

/**
 * Which resources of a refused response failed. Our proxies NACK with one line per bad resource,
 * `{name}: {reason}`; a message naming none of them refuses the whole response, as Envoy's would.
 */
export function parseRefusedNames(message: string, sent: readonly WireEntry[]): WireEntry[] {
  const named = sent.filter((e) => message.split('\n').some((line) => line.startsWith(`${e.name}: `)));
  return named.length > 0 ? named : [...sent];
}

/** Ends a stream with a gRPC status; grpc-js sends the status of an emitted error and ends the call. */
function refuse(stream: Stream, code: grpc.status, message: string): void {
  stream.emit('error', Object.assign(new Error(message), { code, details: message }));
}
