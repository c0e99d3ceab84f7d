import path from 'node:path';
import { cycles, importGraph, sourceFiles } from './import-graph';

const ROOT = path.resolve(__dirname, '..');
const DIRS = ['protocol/src', 'controller/src', 'dataplane/src', 'cli/src'];

describe('import cycles', () => {
  it('finds a cycle when there is one (the checker itself)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('the sources have none (type-only imports included)', () => {
    const files = sourceFiles(ROOT, DIRS);
    expect(files.length).toBeGreaterThan(100);
    const found = cycles(importGraph(files)).map((c) => c.map((f) => path.relative(ROOT, f)));
    expect(found).toEqual([]);
  });
});
