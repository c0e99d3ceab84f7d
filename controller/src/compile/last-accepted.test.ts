import path from 'node:path';
import type { CompiledConsumer } from '@tollgate/protocol';
import type { TollgateObject } from '../api/v1alpha1';
import { Compiler, compile, type CompileInput, type CompileResult } from '.';
import { TESTDATA, readGoldenInput } from './golden-cases';

/** A bad edit is not an outage: a rejected new generation leaves the last accepted one served. */

const quickstart = readGoldenInput(path.join(TESTDATA, '01-quickstart'));

/** `kind`'s object of the quickstart at `generation`, its spec changed by `edit`. */
function edited(kind: TollgateObject['kind'], generation: number, edit: (spec: never) => object = (s) => s) {
  const o = quickstart.objects.find((x) => x.kind === kind) as TollgateObject;
  const spec = edit(structuredClone(o.spec) as never);
  return { ...o, metadata: { ...o.metadata, generation }, spec } as TollgateObject;
}
/** A route model callers cannot use (`@` pins a registry): compile rejects the Consumer. */
const badConsumer = (generation: number) =>
  edited('Consumer', generation, (s: { routes: { model: string }[] }) => {
    s.routes[0] = { ...s.routes[0], model: '@mock/gpt-4o-mini' } as { model: string };
    return s;
  });
/** A valid Consumer whose route is called `model` (served by the mock's gpt-4o-mini). */
const goodConsumer = (generation: number, model = 'gpt-4o-mini') =>
  edited('Consumer', generation, (s: { routes: { model: string; targets: object[] }[] }) => {
    const route = s.routes[0] as { model: string; targets: object[] };
    s.routes[0] = { ...route, model, targets: [{ ...route.targets[0], model: 'gpt-4o-mini' }] };
    return s;
  });

const withObject = (o: TollgateObject, base: CompileInput = quickstart): CompileInput => ({
  ...base,
  objects: base.objects.map((x) => (x.kind === o.kind && x.metadata.name === o.metadata.name ? o : x)),
});
const without = (kind: TollgateObject['kind']): CompileInput => ({
  ...quickstart,
  objects: quickstart.objects.filter((x) => x.kind !== kind),
});
const consumerBody = (r: CompileResult) =>
  r.resources.find((x) => x.kind === 'Consumer')?.body as CompiledConsumer | undefined;
const statusOf = (r: CompileResult, kind: string) => r.statuses.find((s) => s.kind === kind);
const accepted = (r: CompileResult, kind: string) =>
  statusOf(r, kind)?.conditions.find((c) => c.type === 'Accepted');

