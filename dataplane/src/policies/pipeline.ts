import type { EdgeAnswer, EdgeRequest, Hook, Plugin, PolicyRequest, Stage } from './types';
import { STAGES } from './types';

/** The plugins of one Policy, in plugin order; `parallel` runs those of one stage concurrently. */
export interface PluginGroup {
  readonly plugins: readonly Plugin[];
  readonly parallel: boolean;
}

interface Step {
  readonly hooks: readonly Hook[];
  readonly parallel: boolean;
}

/**
 * The executable form of a consumer's plugins, built once per config snapshot: for each stage the
 * steps to run, one per Policy group, so a request only walks arrays. Groups run one after another;
 * within a parallel group the hooks of a stage start together and the stage waits for all of them,
 * then fails with the first failure in plugin order (so the answer does not depend on timing).
 */
export class Pipeline {
  readonly empty: boolean;
  private readonly edges: readonly NonNullable<Plugin['edge']>[];
  private readonly steps: Readonly<Record<Stage, readonly Step[]>>;

  constructor(groups: readonly PluginGroup[]) {
    const steps = {} as Record<Stage, Step[]>;
    for (const stage of STAGES) {
      steps[stage] = [];
      for (const g of groups) {
        const hooks = g.plugins.map((p) => p[stage]).filter((h): h is Hook => h !== undefined);
        if (hooks.length > 0) steps[stage].push({ hooks, parallel: g.parallel && hooks.length > 1 });
      }
    }
    this.steps = steps;
    this.edges = groups.flatMap((g) =>
      g.plugins.flatMap((p) => (p.edge ? [p.edge.bind(p) as NonNullable<Plugin['edge']>] : [])),
    );
    this.empty = groups.every((g) => g.plugins.length === 0);
  }

  /** True when some plugin acts at `stage`: the request skips the stage (and its await) otherwise. */
  runs(stage: Stage): boolean {
    return this.steps[stage].length > 0;
  }

  /** Runs the edge hooks in order; the first answer wins. */
  edge(req: EdgeRequest): EdgeAnswer | undefined {
    for (const e of this.edges) {
      const answer = e(req);
      if (answer) return answer;
    }
    return undefined;
  }

  async run(stage: Stage, req: PolicyRequest): Promise<void> {
    for (const step of this.steps[stage]) {
      if (!step.parallel) {
        for (const hook of step.hooks) await hook(req);
        continue;
      }
      const settled = await Promise.allSettled(step.hooks.map(async (hook) => hook(req)));
      for (const s of settled) if (s.status === 'rejected') throw s.reason;
    }
  }
}

export const EMPTY_PIPELINE = new Pipeline([]);
