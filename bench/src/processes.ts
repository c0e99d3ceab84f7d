import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { benchConfigYaml } from './targets';

/** The bench's child processes: started here, killed on exit whatever happens. */
export const ROOT = path.resolve(__dirname, '../../..');
const children: ChildProcess[] = [];
export function killChildren() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** SIGTERM to `child`, then its exit; nothing when it has already exited. */
function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
}

/** A node child that prints `PORT=<n>` once it listens; it is killed when the bench exits. */
export async function startChild(name: string, args: string[], env: Record<string, string>): Promise<number> {
  return (await startStoppableChild(name, args, env)).port;
}

/** `startChild`, with a way to stop the child before the bench exits (SIGTERM, then its exit). */
export function startStoppableChild(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ port: number; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const stop = stopper(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT=(\d+)/.exec(out);
      if (m) {
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve({ port: Number(m[1]), stop });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Writes the bench config (targets.ts) into a fresh folder for `tollgate run -f`. */
export async function writeBenchConfig(upstreamPort: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-bench-'));
  await writeFile(path.join(dir, 'bench.yaml'), benchConfigYaml(upstreamPort));
  return dir;
}

export interface TollgateOptions {
  configDir: string;
  redisUrl?: string;
  /** Flags for node itself, before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** `tollgate run --workers N`: passed on when not 1. */
  workers?: number;
  /**
   * `tollgate dataplane --discovery <address>` (a proxy pod, fed its config over gRPC) instead of
   * `tollgate run` on `configDir`.
   */
  discovery?: string;
}

export interface TollgateProcess {
  port: number;
  pid: number;
  /** ms from spawn to the first 200 from /readyz. */
  readyMs: number;
  /** SIGTERM, then waits for the exit (a --cpu-prof profile is written by then). */
  stop(): Promise<void>;
}

/** Tollgate as a user runs it, logging at info to a discarded stdout: auth, routing, metrics and logs on. */
export async function startTollgate(o: TollgateOptions): Promise<TollgateProcess> {
  const [port, opsPort] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(o.nodeArgs ?? []),
      path.join(ROOT, 'dist/cli/src/tollgate.js'),
      ...(o.discovery ? ['dataplane', '--discovery', o.discovery] : ['run', '-f', o.configDir, '--no-watch']),
      '--port',
      String(port),
      '--ops-port',
      String(opsPort),
      ...(o.redisUrl ? ['--redis-url', o.redisUrl] : []),
      ...(o.workers !== undefined && o.workers !== 1 ? ['--workers', String(o.workers)] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  const stop = stopper(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { port, pid: child.pid as number, readyMs: performance.now() - started, stop };
    if (child.exitCode !== null) throw new Error(`tollgate exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('tollgate did not become ready in 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
