import path from 'node:path';
import { ROOT, runToEnd } from './process';

/**
 * cli/src/young-generation.ts, in a fresh Node process (the built module: `npm run build` first),
 * where V8's young generation starts at its initial size: objects that survive scavenges while
 * `start` runs do not grow it; the same churn after `start` settles does, as V8 does by default.
 */
const SCRIPT = `
const { getHeapSpaceStatistics } = require('node:v8');
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];
const churn = () => {
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 200000) keep.splice(0, 100000);
  }
};
withYoungGenerationHeld(async () => {
  churn();
  return newSpace();
}).then((held) => {
  churn();
  console.log(JSON.stringify({ held, released: newSpace() }));
});
`;

it('holds the young generation at its size while starting, and lets it grow once started', async () => {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { held, released } = JSON.parse(stdout) as { held: number; released: number };
  // Unheld, V8 doubles it up to its maximum (2 × 16 MB on 64-bit) under this churn.
  expect(released).toBeGreaterThanOrEqual(held * 4);
});

const SCRIPT_UNTIL = `
const { getHeapSpaceStatistics } = require('node:v8');
const { withYoungGenerationHeld } = require(${JSON.stringify(path.join(ROOT, 'dist/cli/src/young-generation.js'))});
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const keep = [];
const churn = () => {
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 200000) keep.splice(0, 100000);
  }
};
let finishWarmUp;
const warmedUp = new Promise((resolve) => (finishWarmUp = resolve));
withYoungGenerationHeld(async () => 'started', () => warmedUp).then(async (started) => {
  churn(); // after start, before until settles: still held
  const held = newSpace();
  finishWarmUp();
  await new Promise((r) => setImmediate(r));
  churn();
  console.log(JSON.stringify({ started, held, released: newSpace() }));
});
`;

it('keeps holding it after start returns, until `until` settles, without waiting for it', async () => {
  const { code, stdout, stderr } = await runToEnd(['-e', SCRIPT_UNTIL], { command: process.execPath });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { started, held, released } = JSON.parse(stdout) as {
    started: string;
    held: number;
    released: number;
  };
  expect(started).toBe('started');
  expect(released).toBeGreaterThanOrEqual(held * 4);
});
