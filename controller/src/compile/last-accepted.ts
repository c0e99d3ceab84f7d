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

/** A kind's pass across all its objects (conflicts): drafts in, statuses out. */
type Pass<O, D, P> = (objects: readonly O[], draftOf: (o: O) => D) => P;

/**
 * A bad edit is not an outage: when a new generation of an object is not accepted, the last
 * accepted generation of the same object is compiled again against today's references and served
 * in its place, as Knative keeps serving the last ready revision. Its status is the new
 * generation's (`Accepted=False` with the reason), marked with the generation still served; if
 * the old generation no longer compiles, or loses a conflict itself, nothing is served.
 *
 * - "Not accepted": its own validation rejects it, or it loses a conflict (slug, hostname,
 *   plugin) to an older object. The conflict pass is then run again with the last accepted
 *   generation in its place (passes are cheap: no compile, only maps).
 * - "Same object": same namespace/name and, where set, same uid and creation time, so a deleted
 *   and re-created object never brings back its predecessor. Deleting an object forgets it.
 * - Only a newer generation falls back: objects the API server (or standalone mode) has not
 *   changed compile exactly as a fresh compile would.
 * - Memory only: a controller that restarts knows no earlier generation, so an object whose
 *   current generation is rejected is not served until it is fixed.
 */
export class LastAccepted<O extends Source, D extends Draft> {
  private readonly current: Memo<O, D>;
  /** Compiles of last accepted generations: kept apart so the current ones stay memoised too. */
  private readonly previous: Memo<O, D>;
  /** The last accepted generation of each object, as of the previous compile. */
  private accepted = new Map<string, O>();
  private next = new Map<string, O>();

  constructor(compileOne: (object: O, refs: Refs) => D) {
    this.current = new Memo(compileOne);
    this.previous = new Memo(compileOne);
  }

  /** Runs `pass` over `objects`, each one's last accepted generation standing in where needed. */
  pass<P extends { statuses: StatusBuilder[] }>(objects: readonly O[], refs: Refs, pass: Pass<O, D, P>): P {
    const byKey = new Map(objects.map((o) => [nsName(o.metadata), o]));
    const drafts = new Map<string, D>();
    for (const [key, o] of byKey) {
      const draft = this.current.get(o, refs);
      drafts.set(key, draft.status.accepted ? draft : (this.standIn(o, draft.status, refs) ?? draft));
    }
    const draftOf = (o: O) => drafts.get(nsName(o.metadata)) as D;
    let result = pass(objects, draftOf);
    // A newer generation that lost a conflict: again, its last accepted one in its place. Each
    // round swaps at least one object, and never the same one twice.
    for (let round = 0; round <= objects.length; round++) {
      let swapped = false;
      for (const s of result.statuses) {
        const key = nsName(s.meta);
        const o = byKey.get(key);
        const draft = drafts.get(key);
        if (!o || s.accepted || !draft?.status.accepted) continue;
        const standIn = this.standIn(o, s, refs);
        if (standIn) {
          drafts.set(key, standIn);
          swapped = true;
        }
      }
      if (!swapped) break;
      result = pass(objects, draftOf);
    }
    for (const s of result.statuses) {
      const key = nsName(s.meta);
      const o = byKey.get(key) as O;
      const last = this.accepted.get(key);
      if (s.accepted) this.next.set(key, o);
      else if (last && sameObject(last.metadata, o.metadata)) this.next.set(key, last);
    }
    return result;
  }

  /** Ends a compile: objects it did not see are gone, and so is what was kept for them. */
  finish(): MemoStats {
    this.accepted = this.next;
    this.next = new Map();
    this.previous.finish();
    return this.current.finish();
  }

  /** The last accepted generation's draft with `status` (the new one's) marking it, if usable. */
  private standIn(object: O, status: StatusBuilder, refs: Refs): D | undefined {
    const last = this.accepted.get(nsName(object.metadata));
    if (!last || !sameObject(last.metadata, object.metadata) || !newer(object.metadata, last.metadata))
      return undefined;
    const old = this.previous.get(last, refs);
    if (!old.status.accepted || old.body === undefined) return undefined;
    return { ...old, status: status.servingCopy(last.metadata.generation ?? 1) };
  }
}

function sameObject(a: ObjectMeta, b: ObjectMeta): boolean {
  return a.uid === b.uid && a.creationTimestamp === b.creationTimestamp;
}

function newer(a: ObjectMeta, b: ObjectMeta): boolean {
  return (a.generation ?? 1) > (b.generation ?? 1);
}
