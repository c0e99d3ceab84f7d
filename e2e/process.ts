import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root, from the sources or from their build under dist/ (the benchmarks use it). */
export const ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const CLI = path.join(ROOT, 'dist/cli/src/tollgate.js');

export interface RunningTollgate {
  proc: ChildProcess;
  /** The proxy port, or the controller's discovery port. */
  port: number;
  opsPort: number;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built CLI (`npm run build` first) on free ports and waits until it listens. */
export async function startTollgate(
  args: string[],
  {
    command = 'run',
    timeoutMs = 15_000,
    cli = CLI,
    stdin,
    env = {},
    nodeArgs = [],
  }: {
    command?: 'run' | 'dataplane' | 'controller';
    timeoutMs?: number;
    /** Another build's entry point (a proxy of another release in a version-skew test). */
    cli?: string;
    /** Written to the process's standard input (`-f -`), which is then closed. */
    stdin?: string;
    /** Added to (or replacing) the test's own environment. */
    env?: NodeJS.ProcessEnv;
    /** Node's own options, before the CLI's path. */
    nodeArgs?: string[];
  } = {},
): Promise<RunningTollgate> {
  const ports = command === 'controller' ? ['--discovery-port', '0'] : ['--port', '0'];
  const proc = spawn(process.execPath, [...nodeArgs, cli, command, ...ports, '--ops-port', '0', ...args], {
    cwd: ROOT,
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, TOLLGATE_LOG_LEVEL: 'info', ...env },
  });
  if (stdin !== undefined) proc.stdin?.end(stdin);
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let buffered = '';
  proc.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr.push(line);
      }
    }
  });
  proc.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));

  const started = Date.now();
  for (;;) {
    const ready = command === 'controller' ? 'controller listening' : 'dataplane listening';
    const listening = logs.find((l) => l.msg === ready);
    if (listening) {
      const running: RunningTollgate = {
        proc,
        port: Number(listening.port ?? listening.discoveryPort),
        opsPort: Number(listening.opsPort),
        logs,
        stderr,
        exited,
        async stop(signal = 'SIGTERM') {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      };
      return running;
    }
    if (proc.exitCode !== null) throw new Error(`tollgate exited ${proc.exitCode}: ${stderr.join('')}`);
    if (Date.now() - started > timeoutMs) {
      proc.kill('SIGKILL');
      throw new Error(`tollgate did not start in ${timeoutMs} ms: ${stderr.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a command to its end (the built CLI by default), feeding it `input` on standard input. */
export function runToEnd(
  args: string[],
  o: { command?: string; input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, argv] = o.command === undefined ? [process.execPath, [CLI, ...args]] : [o.command, args];
  return new Promise((resolve, reject) => {
    const proc = spawn(command, argv, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('error', reject);
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
    proc.stdin?.end(o.input ?? '');
  });
}
