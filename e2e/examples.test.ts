import { readdirSync } from 'node:fs';
import path from 'node:path';
import { compile } from '../controller/src/compile';
import { loadManifests } from '../controller/src/manifests/load';

/** Every example is applied by users as it is: each must validate and compile with no condition False. */
const EXAMPLES = path.resolve(__dirname, '../examples');
const dirs = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe.each(dirs)('examples/%s', (name) => {
  it('validates against the CRDs and compiles cleanly', async () => {
    const loaded = await loadManifests([path.join(EXAMPLES, name)]);
    expect(loaded.errors).toEqual([]);
    expect(loaded.objects.length).toBeGreaterThan(0);
    const result = compile(loaded);
    const problems = result.statuses.flatMap((s) =>
      s.conditions.filter((c) => c.status !== 'True').map((c) => `${s.kind}/${s.name}: ${c.message}`),
    );
    expect(problems).toEqual([]);
    expect(result.resources).toHaveLength(loaded.objects.length);
  });
});

it('has examples', () => expect(dirs).toContain('quickstart'));
