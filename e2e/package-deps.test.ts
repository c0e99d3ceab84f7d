import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compilerOptions, packageImports, packageOf, runtimePackages } from './package-imports';
import { ROOT } from './process';

/**
 * Each workspace package (protocol/, controller/, dataplane/) lists exactly the packages its
 * run-time sources load, in `runtimeDependencies`, at the root package.json's ranges (the root's
 * `dependencies` are what npm installs). Not in a field npm acts on: `npm pack` would bundle every
 * package of a bundled package's `dependencies` (or `optionalDependencies`) into the tarball, and
 * `npm install -g` of the tarball leaves a bundled package's `peerDependencies` uninstalled, as if
 * the bundle carried them (see docs/internals.md). Read from the sources, no build needed.
 */
const PACKAGES = ['protocol', 'controller', 'dataplane'];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  runtimeDependencies?: Record<string, string>;
}
const manifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

describe('the checker', () => {
  it('names the package of a specifier, and none for a relative path or a builtin', () => {
    expect(packageOf('@smithy/util-utf8')).toBe('@smithy/util-utf8');
    expect(packageOf('@tollgate/dataplane/discovery/client')).toBe('@tollgate/dataplane');
    expect(packageOf('@modelcontextprotocol/sdk/client/index.js')).toBe('@modelcontextprotocol/sdk');
    expect(packageOf('yaml')).toBe('yaml');
    expect(packageOf('undici/types')).toBe('undici');
    for (const none of ['./a', '../b/c', '/abs/path', 'node:fs', 'fs', 'fs/promises', 'node:test'])
      expect(packageOf(none)).toBeUndefined();
  });

  it('finds static, dynamic and require() loads and leaves out what only types use', () => {
    const source = `
import type { A } from 'type-only';
import { type B } from 'all-named-types';
import { C } from 'used-as-type-only';
import { D } from '@scope/used-as-value/sub';
import E from 'default-value';
import * as F from 'namespace-value';
import 'side-effect';
export { G } from 'reexported';
export type { H } from 'type-reexport';
import { readFileSync } from 'node:fs';
import { join } from 'path';
import { local } from './local';
type T = typeof import('import-type');
let x: C | A | B | H | T;
export async function f() {
  const late = await import('dynamic/sub');
  const r = require('required') as typeof import('required-types');
  return [D, E, F, late, r, readFileSync, join, local, x];
}
`;
    expect(runtimePackages('probe.ts', source, compilerOptions(ROOT))).toEqual([
      '@scope/used-as-value',
      'default-value',
      'dynamic',
      'namespace-value',
      'reexported',
      'required',
      'side-effect',
    ]);
  });
});

const rootDependencies = manifest('.').dependencies ?? {};

describe.each(PACKAGES)('%s/package.json', (dir) => {
  const pkg = manifest(dir);
  const declared = pkg.runtimeDependencies ?? {};

  it('declares exactly the packages its run-time sources load', () => {
    const used = packageImports(ROOT, dir);
    const undeclared = [...used]
      .filter(([name]) => !(name in declared))
      .map(([name, files]) => `${name} (${files.join(', ')})`);
    const unused = Object.keys(declared).filter((name) => !used.has(name));
    expect({ undeclared, unused }).toEqual({ undeclared: [], unused: [] });
    // Not vacuous: every package loads something (protocol: ajv).
    expect(used.size).toBeGreaterThan(0);
  });

  it("gives each the root package.json's range", () => {
    const ranges = Object.fromEntries(Object.keys(declared).map((name) => [name, rootDependencies[name]]));
    expect(declared).toEqual(ranges);
  });

  it('has none in the fields npm acts on (the packed package would bundle or lack them)', () => {
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.optionalDependencies).toBeUndefined();
    expect(pkg.peerDependencies).toBeUndefined();
  });
});
