import type { Condition, Kind, ObjectMeta } from '../api/v1alpha1';

export interface ObjectStatus {
  kind: Kind;
  namespace: string;
  name: string;
  generation: number;
  conditions: Condition[];
  /** Set when this generation is not accepted and an earlier one is served in its place. */
  servedGeneration?: number;
}

interface Problem {
  reason: string;
  message: string;
}

/**
 * Collects what compile finds wrong with one object and turns it into its `Accepted` and
 * `ResolvedRefs` conditions. The first problem's reason names the condition; every message is kept.
 * A built status is kept until the next problem, so a status kept between compiles is built once.
 */
export class StatusBuilder {
  private readonly rejected: Problem[] = [];
  private readonly unresolved: Problem[] = [];
  /** Warnings that do not reject: they follow the Accepted condition's message. */
  private readonly notes: string[] = [];
  private built: ObjectStatus | undefined;
  /** The earlier generation served while this one is not accepted (see `LastAccepted`). */
  private served: number | undefined;

  constructor(
    readonly kind: Kind,
    readonly meta: ObjectMeta,
  ) {}

  get namespace(): string {
    return this.meta.namespace ?? 'default';
  }

  get generation(): number {
    return this.meta.generation ?? 1;
  }

  get accepted(): boolean {
    return this.rejected.length === 0;
  }

  get resolved(): boolean {
    return this.unresolved.length === 0;
  }

  reject(reason: string, message: string): void {
    this.rejected.push({ reason, message });
    this.built = undefined;
  }

  unresolvedRef(reason: string, message: string): void {
    this.unresolved.push({ reason, message });
    this.built = undefined;
  }

  /**
   * A copy that is also rejected: the conflict passes use it, leaving a kept status as it was. The
   * object is then not served at all, so an earlier generation served in its place is not either.
   */
  rejectedCopy(reason: string, message: string): StatusBuilder {
    const copy = new StatusBuilder(this.kind, this.meta);
    copy.rejected.push(...this.rejected, { reason, message });
    copy.unresolved.push(...this.unresolved);
    return copy;
  }

  /** A copy whose Accepted message also carries `note`, leaving a kept status as it was. */
  notedCopy(note: string): StatusBuilder {
    const copy = new StatusBuilder(this.kind, this.meta);
    copy.rejected.push(...this.rejected);
    copy.unresolved.push(...this.unresolved);
    copy.notes.push(...this.notes, note);
    copy.served = this.served;
    return copy;
  }

  /** A copy saying that `generation`, the last accepted one, is served in place of this one. */
  servingCopy(generation: number): StatusBuilder {
    const copy = new StatusBuilder(this.kind, this.meta);
    copy.rejected.push(...this.rejected);
    copy.unresolved.push(...this.unresolved);
    copy.notes.push(...this.notes);
    copy.served = generation;
    return copy;
  }

  build(): ObjectStatus {
    this.built ??= this.buildNow();
    return this.built;
  }

  private buildNow(): ObjectStatus {
    const cond = (type: string, problems: Problem[], okReason: string, okMessage: string): Condition => ({
      type,
      status: problems.length === 0 ? 'True' : 'False',
      reason: problems[0]?.reason ?? okReason,
      message: problems.length === 0 ? okMessage : problems.map((p) => p.message).join('; '),
      observedGeneration: this.generation,
    });
    const accepted = cond(
      'Accepted',
      this.rejected,
      'Accepted',
      [`${this.kind} is valid`, ...this.notes].join('; '),
    );
    if (this.served !== undefined && accepted.status === 'False')
      accepted.message += ` (generation ${this.served}, the last accepted, is still served)`;
    return {
      kind: this.kind,
      namespace: this.namespace,
      name: this.meta.name,
      generation: this.generation,
      conditions: [
        accepted,
        cond('ResolvedRefs', this.unresolved, 'ResolvedRefs', 'all references resolved'),
      ],
      ...(this.served !== undefined ? { servedGeneration: this.served } : {}),
    };
  }
}
