import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION } from '../api/v1alpha1';
import type { WatchedKind, WatchedObject } from '../controller/store';
import { pluralOf } from './resources';

export interface InformerHandlers {
  upsert(obj: WatchedObject): void;
  remove(obj: WatchedObject): void;
  error(kind: WatchedKind, err: unknown, retryInMs: number): void;
}

export interface RunningInformers {
  /** Resolves once every informer has listed. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

/**
 * List + watch of the four kinds and of Secrets, cluster-wide or per watched namespace.
 * client-node's ListWatch relists on 410 Gone; any other failure stops it, so we restart it with
 * backoff (100 ms doubling to 30 s, reset once a list succeeds).
 */
export function startInformers(
  kc: KubeConfig,
  namespaces: readonly string[],
  handlers: InformerHandlers,
): RunningInformers {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const scopes: (string | undefined)[] = namespaces.length > 0 ? [...namespaces] : [undefined];
  const informers: Informer<KubernetesObject>[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const listed: Promise<void>[] = [];

  const run = (
    kind: WatchedKind,
    path: string,
    list: () => Promise<KubernetesListObject<KubernetesObject>>,
  ) => {
    let delay = 0;
    let markListed!: () => void;
    listed.push(new Promise<void>((r) => (markListed = r)));
    const normalise = (o: KubernetesObject) => ({ ...o, kind }) as unknown as WatchedObject;
    const informer = makeInformer(kc, path, async () => {
      const result = await list();
      delay = 0;
      // The informer adds the listed items right after this resolves; mark synced after that.
      setImmediate(markListed);
      return result;
    });
    informer.on('add', (o) => handlers.upsert(normalise(o)));
    informer.on('update', (o) => handlers.upsert(normalise(o)));
    informer.on('delete', (o) => handlers.remove(normalise(o)));
    informer.on('error', (err: unknown) => {
      delay = Math.min(30_000, delay === 0 ? 100 : delay * 2);
      handlers.error(kind, err, delay);
      const t = setTimeout(() => {
        timers.delete(t);
        void informer.start().catch(() => undefined);
      }, delay);
      timers.add(t);
    });
    informers.push(informer);
    void informer.start().catch(() => undefined);
  };

  for (const ns of scopes) {
    for (const kind of KINDS) {
      const plural = pluralOf(kind);
      const base = `/apis/${GROUP}/${VERSION}`;
      run(
        kind,
        ns ? `${base}/namespaces/${ns}/${plural}` : `${base}/${plural}`,
        () =>
          (ns
            ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural })
            : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as Promise<
            KubernetesListObject<KubernetesObject>
          >,
      );
    }
    run('Secret', ns ? `/api/v1/namespaces/${ns}/secrets` : '/api/v1/secrets', () =>
      ns ? core.listNamespacedSecret({ namespace: ns }) : core.listSecretForAllNamespaces(),
    );
  }

  return {
    synced: Promise.all(listed).then(() => undefined),
    async stop() {
      for (const t of timers) clearTimeout(t);
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
