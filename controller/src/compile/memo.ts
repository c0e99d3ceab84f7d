import type { CompiledRegistry } from '@tollgate/protocol';
import type { ObjectMeta, SecretKeyRef } from '../api/v1alpha1';
import { nsName, sameSource } from './common';
import type { SecretLookup } from './secrets';

/** What compile knows of a referenced object: whether it exists and whether it is in use. */
export type RefState = 'accepted' | 'rejected' | 'missing';

/**
 * What one object's compile may read of the rest of the config. Every answer is a primitive, a
 * lookup compared by value, or a compiled body that stays the same object while its source does,
 * so a kept result can be checked by asking again.
 */
export interface Refs {
  gateway(name: string): RefState;
  consumer(name: string): RefState;
  /** A usable Registry's compiled body, else whether one exists. */
  registry(name: string): CompiledRegistry | Exclude<RefState, 'accepted'>;
  secret(namespace: string, ref: SecretKeyRef, field: string): SecretLookup;
}

type Check = (refs: Refs) => boolean;

interface Entry<O, R> {
  /** The latest object seen: a status write gives a new object with the same spec. */
  object: O;
  checks: readonly Check[];
  result: R;
}

/** How many objects one compile compiled, and how many it took from the previous compile. */
export interface MemoStats {
  compiled: number;
  reused: number;
}

/**
 * One kind's per-object compile results, kept between compiles. An object is compiled again only
 * when its source changed (spec, generation, creation time) or something it read answers
 * differently now; a compile therefore redoes only what a change affects. The result is the
 * same object when reused, so its content hash and wire form are computed once.
 */
export class Memo<O extends { metadata: ObjectMeta; spec?: unknown }, R> {
  private entries = new Map<string, Entry<O, R>>();
  private seen = new Map<string, Entry<O, R>>();
  private stats: MemoStats = { compiled: 0, reused: 0 };

  constructor(private readonly compileOne: (object: O, refs: Refs) => R) {}

  get(object: O, refs: Refs): R {
    const key = nsName(object.metadata);
    const kept = this.entries.get(key);
    if (
      kept &&
      (kept.object === object || sameSource(kept.object, object)) &&
      kept.checks.every((check) => check(refs))
    ) {
      kept.object = object;
      this.seen.set(key, kept);
      this.stats.reused++;
      return kept.result;
    }
    const checks: Check[] = [];
    const result = this.compileOne(object, recording(refs, checks));
    this.seen.set(key, { object, checks, result });
    this.stats.compiled++;
    return result;
  }

  /** Ends a compile: objects it did not ask for are gone. Returns what it compiled and reused. */
  finish(): MemoStats {
    this.entries = this.seen;
    this.seen = new Map();
    const stats = this.stats;
    this.stats = { compiled: 0, reused: 0 };
    return stats;
  }
}

/** `refs`, noting each answer so a kept result can later be checked against the config of the day. */
function recording(refs: Refs, checks: Check[]): Refs {
  return {
    gateway(name) {
      const answer = refs.gateway(name);
      checks.push((now) => now.gateway(name) === answer);
      return answer;
    },
    consumer(name) {
      const answer = refs.consumer(name);
      checks.push((now) => now.consumer(name) === answer);
      return answer;
    },
    registry(name) {
      const answer = refs.registry(name);
      checks.push((now) => now.registry(name) === answer);
      return answer;
    },
    secret(namespace, ref, field) {
      const answer = refs.secret(namespace, ref, field);
      checks.push((now) => sameLookup(now.secret(namespace, ref, field), answer));
      return answer;
    },
  };
}

function sameLookup(a: SecretLookup, b: SecretLookup): boolean {
  if (a.ok || b.ok) return a.ok && b.ok && a.value === b.value;
  return a.reason === b.reason && a.message === b.message;
}
