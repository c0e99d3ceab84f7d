import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  Compiler,
  formatManifestError,
  formatSkipped,
  loadManifests,
  manifestFiles,
  STDIN,
  type CompileResult,
  type LoadResult,
  type Secret,
} from '@tollgate/controller';
import { asReceived, resourceKey, type AnyResource } from '@tollgate/protocol';
import type { Registry } from 'prom-client';
import {
  startDataplane,
  type ConfigStore,
  type Dataplane,
  type DataplaneOptions,
  type Logger,
} from '@tollgate/dataplane';
import { ManifestLoadError } from './manifest-error';
import { ManifestHistory } from './manifest-history';
import { reloadMetrics } from './reload-metrics';
import { expandSecretRefs } from './secret-refs';

export { ManifestLoadError };

/**
 * Standalone mode: the controller's compile feeding the dataplane's config store in one process,
 * from manifest files instead of the Kubernetes API. Same compile, same proxy, no cluster.
 */
export interface StandaloneOptions extends DataplaneOptions {
  paths: string[];
  /** Serve only this fleet's resources; all of them when unset. */
  fleet?: string;
  /** Reload on file changes (default true). */
  watch?: boolean;
  /** Quiet period before a reload, so an editor's burst of writes is one reload. */
  debounceMs?: number;
}

export interface Standalone {
  dataplane: Dataplane;
  /** Reads the files again; resolves true when a new config was applied. */
  reload(): Promise<boolean>;
  close(graceMs?: number): Promise<void>;
}

/** A compile of the manifests, and a notice for each document of another API that was left out. */
export type BuiltConfig = CompileResult & { skipped: string[] };

/**
 * Load, validate, expand `${env:…}` / `${file:…}` Secret values (secret-refs.ts) and compile;
 * throws ManifestLoadError listing every schema error. A reload passes the compiler it kept, so
 * objects whose files did not change are not compiled again.
 */
export async function buildConfig(
  paths: string[],
  compiler = new Compiler({ standalone: true }),
): Promise<BuiltConfig> {
  const loaded = await loadManifests(paths);
  const secrets = expandSecretRefs(loaded.secrets);
  const problems = [...loaded.errors.map(formatManifestError), ...secrets.errors];
  const skipped = loaded.skipped.map(formatSkipped);
  if (problems.length > 0) throw new ManifestLoadError(problems, skipped);
  const result = compiler.compile({ objects: loaded.objects, secrets: secrets.secrets });
  return { ...result, skipped };
}

/**
 * The manifests with `${env:…}` / `${file:…}` Secret values expanded. A Secret that cannot be
 * expanded does not load and is an error of its file, so a reload keeps its previous version.
 */
async function loadExpanded(paths: string[]): Promise<LoadResult> {
  const loaded = await loadManifests(paths);
  const errors = [...loaded.errors];
  const secrets: Secret[] = [];
  for (const secret of loaded.secrets) {
    const expanded = expandSecretRefs([secret]);
    if (expanded.errors.length === 0) {
      secrets.push(...expanded.secrets);
      continue;
    }
    const key = `Secret/${secret.metadata.namespace ?? 'default'}/${secret.metadata.name}`;
    const file = loaded.files?.get(key) ?? paths.join(', ');
    for (const message of expanded.errors) errors.push({ file, document: 0, path: '', message });
  }
  return { ...loaded, secrets, errors };
}

export function selectFleet(result: CompileResult, fleet: string | undefined): AnyResource[] {
  if (fleet === undefined) return result.resources;
  const wanted = new Set(result.fleets[fleet] ?? []);
  return result.resources.filter((r) => wanted.has(resourceKey(r)));
}

export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const manifests = await openManifests(options);
  const dataplane = await startDataplane(options);
  const feed = await manifests.feed({
    store: dataplane.store,
    logger: dataplane.logger,
    registry: dataplane.metrics.registry,
  });
  return {
    dataplane,
    reload: feed.reload,
    async close(graceMs) {
      await feed.close();
      await dataplane.close(graceMs);
    },
  };
}

/** Where the manifests' config goes: a store, the log, and the registry of the reload metrics. */
export interface FeedTarget {
  store: ConfigStore;
  logger: Logger;
  registry: Registry;
}

/** The manifests feeding a store: reloaded on change (unless `watch: false`) or on `reload()`. */
export interface ManifestFeed {
  /** Reads the files again; resolves true when a new config was applied. */
  reload(): Promise<boolean>;
  /** Stops watching; resolves once a reload under way has finished. */
  close(): Promise<void>;
}

/**
 * The first load of the manifests, before anything listens: errors throw ManifestLoadError (a first
 * load with errors is refused whole). `feed` then applies it to a store, marks it synced and keeps it
 * up to date. `tollgate run --workers N` feeds the primary's store, which fans out to the workers.
 */
