import type { ObjectMeta } from '../api/v1alpha1';
import { nsName } from './common';
import { Memo, type MemoStats, type Refs } from './memo';
import type { StatusBuilder } from './status';

/** One object's compile on its own, as every kind's `compileX` returns it. */
interface Draft {
  status: StatusBuilder;
  body?: unknown;
}

type Source = { metadata: ObjectMeta; spec?: unknown };

/**
 * A bad edit is not an outage: when a new generation of an object is not accepted (its own
 * validation rejects it), the last accepted generation of the same object is compiled again
 * against today's references and served in its place, as Knative keeps serving the last ready
 * revision. The draft returned then carries the new generation's status, marked with the
 * generation still served; if the old generation no longer compiles either, nothing is served.
 *
 * - "Same object": same namespace/name and, where set, same uid and creation time, so a deleted
 *   and re-created object never brings back its predecessor. Deleting an object forgets it.
 * - Only a newer generation falls back: objects the API server (or standalone mode) has not
 *   changed compile exactly as a fresh compile would.
 * - Conflicts with other objects (slug, hostname, plugin) are not validation: they still reject
 *   the object whole, as the older object wins.
 * - Memory only: a controller that restarts knows no earlier generation, so an object whose
 *   current generation is rejected is not served until it is fixed.
 */
export class LastAccepted<O extends Source, D extends Draft> {
  private readonly current: Memo<O, D>;
  /** Compiles of last accepted generations: kept apart so the current ones stay memoised too. */
  private readonly previous: Memo<O, D>;
  private accepted = new Map<string, O>();
  private seen = new Map<string, O>();

  constructor(compileOne: (object: O, refs: Refs) => D) {
    this.current = new Memo(compileOne);
    this.previous = new Memo(compileOne);
  }

  get(object: O, refs: Refs): D {
    const draft = this.current.get(object, refs);
    const key = nsName(object.metadata);
    if (draft.status.accepted) {
      this.seen.set(key, object);
      return draft;
    }
    const last = this.accepted.get(key);
    if (!last || !sameObject(last.metadata, object.metadata) || !newer(object.metadata, last.metadata))
      return draft;
    this.seen.set(key, last);
    const old = this.previous.get(last, refs);
    if (!old.status.accepted || old.body === undefined) return draft;
    return { ...old, status: draft.status.servingCopy(last.metadata.generation ?? 1) };
  }

  /** Ends a compile: objects it did not ask for are gone, and so is what was kept for them. */
  finish(): MemoStats {
    this.accepted = this.seen;
    this.seen = new Map();
    this.previous.finish();
    return this.current.finish();
  }
}

function sameObject(a: ObjectMeta, b: ObjectMeta): boolean {
  return a.uid === b.uid && a.creationTimestamp === b.creationTimestamp;
}

function newer(a: ObjectMeta, b: ObjectMeta): boolean {
  return (a.generation ?? 1) > (b.generation ?? 1);
}
