import { contentHash, kindOfTypeUrl, resourceKey, type AnyResource } from '@tollgate/protocol';
import type { Kind, Status } from '../api/v1alpha1';
import { Compiler, type CompileResult, type CompileStats } from '../compile';
import type { NackReport, StreamInfo } from '../discovery/server';
import { Debouncer, type DebounceOptions } from './debounce';
import { AckTracker, programmedConditions, type ReplicaReport } from './programmed';
import { readyCondition } from './ready';
import { nextStatus } from './status';
import { ObjectStore, type WatchedObject } from './store';

export interface ObjectRef {
  kind: Kind;
  namespace: string;
  name: string;
}

export interface ControllerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The I/O the controller core needs, injected so it runs the same against a cluster or in memory. */
export interface ControllerOptions {
  /** This replica's name (pod name): in reports and events. */
  identity: string;
  logger: ControllerLogger;
  /** Hands compiled config to the discovery server. */
  serve: (resources: AnyResource[], fleets: Record<string, string[]>, systemVersion: string) => void;
  /** Only the leader writes status. */
  isLeader: () => boolean;
  writeStatus?: (ref: ObjectRef, status: Status) => Promise<void>;
  warn?: (ref: ObjectRef, reason: string, message: string) => Promise<void>;
  /** Other replicas' reports (the leader reads them), and publishing this one's. */
  peerReports?: () => Promise<ReplicaReport[]>;
  publishReport?: (report: ReplicaReport) => Promise<void>;
  compileDebounce?: DebounceOptions;
  statusDebounce?: DebounceOptions;
  /** After each compile, with its duration and what it compiled and reused (metrics). */
  onCompiled?: (ms: number, stats: CompileStats) => void;
  now?: () => Date;
}

/**
 * The controller's core: objects in (from informers), compiled config out (to the discovery server),
 * status back (through the leader). Every change is debounced and coalesced into one compile; the
 * discovery server then sends each proxy only the resources whose content hash changed.
 */
export class Controller {
  readonly store = new ObjectStore();
  private readonly acks = new AckTracker();
  /** Kept for the controller's lifetime: each compile redoes only the objects a change affects. */
  private readonly config = new Compiler();
  private readonly compiler: Debouncer;
  private readonly statuses: Debouncer;
  private readonly reporter: Debouncer;
  private result: CompileResult = { resources: [], fleets: {}, statuses: [] };
  private systemVersion = '';
  private views = new Map<string, Map<string, string>>();
  private served = new Map<string, { fleets: string[]; version: string }>();
  /** Status this replica wrote, by object: skips re-writing before the informer shows the write. */
  private readonly written = new Map<string, { json: string; resourceVersion: string | undefined }>();
  private synced = false;
  private lastCompileMs = 0;

  constructor(private readonly options: ControllerOptions) {
    // A change after a quiet spell compiles at once (the next turn: the same watch batch joins it).
    // Changes right after it wait for a quiet period that follows the cost of a compile — a
    // millisecond for a small config, as long as a compile for a large one — so a burst of edits is
    // at most two compiles.
    this.compiler = new Debouncer(
      () => this.compileNow(),
      options.compileDebounce ?? {
        quietMs: () => Math.min(50, Math.max(1, this.lastCompileMs)),
        maxMs: 100,
        leading: true,
      },
    );
    this.statuses = new Debouncer(
      () => this.writeStatuses(),
      options.statusDebounce ?? { quietMs: 100, maxMs: 1000 },
    );
    this.reporter = new Debouncer(() => this.publishReport(), { quietMs: 50, maxMs: 500 });
  }

  get ready(): boolean {
    return this.synced;
  }

  get current(): CompileResult {
    return this.result;
  }

  /** Informer events. */
  upsert(obj: WatchedObject): void {
    if (this.store.upsert(obj) && this.synced) this.compiler.trigger();
  }

  remove(obj: WatchedObject): void {
    if (this.store.delete(obj) && this.synced) this.compiler.trigger();
  }

  /** Every informer has listed: compile once, then serve. */
  async markSynced(): Promise<void> {
    this.compileNow();
    this.synced = true;
    await this.statuses.flush();
  }

