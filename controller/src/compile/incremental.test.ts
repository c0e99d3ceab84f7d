import path from 'node:path';
import type { Consumer, Secret, TollgateObject } from '../api/v1alpha1';
import { Compiler, compile, type CompileInput, type CompileStats } from '.';
import { seeded } from '@tollgate/dataplane/testing/routing';
import { GOLDEN_CASES, TESTDATA, readGoldenInput } from './golden-cases';

/**
 * The incremental compiler must give exactly what a fresh compile gives, whatever happened before;
 * and it must redo only the objects a change affects.
 */

const json = (x: unknown) => JSON.stringify(x);

const keyOf = (o: TollgateObject | Secret) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

describe('Compiler (incremental)', () => {
  const inputs = GOLDEN_CASES.map((name) => readGoldenInput(path.join(TESTDATA, name)));

  it('gives every golden case exactly what a fresh compile gives, after any other case', () => {
    const compiler = new Compiler();
    for (const input of [...inputs, ...[...inputs].reverse(), ...inputs]) {
      expect(json(compiler.compile(input))).toBe(json(compile(input)));
    }
  });

  it.each([1, 2, 3, 4, 5, 6])('matches a fresh compile through 300 random edits (seed %i)', (seed) => {
    const random = seeded(seed); // deterministic: a failing sequence replays from its seed
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    // Every golden case's objects share a few names (g, r, k, ...), so mixing them makes edits of
    // one object: spec changes, conflicts won and lost, references that appear and go away.
    const pool = inputs.flatMap((i) => [...i.objects, ...i.secrets]);
    const current = new Map<string, TollgateObject | Secret>();
    const compiler = new Compiler();
    const edits: string[] = [];
    for (let step = 0; step < 300; step++) {
      const roll = random();
      if (roll < 0.45 || current.size === 0) {
        const o = pick(pool);
        current.set(keyOf(o), o);
        edits.push(`put ${keyOf(o)}`);
      } else if (roll < 0.65) {
        const key = pick([...current.keys()]);
        current.delete(key);
        edits.push(`delete ${key}`);
      } else if (roll < 0.8) {
        // Older or newer: who wins a conflict changes, nothing else.
        const o = pick([...current.values()]);
        const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
        const moved = {
          ...o,
          metadata: { ...o.metadata, creationTimestamp: `2026-${month}-01T00:00:00Z` },
        } as TollgateObject | Secret;
        current.set(keyOf(o), moved);
        edits.push(`age ${keyOf(o)} ${month}`);
      } else if (roll < 0.9) {
        // A status write: a new object with the same spec.
        const o = pick([...current.values()]);
        current.set(keyOf(o), { ...o, metadata: { ...o.metadata, resourceVersion: String(step) } } as
          TollgateObject | Secret);
        edits.push(`touch ${keyOf(o)}`);
      } else {
        const secrets = [...current.values()].filter((o): o is Secret => o.kind === 'Secret');
        if (secrets.length === 0) continue;
        const s = pick(secrets);
        const rotated: Secret = {
          ...s,
          data: undefined,
          stringData: Object.fromEntries(
            Object.keys({ ...s.data, ...s.stringData }).map((k) => [k, `rotated-${step}`]),
          ),
        };
        current.set(keyOf(s), rotated);
        edits.push(`rotate ${keyOf(s)}`);
      }
      const all = [...current.values()];
      const input: CompileInput = {
        objects: all.filter((o): o is TollgateObject => o.kind !== 'Secret'),
        secrets: all.filter((o): o is Secret => o.kind === 'Secret'),
      };
      const got = json(compiler.compile(input));
      if (got !== json(compile(input))) {
        throw new Error(`seed ${seed}: differs after\n${edits.slice(-10).join('\n')}`);
      }
    }
  });

  describe('recompiles only what a change affects', () => {
    const meta = (name: string, extra: object = {}) => ({
      name,
      namespace: 'team',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...extra,
    });
    const secret = (name: string, value: string): Secret => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(name),
      stringData: { key: value },
    });
    const registry = (name: string): TollgateObject =>
      ({
        apiVersion: 'tollgate.dev/v1alpha1',
        kind: 'Registry',
        metadata: meta(name),
        spec: { provider: 'openai', credentials: { secretRef: { name: `${name}-key`, key: 'key' } } },
      }) as TollgateObject;
    const consumer = (i: number, generation = 1): Consumer =>
      ({
        apiVersion: 'tollgate.dev/v1alpha1',
        kind: 'Consumer',
        metadata: meta(`c${i}`, { generation }),
        spec: {
          gatewayRef: { name: 'gw' },
          slug: `c${i}`,
          credentials: { apiKeys: [{ secretRef: { name: `c${i}-key`, key: 'key' } }] },
          routes: [
            {
              model: generation === 1 ? 'gpt-4o' : `gpt-4o-v${generation}`,
              targets: [{ registryRef: { name: i % 2 === 0 ? 'even' : 'odd' }, model: 'gpt-4o' }],
            },
          ],
        },
      }) as Consumer;
    const gateway = {
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Gateway',
      metadata: meta('gw'),
      spec: { slug: 'gw' },
    } as TollgateObject;
    const policy = {
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Policy',
      metadata: meta('limits'),
      spec: {
        targetRefs: [{ kind: 'Consumer', name: 'c3' }],
        plugins: { rateLimit: { requests: 10, window: '1m' } },
      },
    } as TollgateObject;

    const consumers = Array.from({ length: 50 }, (_, i) => consumer(i));
    const secrets = [
      secret('even-key', 'sk-even'),
      secret('odd-key', 'sk-odd'),
      ...consumers.map((_, i) => secret(`c${i}-key`, `key-${i}`)),
    ];
    const base: CompileInput = {
      objects: [gateway, registry('even'), registry('odd'), ...consumers, policy],
      secrets,
    };

    /** Compiled counts per kind after compiling `first` then `next`; `next`'s result is checked too. */
    function after(first: CompileInput, next: CompileInput): Record<string, number> {
      const compiler = new Compiler();
      compiler.compile(first);
      expect(json(compiler.compile(next))).toBe(json(compile(next)));
      const stats = compiler.stats as CompileStats;
      return Object.fromEntries(Object.entries(stats).map(([kind, s]) => [kind, s.compiled]));
    }
    const none = { Gateway: 0, Registry: 0, Consumer: 0, Policy: 0 };
    const replace = (list: readonly TollgateObject[], i: number, o: TollgateObject) =>
      list.map((x, j) => (j === i ? o : x));

    it('compiles everything the first time', () => {
      const compiler = new Compiler();
      compiler.compile(base);
      expect(compiler.stats?.Consumer).toEqual({ compiled: 50, reused: 0 });
    });

    it('nothing when nothing changed, or only a status did', () => {
      expect(after(base, base)).toEqual(none);
      const touched = base.objects.map((o) => ({ ...o, metadata: { ...o.metadata, resourceVersion: '9' } }));
      expect(after(base, { ...base, objects: touched as TollgateObject[] })).toEqual(none);
    });

    it('one consumer when one consumer changed; its policy only if its state did', () => {
      const edited = replace(base.objects, 3 + 7, consumer(7, 2));
      expect(after(base, { ...base, objects: edited })).toEqual({ ...none, Consumer: 1 });
      // c3 is the policy's target: its spec changing while it stays accepted leaves the policy be
      const target = replace(base.objects, 3 + 3, consumer(3, 2));
      expect(after(base, { ...base, objects: target })).toEqual({ ...none, Consumer: 1 });
      // c3 gone: the policy's target no longer resolves, so the policy is compiled again
      const gone = base.objects.filter((o) => o.metadata.name !== 'c3');
      expect(after(base, { ...base, objects: gone })).toEqual({ ...none, Policy: 1 });
    });

    it("a registry's Secret: that registry and the consumers routed to it", () => {
      const rotated = base.secrets.map((s) =>
        s.metadata.name === 'odd-key' ? secret('odd-key', 'sk-new') : s,
      );
      expect(after(base, { ...base, secrets: rotated })).toEqual({ ...none, Registry: 1, Consumer: 25 });
    });

    it("a consumer's key Secret: that consumer", () => {
      const rotated = base.secrets.map((s) => (s.metadata.name === 'c9-key' ? secret('c9-key', 'new') : s));
      expect(after(base, { ...base, secrets: rotated })).toEqual({ ...none, Consumer: 1 });
    });

    it('the gateway going away: everything that named it', () => {
      const objects = base.objects.filter((o) => o.kind !== 'Gateway');
      expect(after(base, { ...base, objects })).toEqual({ ...none, Consumer: 50, Policy: 1 });
    });

    it('keeps unchanged bodies as the same objects, so they are hashed and serialised once', () => {
      const compiler = new Compiler();
      const before = compiler.compile(base);
      const edited = compiler.compile({ ...base, objects: replace(base.objects, 3 + 7, consumer(7, 2)) });
      const bodyOf = (r: typeof before, name: string) => r.resources.find((x) => x.name === name)?.body;
      expect(bodyOf(edited, 'team/c8')).toBe(bodyOf(before, 'team/c8'));
      expect(bodyOf(edited, 'team/c7')).not.toBe(bodyOf(before, 'team/c7'));
    });
  });
});
