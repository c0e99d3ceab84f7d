import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Compiler, type CompileResult } from '../../controller/src/compile';
import { formatManifestError, loadManifests, manifestFiles } from '../../controller/src/manifests/load';
import { resourceKey, type AnyResource } from '../../protocol/src';
import { startDataplane, type Dataplane, type DataplaneOptions } from '../../dataplane/src';

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

export class ManifestLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(`the manifests have ${problems.length} error(s):\n  ${problems.join('\n  ')}`);
    this.name = 'ManifestLoadError';
  }
}

/**
 * Load, validate and compile; throws ManifestLoadError listing every schema error. A reload passes
 * the compiler it kept, so objects whose files did not change are not compiled again.
 */
export async function buildConfig(
  paths: string[],
  compiler = new Compiler({ standalone: true }),
): Promise<CompileResult> {
  const loaded = await loadManifests(paths);
  if (loaded.errors.length > 0) throw new ManifestLoadError(loaded.errors.map(formatManifestError));
  return compiler.compile({ objects: loaded.objects, secrets: loaded.secrets });
}

export function selectFleet(result: CompileResult, fleet: string | undefined): AnyResource[] {
  if (fleet === undefined) return result.resources;
  const wanted = new Set(result.fleets[fleet] ?? []);
  return result.resources.filter((r) => wanted.has(resourceKey(r)));
}

export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const compiler = new Compiler({ standalone: true });
  const initial = await buildConfig(options.paths, compiler);
  const dataplane = await startDataplane(options);
  const { logger, store } = dataplane;
  let fingerprint = '';

  const apply = (result: CompileResult): boolean => {
    for (const s of result.statuses) {
      for (const c of s.conditions) {
        if (c.status !== 'True') {
          logger.warn(
            { kind: s.kind, namespace: s.namespace, name: s.name, condition: c.type, reason: c.reason },
            c.message,
          );
        }
      }
    }
    const resources = selectFleet(result, options.fleet);
    const next = resources.map((r) => `${resourceKey(r)}@${r.version}`).join(',');
    if (next === fingerprint) return false;
    fingerprint = next;
    const snapshot = store.replaceAll(resources);
    logger.info({ serial: snapshot.serial, resources: resources.length }, 'config applied');
    return true;
  };
  apply(initial);
  store.markSynced();

  let reloading: Promise<boolean> = Promise.resolve(false);
  const reload = (): Promise<boolean> => {
    reloading = reloading.then(async () => {
      try {
        return apply(await buildConfig(options.paths, compiler));
      } catch (err) {
        // A broken edit never replaces a working config.
        const problems = err instanceof ManifestLoadError ? err.problems : [String(err)];
        logger.error({ problems }, 'manifests rejected; keeping the last good config');
        return false;
      }
    });
    return reloading;
  };

  const watchers =
    options.watch === false ? [] : await watchPaths(options.paths, options.debounceMs ?? 150, reload);
  return {
    dataplane,
    reload,
    async close(graceMs) {
      for (const w of watchers) w.close();
      await reloading;
      await dataplane.close(graceMs);
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