  /** Discovery-server hooks: what the proxies acknowledged. */
  readonly hooks = {
    onOpen: (s: StreamInfo) => {
      this.acks.open(s.id, s.fleet, s.node.id);
      this.changedAcks();
    },
    onClose: (s: StreamInfo) => {
      this.acks.close(s.id);
      this.changedAcks();
    },
    onAck: (s: StreamInfo, typeUrl: string, acked: ReadonlyMap<string, string>) => {
      const kind = kindOfTypeUrl(typeUrl);
      if (!kind) return;
      this.acks.ack(s.id, kind, acked);
      this.changedAcks();
    },
    onNack: (r: NackReport) => {
      const kind = kindOfTypeUrl(r.typeUrl);
      if (!kind) return;
      for (const res of r.resources) {
        const key = resourceKey({ kind, name: res.name });
        this.acks.reject(r.stream.id, key, res.version, r.message);
        const [namespace = '', name = ''] = res.name.split('/');
        this.options.logger.warn({ node: r.node.id, resource: key, version: res.version }, r.message);
        void this.options
          .warn?.(
            { kind, namespace, name },
            'Rejected',
            `proxy ${r.node.id} rejected version ${res.version}: ${r.message}`,
          )
          .catch((err: unknown) => this.options.logger.error({ err: String(err) }, 'event not recorded'));
      }
      this.changedAcks();
    },
  };

  /** Leadership changed, or a peer's report did: re-evaluate status. */
  refreshStatus(): void {
    this.statuses.trigger();
  }

  /** Runs any pending compile and status write (tests, shutdown). */
  async flush(): Promise<void> {
    await this.compiler.flush();
    await this.statuses.flush();
    await this.reporter.flush();
  }

  stop(): void {
    this.compiler.cancel();
    this.statuses.cancel();
    this.reporter.cancel();
  }

  localReport(): ReplicaReport {
    return this.acks.report(this.options.identity, this.systemVersion, this.views);
  }

  private changedAcks(): void {
    this.statuses.trigger();
    if (this.options.publishReport) this.reporter.trigger();
  }

  private compileNow(): void {
    const started = performance.now();
    const result = this.config.compile(this.store.input());
    this.result = result;
    this.systemVersion = contentHash(result.resources.map((r) => `${r.kind}/${r.name}@${r.version}`));
    const versions = new Map(result.resources.map((r) => [resourceKey(r), r.version]));
    this.views = new Map(
      Object.entries(result.fleets).map(([fleet, keys]) => [
        fleet,
        new Map(keys.map((k) => [k, versions.get(k) ?? ''])),
      ]),
    );
    this.served = new Map();
    for (const [fleet, keys] of Object.entries(result.fleets)) {
      for (const key of keys) {
        const entry = this.served.get(key) ?? { fleets: [], version: versions.get(key) ?? '' };
        entry.fleets.push(fleet);
        this.served.set(key, entry);
      }
    }
    this.options.serve(result.resources, result.fleets, this.systemVersion);
    const ms = performance.now() - started;
    this.lastCompileMs = ms;
    const stats = this.config.stats as CompileStats;
    this.options.onCompiled?.(ms, stats);
    this.options.logger.info(
      {
        resources: result.resources.length,
        recompiled: Object.values(stats).reduce((n, s) => n + s.compiled, 0),
        version: this.systemVersion,
        ms: Math.round(ms * 10) / 10,
      },
      'config compiled',
    );
    this.changedAcks();
  }

  private async publishReport(): Promise<void> {
    await this.options.publishReport?.(this.localReport()).catch((err: unknown) => {
      this.options.logger.warn({ err: String(err) }, 'report not published');
    });
  }

  private async writeStatuses(): Promise<void> {
    if (!this.synced || !this.options.isLeader() || !this.options.writeStatus) return;
    const peers = (await this.options.peerReports?.().catch(() => [])) ?? [];
    const reports = [this.localReport(), ...peers.filter((r) => r.replica !== this.options.identity)];
    const programmed = programmedConditions(this.result.statuses, this.served, reports, this.systemVersion);
    const now = (this.options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    let failed = false;
    for (const s of this.result.statuses) {
      const key = resourceKey(s);
      const obj = this.store.get(s.kind, s.namespace, s.name);
      const p = programmed.get(key);
      if (!obj || obj.kind === 'Secret' || !p) continue;
      const desired = [...s.conditions, p];
      const next = nextStatus(
        obj.status,
        [...desired, readyCondition(desired, s.generation)],
        s.generation,
        now,
      );
      if (!next) continue;
      const json = JSON.stringify(next.conditions?.map((c) => ({ ...c, lastTransitionTime: undefined })));
      const last = this.written.get(key);
      if (last && last.json === json && last.resourceVersion === obj.metadata.resourceVersion) continue;
      try {
        await this.options.writeStatus({ kind: s.kind, namespace: s.namespace, name: s.name }, next);
        this.written.set(key, { json, resourceVersion: obj.metadata.resourceVersion });
      } catch (err) {
        failed = true;
        this.options.logger.warn({ object: key, err: String(err) }, 'status not written; will retry');
      }
    }
    if (failed) setTimeout(() => this.statuses.trigger(), 1000).unref();
  }
}
