import type { CompileInput, LoadResult, ManifestError, Secret, TollgateObject } from '@tollgate/controller';

type Loaded = TollgateObject | Secret;

interface Entry {
  object: Loaded;
  file: string | undefined;
  /** What a change of generation is judged on, as the API server judges it: the spec. */
  source: string;
}

/** One load of the manifests, as standalone mode compiles it. */
export interface Revision {
  input: CompileInput;
  /** Objects whose file has errors and which did not load from it: served as last loaded. */
  kept: string[];
  errors: ManifestError[];
}

/**
 * Standalone mode's stand-in for the API server, across reloads of the same files:
 *
 * - Generations: an object starts at 1 and moves up by one each time its spec changes, so compile
 *   tells an edit from a reload (and keeps serving the last accepted generation of an object whose
 *   edit it rejects, as on a cluster).
 * - Per object: a file with errors (YAML syntax, schema, duplicate) keeps every object that loaded
 *   from it last time and does not load now at its previous version; the other files' edits apply.
 *   So a document edited into an invalid object keeps serving its previous version until fixed.
 *   While a file has errors an object removed from it stays too; deleting the file removes them.
 * - When no file can be listed at all (a path gone), nothing loads: everything is kept.
 */
export class ManifestHistory {
  private last = new Map<string, Entry>();

  next(loaded: LoadResult): Revision {
    const seen = new Map<string, Entry>();
    const kept: string[] = [];
    const broken = new Set(loaded.errors.map((e) => e.file));
    const nothingLoaded = loaded.objects.length + loaded.secrets.length === 0 && loaded.errors.length > 0;

    for (const object of [...loaded.objects, ...loaded.secrets]) {
      const key = keyOf(object);
      const previous = this.last.get(key);
      const source = sourceOf(object);
      const before = previous?.object.metadata.generation ?? 0;
      const generation = previous && previous.source === source ? before : before + 1;
      const numbered = { ...object, metadata: { ...object.metadata, generation } } as Loaded;
      seen.set(key, { object: numbered, file: loaded.files?.get(key), source });
    }
    for (const [key, previous] of this.last) {
      if (seen.has(key)) continue;
      if (nothingLoaded || (previous.file !== undefined && broken.has(previous.file))) {
        seen.set(key, previous);
        kept.push(key);
      }
    }
    this.last = seen;
    const all = [...seen.values()].map((e) => e.object);
    return {
      input: {
        objects: all.filter((o): o is TollgateObject => o.kind !== 'Secret'),
        secrets: all.filter((o): o is Secret => o.kind === 'Secret'),
      },
      kept: kept.sort(),
      errors: loaded.errors,
    };
  }
}

function keyOf(o: Loaded): string {
  return `${o.kind}/${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
}

function sourceOf(o: Loaded): string {
  return o.kind === 'Secret' ? JSON.stringify([o.data, o.stringData]) : JSON.stringify(o.spec);
}
