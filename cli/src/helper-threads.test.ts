import { DEFAULT_HELPER_NICE, helperNice, lowerHelperThreads, serialGcFlags } from './helper-threads';

describe('helperNice (TOLLGATE_HELPER_NICE)', () => {
  it.each<[string | undefined, number]>([
    [undefined, DEFAULT_HELPER_NICE],
    ['0', 0],
    ['10', 10],
    [' 19 ', 19],
    ['20', DEFAULT_HELPER_NICE],
    ['-5', DEFAULT_HELPER_NICE],
    ['low', DEFAULT_HELPER_NICE],
    ['', DEFAULT_HELPER_NICE],
  ])('%p → %p', (value, nice) => {
    expect(helperNice(value)).toBe(nice);
  });
});

describe('serialGcFlags', () => {
  it('turns off the pauses’ work shared out to helpers, which the event loop would wait for', () => {
    expect(serialGcFlags([], undefined)).toEqual([
      '--no-parallel-scavenge',
      '--no-parallel-compaction',
      '--no-parallel-pointer-update',
    ]);
  });

  it("leaves a flag the user gave on node's command line or in NODE_OPTIONS", () => {
    expect(serialGcFlags(['--parallel-scavenge'], '--no-parallel_compaction')).toEqual([
      '--no-parallel-pointer-update',
    ]);
  });
});

describe('lowerHelperThreads', () => {
  it('does nothing for nice 0', () => {
    expect(lowerHelperThreads(0)).toBe(0);
  });

  it('does nothing where threads cannot be listed', () => {
    expect(lowerHelperThreads(19, '/nonexistent/task')).toBe(0);
  });
});
