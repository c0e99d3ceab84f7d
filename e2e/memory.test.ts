import { MAX_MODEL_NAME_LENGTH } from '@tollgate/dataplane/proxy/request-checks';
import { DUMP_UPSTREAMS_PER_REGISTRY } from '@tollgate/dataplane/routing/health';
import { APP_HEADERS, inParallel, rssBytes, runOnHardeningUpstreams } from './hardening';

/**
 * Issue 12, item 2: any key holder could grow the process with model names on a `*` route (2,000
 * unique 50 KB names took RSS from 161 to 324 MB for good, /config_dump to 101 MB). Against
 * `tollgate run` (the built CLI: `npm run build` first): 2,000 unique 50 KB names and 2,000 unique
 * names of the longest allowed length leave RSS and /config_dump within fixed bounds.
 */
const NAMES = 2000;
const RSS_GROWTH_LIMIT = 48 * 1024 * 1024;
const DUMP_LIMIT = 128 * 1024;

const run = runOnHardeningUpstreams();

async function chat(model: string): Promise<{ status: number; selected: string | null }> {
  const res = await fetch(`http://127.0.0.1:${run.tg.port}/app/v1/chat/completions`, {
    method: 'POST',
    headers: APP_HEADERS,
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, selected: res.headers.get('x-selected-model') };
}

async function configDump(): Promise<{ text: string; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${run.tg.opsPort}/config_dump`);
  const text = await res.text();
  return { text, ms: Date.now() - t0 };
}

it(`${NAMES} unique 50 KB and ${NAMES} unique long model names leave RSS and /config_dump bounded`, async () => {
  const pid = run.tg.proc.pid as number;
  // Warm up: what a cold process allocates once is not growth.
  await inParallel(
    Array.from({ length: 200 }, (_, i) => `warm-${i % 20}`),
    8,
    chat,
  );
  await configDump();
  const before = await rssBytes(pid);

  const huge = await inParallel(
    Array.from({ length: NAMES }, (_, i) => `${String(i).padStart(5, '0')}${'h'.repeat(50_000)}`),
    8,
    async (model, i) => {
      if (i % 200 === 0) run.target.forget();
      return chat(model);
    },
  );
  expect(huge.filter((r) => r.status !== 400)).toEqual([]);
  expect(huge.every((r) => r.selected === null)).toBe(true);

  const long = await inParallel(
    Array.from(
      { length: NAMES },
      (_, i) => `${String(i).padStart(5, '0')}${'l'.repeat(MAX_MODEL_NAME_LENGTH - 5)}`,
    ),
    8,
    async (model, i) => {
      if (i % 200 === 0) run.target.forget();
      return chat(model);
    },
  );
  expect(long.filter((r) => r.status !== 200)).toEqual([]);
  expect(long.every((r) => (r.selected?.length ?? 0) === MAX_MODEL_NAME_LENGTH)).toBe(true);

  const after = await rssBytes(pid);
  expect(after - before).toBeLessThan(RSS_GROWTH_LIMIT);

  const dump = await configDump();
  expect(dump.text.length).toBeLessThan(DUMP_LIMIT);
  expect(dump.ms).toBeLessThan(1000);
  const health = (
    JSON.parse(dump.text) as { health: Record<string, { upstreams: unknown[]; upstreamsOmitted?: number }> }
  ).health['default/compat'];
  expect(health?.upstreams).toHaveLength(DUMP_UPSTREAMS_PER_REGISTRY);
  expect(health?.upstreamsOmitted).toBeGreaterThanOrEqual(NAMES - DUMP_UPSTREAMS_PER_REGISTRY);
  expect(run.tg.proc.exitCode).toBeNull();
}, 120_000);
