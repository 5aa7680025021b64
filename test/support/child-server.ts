import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The server as a real child process (`node --import tsx src/app/main.ts`, or any other entry such
 * as dist/app/main.js), for what only a process shows: signals, exit codes, locks, logs.
 */
export interface ChildServer {
  child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves with the port once the server logs "server listening". */
  listening(timeoutMs?: number): Promise<number>;
  /** The exit code if the process exits within timeoutMs, else 'still running'. */
  exitCodeWithin(timeoutMs: number): Promise<number | null | 'still running'>;
  /** Resolves once the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export function spawnServer(options: { env?: Record<string, string | undefined>; args?: string[]; cwd?: string } = {}): ChildServer {
  const args = options.args ?? ['--import', 'tsx', 'src/app/main.ts'];
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(output);
        if (m) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`no ${pattern} in the server's output within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => {
        if (!listeners.has(check)) return;
        listeners.delete(check);
        clearTimeout(timer);
        const m = pattern.exec(output);
        if (m) resolve(m);
        else reject(new Error(`the server exited before ${pattern} appeared:\n${output}`));
      });
      check();
    });
  const exitCodeWithin = (timeoutMs: number) =>
    new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), timeoutMs);
      void exited.then((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  return {
    child,
    exitCodeWithin,
    output: () => output,
    exited,
    waitFor,
    listening: async (timeoutMs) => Number((await waitFor(/"port":(\d+)[^\n]*"msg":"server listening"/, timeoutMs))[1]),
  };
}

/** Runs a command to its end (e.g. ['--import', 'tsx', 'src/cli/load-command.ts', file]): exit code and all output. */
export function runCommand(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd: string = ROOT,
): Promise<{ code: number | null; output: string }> {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}
