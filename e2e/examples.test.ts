import { readdirSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@tollgate/controller/compile';
import { loadManifests } from '@tollgate/controller/manifests/load';

/** Every example is applied by users as it is: each must validate and compile with no condition False. */
const EXAMPLES = path.resolve(__dirname, '../examples');
const dirs = readdirSync(EXAMPLES, { withFileTypes: true })
  // examples/argocd holds Argo CD objects, checked by e2e/helm/argocd.test.ts.
  .filter((d) => d.isDirectory() && d.name !== 'argocd')
  .map((d) => d.name);

/** Examples that extend another one and are applied together with it (as their header comment says). */
const APPLIED_WITH: Record<string, string[]> = { policies: ['quickstart'] };
/** Examples run with `tollgate run` only (a Stdio MCP server): compiled as standalone mode does. */
const STANDALONE = new Set(['mcp']);

describe.each(dirs)('examples/%s', (name) => {
  it('validates against the CRDs and compiles cleanly', async () => {
    const loaded = await loadManifests(
      [...(APPLIED_WITH[name] ?? []), name].map((d) => path.join(EXAMPLES, d)),
    );
    expect(loaded.errors).toEqual([]);
    expect(loaded.objects.length).toBeGreaterThan(0);
    const result = compile(loaded, { standalone: STANDALONE.has(name) });
    const problems = result.statuses.flatMap((s) =>
      s.conditions.filter((c) => c.status !== 'True').map((c) => `${s.kind}/${s.name}: ${c.message}`),
    );
    expect(problems).toEqual([]);
    expect(result.resources).toHaveLength(loaded.objects.length);
  });
});

it('has examples', () => expect(dirs).toContain('quickstart'));
