import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redisServerAvailable, startTestRedis } from '@tollgate/dataplane/testing/redis-server';
import { startDiscoveryFeed, type DiscoveryFeed } from './discovery-feed';
import {
  killChildren,
  ROOT,
  startChild,
  startStoppableChild,
  startTollgate,
  writeBenchConfig,
} from './processes';
import { printProfile, runProfile } from './profile-run';
import {
  formatHeadlines,
  formatTable,
  parseBenchArgs,
  roundRatioRange,
  type Headline,
  type Measurement,
} from './report';
import { runScenario, SCENARIOS, type Context } from './scenarios';
import { CALLER_KEY, UPSTREAM_KEY, type Ports } from './targets';
import { WRK_INSTALL_HINT, wrkInstalled } from './wrk';

/**
 * npm run bench: a mock upstream, a minimal pass-through and Tollgate, each its own process, driven
 * in turn by wrk (a C load generator, not a Node process sharing the cores) with the same load;
 * figures are ratios against the pass-through and the direct call measured in the same run.
 */
process.on('exit', killChildren);
process.on('SIGINT', () => process.exit(130));

async function main() {
  const opts = parseBenchArgs(process.argv.slice(2), Object.keys(SCENARIOS));
  if (!wrkInstalled()) {
    console.error(`wrk not found: ${WRK_INSTALL_HINT}`);
    process.exit(2);
  }
  const upstreamPort = await startChild('upstream', [path.join(__dirname, 'upstream.js')], {
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
    BENCH_CHUNK_DELAY_MS: String(opts.chunkDelayMs),
  });
  const passEnv = {
    BENCH_UPSTREAM_ORIGIN: `http://127.0.0.1:${upstreamPort}`,
    BENCH_UPSTREAM_KEY: UPSTREAM_KEY,
  };
  const passArgs = [path.join(__dirname, 'passthrough.js')];
  const passPort = await startChild('passthrough', passArgs, passEnv);
  const floorPort = await startChild('floor', [path.join(__dirname, 'floor.js')], {
    ...passEnv,
    BENCH_CALLER_KEY: CALLER_KEY,
  });
  const redis = redisServerAvailable() ? await startTestRedis() : undefined;
  if (!redis) console.warn('redis-server not found: the policies scenario counts in-process');
  const tg = { configDir: await writeBenchConfig(upstreamPort), redisUrl: redis?.url, workers: opts.workers };
  const out = path.join(ROOT, 'bench/results');
  await mkdir(out, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    options: opts,
  };

  if (opts.profile) {
    const p = await runProfile(opts, { upstream: upstreamPort, passthrough: passPort }, tg);
    printProfile(p);
    await writeFile(path.join(out, 'profile.json'), `${JSON.stringify({ ...meta, ...p }, null, 2)}\n`);
    console.log(`\nwritten to bench/results/profile.json`);
    await redis?.stop();
    process.exit(0);
  }

  const shared = await startTollgate(tg);
  const ports: Ports = {
    upstream: upstreamPort,
    passthrough: passPort,
    floor: floorPort,
    tollgate: shared.port,
  };
  let feed: DiscoveryFeed | undefined;
  const ctx: Context = {
    opts,
    ports,
    startFresh: () => startTollgate(tg),
    startFreshDataplane: async () => {
      feed ??= await startDiscoveryFeed(tg.configDir);
      return startTollgate({ ...tg, discovery: feed.address });
    },
    startFreshPassthrough: () => startStoppableChild('passthrough (fresh)', passArgs, passEnv),
  };
  const results: Record<
    string,
    { rows: Measurement[]; ratios: Record<string, number> } & Record<string, unknown>
  > = {};
  const headlines: Headline[] = [];
  let failed = false;
  for (const name of opts.scenarios) {
    const { rows, summary, perRound } = await runScenario(
      name,
      SCENARIOS[name] as (typeof SCENARIOS)[string],
      ctx,
    );
    const spread = (k: string) => (perRound ? roundRatioRange(perRound, k) : undefined);
    const ratioRounds = Object.fromEntries(Object.keys(summary.ratios).map((k) => [k, spread(k)]));
    results[name] = { rows, ratios: summary.ratios, ratioRounds, perRound, ...summary.extra };
    headlines.push(...summary.headlines);
    console.log(`\n${formatTable(name, rows)}`);
    const ratios = Object.entries(summary.ratios).map(([k, v]) => {
      const r = spread(k);
      return `${k} = ${v}${r ? ` (rounds ${r.min}–${r.max})` : ''}`;
    });
    if (ratios.length > 0) console.log(ratios.join('   '));
    for (const line of summary.lines) console.log(line);
    for (const r of rows) {
      if (r.errors + r.non2xx > 0) {
        console.error(`!! ${name}/${r.target}: ${r.errors} errors, ${r.non2xx} non-2xx responses`);
        failed = true;
      }
    }
  }
  if (headlines.length > 0) console.log(`\n${formatHeadlines(headlines)}`);
  await writeFile(
    path.join(out, 'latest.json'),
    `${JSON.stringify({ ...meta, results, headlines }, null, 2)}\n`,
  );
  console.log(`\nwritten to bench/results/latest.json`);
  await redis?.stop();
  await feed?.close();
  killChildren();
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  killChildren();
  process.exit(1);
});
