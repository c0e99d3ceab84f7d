import type { ChatResponse, StreamEvent } from '../formats/ir';
import type {
  EdgeAnswer,
  EdgeRequest,
  Plugin,
  PolicyAnswer,
  PolicyRequest,
  PreRequestHook,
  ResponseHook,
  Stage,
  StreamFilter,
} from './types';
import { STAGES } from './types';
import type { ToolGuard } from './tool-guard/guard';

/** The plugins of one Policy, in plugin order; `parallel` runs those of one stage concurrently. */
export interface PluginGroup {
  readonly plugins: readonly Plugin[];
  readonly parallel: boolean;
}

/** Every stage's hook fits this type; only preRequest hooks return answers. */
type StageHook = PreRequestHook;

interface Step {
  readonly hooks: readonly StageHook[];
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
  /** Some plugin reads `responseContent` in postResponse. */
  readonly needsResponseContent: boolean;
  private readonly inspectors: readonly ResponseHook[];
  private readonly streamFilters: readonly NonNullable<Plugin['filterStream']>[];
  private readonly edges: readonly NonNullable<Plugin['edge']>[];
  private readonly steps: Readonly<Record<Stage, readonly Step[]>>;

  /**
   * @param toolGuard The consumer's toolGuard, for the MCP plane (`inspect` on tools/list results,
   * `checkCall` before tools/call); it has no request hooks, so it leaves `empty` as it is.
   */
  constructor(
    groups: readonly PluginGroup[],
    readonly toolGuard?: ToolGuard,
  ) {
    const steps = {} as Record<Stage, Step[]>;
    for (const stage of STAGES) {
      steps[stage] = [];
      for (const g of groups) {
        const hooks = g.plugins
          .map((p): StageHook | undefined => p[stage])
          .filter((h): h is StageHook => h !== undefined);
        if (hooks.length > 0) steps[stage].push({ hooks, parallel: g.parallel && hooks.length > 1 });
      }
    }
    this.steps = steps;
    this.edges = groups.flatMap((g) =>
      g.plugins.flatMap((p) => (p.edge ? [p.edge.bind(p) as NonNullable<Plugin['edge']>] : [])),
    );
    this.empty = groups.every((g) => g.plugins.length === 0);
    const all = groups.flatMap((g) => g.plugins);
    this.needsResponseContent = all.some((p) => p.needsResponseContent === true);
    this.inspectors = all.flatMap((p) => (p.inspectResponse ? [p.inspectResponse] : []));
    this.streamFilters = all.flatMap((p) => (p.filterStream ? [p.filterStream] : []));
  }

  /** True when some plugin may filter streamed responses (the proxy must decode them). */
  get filtersStreams(): boolean {
    return this.streamFilters.length > 0;
  }

  /** The plugins' filters for one streamed response, chained in plugin order; undefined when none applies. */
  streamFilter(req: PolicyRequest): StreamFilter | undefined {
    const chain = this.streamFilters.flatMap((f) => {
      const filter = f(req);
      return filter ? [filter] : [];
    });
    if (chain.length === 0) return undefined;
    if (chain.length === 1) return chain[0];
    return {
      push: (event) => chain.reduce<StreamEvent[]>((events, f) => events.flatMap((e) => f.push(e)), [event]),
      // What an earlier filter still held goes through the later ones before they give up theirs.
      end: () =>
        chain.reduce<StreamEvent[]>((events, f) => [...events.flatMap((e) => f.push(e)), ...f.end()], []),
    };
  }

  /** True when some plugin inspects whole responses (the proxy must decode them). */
  get inspectsResponses(): boolean {
    return this.inspectors.length > 0;
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

  /**
   * Runs a stage. A preRequest hook may answer the request (a cache hit): the first answer in plugin
   * order ends the stage and is returned; in a parallel group, a failure or answer earlier in plugin
   * order wins over a later one, as it would sequentially.
   */
  async run(stage: Stage, req: PolicyRequest): Promise<PolicyAnswer | undefined> {
    for (const step of this.steps[stage]) {
      if (!step.parallel) {
        for (const hook of step.hooks) {
          const answer = await hook(req);
          if (answer) return answer;
        }
        continue;
      }
      const settled = await Promise.allSettled(step.hooks.map(async (hook) => hook(req)));
      for (const s of settled) {
        if (s.status === 'rejected') throw s.reason;
        if (s.value) return s.value;
      }
    }
    return undefined;
  }

  /** Runs the response inspectors in plugin order; each sees the previous one's replacement. */
  async inspect(
    req: PolicyRequest,
    res: ChatResponse,
  ): Promise<{ response: ChatResponse; changed: boolean }> {
    let response = res;
    let changed = false;
    for (const inspect of this.inspectors) {
      const replaced = await inspect(req, response);
      if (replaced) {
        response = replaced;
        changed = true;
      }
    }
    return { response, changed };
  }
}

export const EMPTY_PIPELINE = new Pipeline([]);
