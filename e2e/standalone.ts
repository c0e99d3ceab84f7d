import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStandalone, type Standalone, type StandaloneOptions } from '../cli/src/standalone';
import { createLogger, type Logger } from '@tollgate/dataplane/telemetry/logger';

/** Tollgate in the test's own process: standalone mode on one manifest file, ports picked for it. */
export interface InProcessTollgate {
  tollgate: Standalone;
  /** `http://127.0.0.1:{port}` of the proxy, and of its ops server. */
  base: string;
  ops: string;
  /** The manifest file: rewrite it, then `tollgate.reload()`. */
  file: string;
  stop(): Promise<void>;
}

export async function standaloneOn(
  yaml: string,
  logger: Logger = createLogger({ level: 'silent' }),
  /** More options of the dataplane (e.g. `redisUrl`). */
  more: Partial<StandaloneOptions> = {},
): Promise<InProcessTollgate> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-e2e-'));
  const file = path.join(dir, 'all.yaml');
  await writeFile(file, yaml);
  const tollgate = await startStandalone({
    ...more,
    paths: [dir],
    port: 0,
    opsPort: 0,
    watch: false,
    logger,
  });
  return {
    tollgate,
    base: `http://127.0.0.1:${tollgate.dataplane.port}`,
    ops: `http://127.0.0.1:${tollgate.dataplane.opsPort}`,
    file,
    async stop() {
      await tollgate.close(100);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