describe('Compiler: the last accepted generation stays served', () => {
  it('serves generation 1 of a Consumer whose generation 2 is rejected, and says so', () => {
    const compiler = new Compiler();
    const first = compiler.compile(withObject(goodConsumer(1)));
    const second = compiler.compile(withObject(badConsumer(2)));

    expect(consumerBody(second)).toEqual(consumerBody(first));
    expect(consumerBody(second)?.source.generation).toBe(1);
    expect(second.resources.find((x) => x.kind === 'Consumer')?.version).toBe(
      first.resources.find((x) => x.kind === 'Consumer')?.version,
    );
    expect(second.fleets).toEqual(first.fleets);
    expect(statusOf(second, 'Consumer')).toMatchObject({ generation: 2, servedGeneration: 1 });
    expect(accepted(second, 'Consumer')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      observedGeneration: 2,
    });
    expect(accepted(second, 'Consumer')?.message).toMatch(
      /'@mock\/gpt-4o-mini' starts with '@'.*\(generation 1, the last accepted, is still served\)$/,
    );
    // A fresh compile has no history: the rejected generation alone is not served.
    expect(consumerBody(compile(withObject(badConsumer(2))))).toBeUndefined();
  });

  it('keeps the last accepted generation through further bad edits; a good one replaces it', () => {
    const compiler = new Compiler();
    compiler.compile(withObject(goodConsumer(1)));
    compiler.compile(withObject(goodConsumer(2, 'renamed')));
    compiler.compile(withObject(badConsumer(3)));
    const fourth = compiler.compile(withObject(badConsumer(4)));
    expect(consumerBody(fourth)?.source.generation).toBe(2);
    expect(consumerBody(fourth)?.routes[0]?.model).toBe('renamed');
    expect(statusOf(fourth, 'Consumer')?.servedGeneration).toBe(2);

    const fixed = compiler.compile(withObject(goodConsumer(5, 'fixed')));
    expect(consumerBody(fixed)?.source.generation).toBe(5);
    expect(statusOf(fixed, 'Consumer')?.servedGeneration).toBeUndefined();
    expect(accepted(fixed, 'Consumer')?.status).toBe('True');
    expect(JSON.stringify(fixed)).toBe(JSON.stringify(compile(withObject(goodConsumer(5, 'fixed')))));
  });

  it('deleting the object removes it, and a re-created object never brings back its predecessor', () => {
    const compiler = new Compiler();
    compiler.compile(quickstart);
    expect(consumerBody(compiler.compile(without('Consumer')))).toBeUndefined();
    expect(consumerBody(compiler.compile(withObject(badConsumer(2))))).toBeUndefined();

    const again = new Compiler();
    again.compile(quickstart);
    const recreated = badConsumer(2);
    recreated.metadata = { ...recreated.metadata, uid: 'another-object' };
    expect(consumerBody(again.compile(withObject(recreated)))).toBeUndefined();
  });

  it('knows nothing after a restart: a new Compiler does not serve a rejected generation', () => {
    new Compiler().compile(quickstart);
    const restarted = new Compiler();
    const r = restarted.compile(withObject(badConsumer(2)));
    expect(consumerBody(r)).toBeUndefined();
    expect(statusOf(r, 'Consumer')?.servedGeneration).toBeUndefined();
  });

  it('an object the API server did not change compiles as a fresh compile does', () => {
    const compiler = new Compiler();
    compiler.compile(quickstart);
    // Same generation: not an edit of this object (golden cases reuse names across cases).
    const r = compiler.compile(withObject(badConsumer(1)));
    expect(JSON.stringify(r)).toBe(JSON.stringify(compile(withObject(badConsumer(1)))));
  });

  it('a Gateway edited into an invalid state keeps serving, and its Consumers with it', () => {
    const compiler = new Compiler();
    const first = compiler.compile(quickstart);
    const bad = edited('Gateway', 2, (s: object) => ({ ...s, slug: 'Not A Slug' }));
    const second = compiler.compile(withObject(bad));
    expect(second.resources.map((x) => `${x.kind}/${x.name}@${x.version}`)).toEqual(
      first.resources.map((x) => `${x.kind}/${x.name}@${x.version}`),
    );
    expect(accepted(second, 'Gateway')?.status).toBe('False');
    expect(statusOf(second, 'Gateway')?.servedGeneration).toBe(1);
    expect(accepted(second, 'Consumer')?.status).toBe('True');
  });

  it('serves nothing when the last accepted generation no longer compiles against today', () => {
    const compiler = new Compiler();
    compiler.compile(withObject(goodConsumer(1)));
    // The Registry stops serving the model generation 1 routes to: generation 1 is rejected too.
    const registry = edited('Registry', 2, (s: { models: object[] }) => ({
      ...s,
      models: [{ name: 'other' }],
    }));
    const r = compiler.compile(withObject(badConsumer(2), withObject(registry)));
    expect(consumerBody(r)).toBeUndefined();
    expect(statusOf(r, 'Consumer')?.servedGeneration).toBeUndefined();
  });

  describe('a new generation that loses a conflict', () => {
    /** Another Consumer of the same gateway with slug `other`; it wins conflicts (same age, first by name). */
    const older = {
      ...goodConsumer(1),
      metadata: { name: 'aaa', namespace: 'default', generation: 1 },
    } as TollgateObject;
    (older.spec as { slug: string }).slug = 'other';
    const base: CompileInput = { ...quickstart, objects: [...quickstart.objects, older] };
    const renamed = (generation: number, slug: string) =>
      edited('Consumer', generation, (spec: { slug: string }) => ({ ...spec, slug }));
    const appBody = (r: CompileResult) =>
      r.resources.find((x) => x.name === 'default/app')?.body as CompiledConsumer | undefined;
    const appStatus = (r: CompileResult) => r.statuses.find((x) => x.name === 'app');

    it("serves the previous generation when the new one takes an older object's slug", () => {
      const compiler = new Compiler();
      compiler.compile(base);
      const r = compiler.compile(withObject(renamed(2, 'other'), base));
      expect(appBody(r)?.slug).toBe('my-app');
      expect(appBody(r)?.source.generation).toBe(1);
      expect(appStatus(r)?.servedGeneration).toBe(1);
      expect(appStatus(r)?.conditions[0]).toMatchObject({ status: 'False', reason: 'SlugConflict' });
      expect(appStatus(r)?.conditions[0]?.message).toMatch(
        /already used .* \(generation 1, the last accepted, is still served\)$/,
      );
      // The older object keeps its slug; a fresh compile would serve only it.
      expect(r.resources.find((x) => x.name === 'default/aaa')).toBeDefined();
      expect(appBody(compile(withObject(renamed(2, 'other'), base)))).toBeUndefined();
    });

    it('never takes a conflicting generation for the last accepted one', () => {
      const compiler = new Compiler();
      compiler.compile(base);
      compiler.compile(withObject(renamed(2, 'other'), base));
      const r = compiler.compile(withObject(badConsumer(3), base));
      expect(appBody(r)?.source.generation).toBe(1);
      expect(appStatus(r)?.servedGeneration).toBe(1);
    });

    it('serves nothing when the previous generation loses a conflict too', () => {
      const compiler = new Compiler();
      compiler.compile(base);
      // The winning Consumer moves onto app's slug while app is edited: app's generation 1 has
      // that slug too, so it loses as well, and nothing of app is served.
      const olderMoved = {
        ...older,
        metadata: { ...older.metadata, generation: 2 },
        spec: { ...(older.spec as object), slug: 'my-app' },
      } as TollgateObject;
      const r = compiler.compile({
        ...quickstart,
        objects: [
          ...quickstart.objects.filter((o) => o.kind !== 'Consumer'),
          olderMoved,
          renamed(2, 'my-app'),
        ],
      });
      expect(r.resources.find((x) => x.name === 'default/aaa')).toBeDefined();
      expect(appBody(r)).toBeUndefined();
      expect(appStatus(r)?.servedGeneration).toBeUndefined();
    });
  });
});
