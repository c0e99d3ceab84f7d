import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, runToEnd } from './process';

/**
 * `npm start` (and `npm test`, `npm pack`) build first: with nothing changed that build must do
 * nothing, so a restart costs the process start, not a compile.
 */
it('a second build with no change in the sources writes nothing', async () => {
  const build = () => runToEnd(['run', 'build', '--', '--verbose'], { command: 'npm' });
  const first = await build(); // may compile, if the sources changed since the last build
  expect(first.code).toBe(0);
  const outputs = ['dist/cli/src/tollgate.js', 'dist/tsconfig.build.tsbuildinfo'].map((f) =>
    path.join(ROOT, f),
  );
  const before = await Promise.all(outputs.map(async (f) => (await stat(f)).mtimeMs));

  const second = await build();
  expect(second.code).toBe(0);
  expect(second.stdout).toMatch(/Project 'tsconfig\.build\.json' is up to date/);
  expect(second.stdout).not.toMatch(/Building project/);
  expect(await Promise.all(outputs.map(async (f) => (await stat(f)).mtimeMs))).toEqual(before);
}, 120_000);

it('npm start builds with the same command, without a second npm in between', async () => {
  const { scripts } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(scripts.build).toMatch(/^tsc -b /);
  expect(scripts.prestart).toBe(scripts.build);
});