export async function openManifests(
  options: Pick<StandaloneOptions, 'paths' | 'fleet' | 'watch' | 'debounceMs'>,
): Promise<{ feed(target: FeedTarget): Promise<ManifestFeed> }> {
  const compiler = new Compiler({ standalone: true });
  const history = new ManifestHistory();
  const loaded = await loadExpanded(options.paths);
  const first = { ...history.next(loaded), skipped: loaded.skipped.map(formatSkipped) };
  // Nothing was served before: a first load with errors is refused whole, as `validate` would.
  if (first.errors.length > 0) {
    throw new ManifestLoadError(first.errors.map(formatManifestError), first.skipped);
  }
  const initial = compiler.compile(first.input);
  return {
    feed: (target) => feedStore(target, options, { compiler, history, initial, skipped: first.skipped }),
  };
}

async function feedStore(
  { store, logger, registry }: FeedTarget,
  options: Pick<StandaloneOptions, 'paths' | 'fleet' | 'watch' | 'debounceMs'>,
  {
    compiler,
    history,
    initial,
    skipped,
  }: { compiler: Compiler; history: ManifestHistory; initial: CompileResult; skipped: string[] },
): Promise<ManifestFeed> {
  const metrics = reloadMetrics(registry);
  for (const notice of skipped) logger.info(notice);
  let fingerprint = '';
  // The store gets what discovery would carry (asReceived); an unchanged body, which the compiler
  // keeps as the same object, keeps its received copy too.
  const received = new WeakMap<object, AnyResource>();
  const receive = (r: AnyResource): AnyResource => {
    let got = received.get(r.body);
    if (got === undefined || got.version !== r.version || got.name !== r.name) {
      got = asReceived(r);
      received.set(r.body, got);
    }
    return got;
  };
  /** Logs what was left out and counts the load; true when nothing was. */
  const report = (result: CompileResult, kept: readonly string[]): boolean => {
    let clean = kept.length === 0;
    for (const key of kept) {
      const [kind, namespace, name] = key.split('/');
      logger.warn(
        { kind, namespace, name },
        `${key}: its file has errors; the version loaded before is still served`,
      );
    }
    for (const s of result.statuses) {
      for (const c of s.conditions) {
        if (c.status === 'True') continue;
        clean = false;
        logger.warn(
          { kind: s.kind, namespace: s.namespace, name: s.name, condition: c.type, reason: c.reason },
          c.message,
        );
      }
    }
    if (clean) metrics.succeeded(new Date());
    else metrics.failed();
    return clean;
  };
  const apply = (result: CompileResult): boolean => {
    const resources = selectFleet(result, options.fleet);
    const next = resources.map((r) => `${resourceKey(r)}@${r.version}`).join(',');
    if (next === fingerprint) return false;
    fingerprint = next;
    const snapshot = store.replaceAll(resources.map(receive));
    logger.info({ serial: snapshot.serial, resources: resources.length }, 'config applied');
    return true;
  };
  report(initial, []);
  apply(initial);
  store.markSynced();

  let reloading: Promise<boolean> = Promise.resolve(false);
  const reload = (): Promise<boolean> => {
    reloading = reloading.then(async () => {
      try {
        const revision = history.next(await loadExpanded(options.paths));
        if (revision.errors.length > 0) {
          // Per object: what the broken files held before stays; every other edit applies.
          logger.error(
            { problems: revision.errors.map(formatManifestError), kept: revision.kept },
            'manifests have errors; the objects they held keep their previous version, other changes apply',
          );
        }
        const result = compiler.compile(revision.input);
        report(result, revision.kept);
        return apply(result);
      } catch (err) {
        metrics.failed();
        logger.error({ err: String(err) }, 'reload failed; the config in use is unchanged');
        return false;
      }
    });
    return reloading;
  };

  const watchers =
    options.watch === false ? [] : await watchPaths(options.paths, options.debounceMs ?? 150, reload);
  return {
    reload,
    async close() {
      for (const w of watchers) w.close();
      await reloading;
    },
  };
}

/**
 * Watches the directory of every manifest (editors replace files by rename, so the file itself is
 * not watched), debounced into one reload. Plain per-directory watchers are set up synchronously,
 * unlike Node's recursive mode, so no edit made right after startup is missed.
 */
async function watchPaths(
  paths: string[],
  debounceMs: number,
  onChange: () => unknown,
): Promise<FSWatcher[]> {
  let timer: NodeJS.Timeout | undefined;
  const trigger = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void onChange(), debounceMs);
    timer.unref();
  };
  const dirs = new Map<string, ((name: string) => boolean) | undefined>();
  for (const p of paths) {
    if (p === STDIN) continue; // read once
    const abs = path.resolve(p);
    if ((await stat(abs)).isDirectory()) {
      dirs.set(abs, undefined);
      for (const f of await manifestFiles([abs]))
        if (!dirs.has(path.dirname(f))) dirs.set(path.dirname(f), undefined);
    } else {
      const file = path.basename(abs);
      const previous = dirs.get(path.dirname(abs));
      dirs.set(path.dirname(abs), (name) => name === file || (previous?.(name) ?? false));
    }
  }
  return [...dirs].map(([dir, accepts]) =>
    watch(dir, { persistent: false }, (_event, name) => {
      const n = name?.toString() ?? '';
      if (accepts ? accepts(n) : /\.ya?ml$/.test(n) || n === '') trigger();
    }),
  );
}
