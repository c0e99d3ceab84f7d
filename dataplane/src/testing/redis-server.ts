import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';

/**
 * A real, throwaway `redis-server` for tests: its own free 127.0.0.1 port, no persistence, never the
 * system service. `kill()` makes it vanish like a crashed server, `pause()` makes it hang like a
 * partitioned one, `start()` brings it back on the same port.
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export async function startTestRedis(): Promise<TestRedis> {
  if (!redisServerAvailable()) {
    throw new Error('redis-server is not installed (Debian: apt-get install redis-server; .ci/run does it)');
  }
  const port = await freePort();
  let proc: ChildProcess | undefined;

  const start = async () => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    proc = child;
    const started = Date.now();
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() - started > 10_000) throw new Error('redis-server did not start in 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    kill,
    pause: () => proc?.kill('SIGSTOP'),
    resume: () => proc?.kill('SIGCONT'),
    async stop() {
      proc?.kill('SIGCONT');
      await kill();
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Waits until a Redis client (a counter store) is connected and ready for commands. */
export async function redisReady(client: { readonly ready: boolean }, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!client.ready) {
    if (Date.now() - started > timeoutMs) throw new Error('Redis client not ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}
