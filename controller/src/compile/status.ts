import type { Condition, Kind, ObjectMeta } from '../api/v1alpha1';

export interface ObjectStatus {
  kind: Kind;
  namespace: string;
  name: string;
  generation: number;
  conditions: Condition[];
}

interface Problem {
  reason: string;
  message: string;
}

/**
 * Collects what compile finds wrong with one object and turns it into its `Accepted` and
 * `ResolvedRefs` conditions. The first problem's reason names the condition; every message is kept.
 */
export class StatusBuilder {
  private readonly rejected: Problem[] = [];
  private readonly unresolved: Problem[] = [];

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
  }

  unresolvedRef(reason: string, message: string): void {
    this.unresolved.push({ reason, message });
  }

  build(): ObjectStatus {
    const cond = (type: string, problems: Problem[], okReason: string, okMessage: string): Condition => ({
      type,
      status: problems.length === 0 ? 'True' : 'False',
      reason: problems[0]?.reason ?? okReason,
      message: problems.length === 0 ? okMessage : problems.map((p) => p.message).join('; '),
      observedGeneration: this.generation,
    });
    return {
      kind: this.kind,
      namespace: this.namespace,
      name: this.meta.name,
      generation: this.generation,
      conditions: [
        cond('Accepted', this.rejected, 'Accepted', `${this.kind} is valid`),
        cond('ResolvedRefs', this.unresolved, 'ResolvedRefs', 'all references resolved'),
      ],
    };
  }
}
