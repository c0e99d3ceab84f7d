import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { stringify, parse } from 'yaml';
import { validateResource } from '@tollgate/protocol';
import { compile } from '.';
import { GOLDEN_CASES, TESTDATA, readGoldenInput } from './golden-cases';

/**
 * Golden translation tests: each folder under testdata/ holds input.yaml (Gateways, Registries,
 * Consumers, Policies, Secrets) and expected.yaml (the whole compile result). The expected files are
 * the specification; regenerate with UPDATE_GOLDEN=1 and read the diff.
 */
describe('compile goldens', () => {
  it('has at least 14 cases', () => {
    expect(GOLDEN_CASES.length).toBeGreaterThanOrEqual(14);
  });

  it.each(GOLDEN_CASES)('%s', (name) => {
    const dir = path.join(TESTDATA, name);
    const result = compile(readGoldenInput(dir));
    const expectedFile = path.join(dir, 'expected.yaml');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(expectedFile)) {
      writeFileSync(expectedFile, stringify(result, { aliasDuplicateObjects: false }));
    }
    expect(JSON.parse(JSON.stringify(result))).toEqual(parse(readFileSync(expectedFile, 'utf8')));
    // everything compile emits is what a proxy accepts
    for (const r of result.resources) expect(validateResource(r)).toEqual({ ok: true, resource: r });
  });

  it.each(GOLDEN_CASES)('%s: output does not depend on input order', (name) => {
    const input = readGoldenInput(path.join(TESTDATA, name));
    const reversed = compile({
      objects: [...input.objects].reverse(),
      secrets: [...input.secrets].reverse(),
    });
    const rotated = compile({
      objects: [...input.objects.slice(1), ...input.objects.slice(0, 1)],
      secrets: input.secrets,
    });
    const expected = JSON.stringify(compile(input));
    expect(JSON.stringify(reversed)).toBe(expected);
    expect(JSON.stringify(rotated)).toBe(expected);
  });

  it('never puts a secret value into a status, and API keys only as digests', () => {
    for (const name of GOLDEN_CASES) {
      const input = readGoldenInput(path.join(TESTDATA, name));
      const result = compile(input);
      const statuses = JSON.stringify(result.statuses);
      const consumers = JSON.stringify(result.resources.filter((r) => r.kind === 'Consumer'));
      for (const s of input.secrets) {
        const values = [
          ...Object.values(s.stringData ?? {}),
          ...Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString()),
        ].map((v) => v.trim());
        for (const v of values) {
          expect(statuses).not.toContain(v);
          expect(consumers).not.toContain(v);
        }
      }
    }
  });
});
