/**
 * Child processes of a benchmark run (our server, the floor): started with their own pid so
 * their memory can be read from /proc, waited for until they answer, stopped for sure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const LOG_DIR = path.join(__dirname, '.data', 'logs');

const running = new Set<ChildProcess>();

/** Kills every child still running (on exit, Ctrl-C or a crash of the runner). */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  running.clear();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The arguments to `node` of `npm start` (package.json), so that the benchmark starts our
 * server exactly as the README says: `node --max-old-space-size=256 scripts/start.mjs` gives
 * ['--max-old-space-size=256', 'scripts/start.mjs'] (the launcher that compiles src/ when it
 * changed and runs it in the same process), with every other flag of the script as well.
 */
export async function startScriptNodeArgs(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [command, ...args] = manifest.scripts.start.trim().split(/\s+/);
  if (command !== 'node')
    throw new Error(`the start script must run node directly, found "${manifest.scripts.start}"`);
  return args;
}

export interface ChildServer {
  name: string;
  pid: number;
  origin: string;
  /** Milliseconds from spawn to the first successful answer of the ready path. */
  startupMs: number;
  logFile: string;
  /** Current and peak resident memory in MB, from /proc/<pid>/status. */
  memory(): Promise<{ rssMb: number; hwmMb: number }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Arguments to `node`, e.g. ['--import', 'tsx', 'src/app/main.ts']. */
  nodeArgs: string[];
  env: Record<string, string | undefined>;
  port: number;
  readyPath: string;
  timeoutMs: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN when unreadable. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3, utime 14 and stime 15 (man 5 proc), in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds used so far by every process whose command is `postgres` (backends and background
 * processes; a backend that has exited is no longer counted, so read it while the connections
 * are open).
 */
export async function postgresCpuSeconds(): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') total += await cpuSeconds(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

async function readStatusMb(pid: number): Promise<{ rssMb: number; hwmMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startChild(options: StartOptions): Promise<ChildServer> {
  await mkdir(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${options.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise((resolve) => log.once('open', resolve));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const started = performance.now();
  const child = spawn(process.execPath, options.nodeArgs, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', log, log],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => {
    running.delete(child);
    log.end();
  });
  const origin = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + options.timeoutMs;
  let startupMs: number | undefined;
  while (startupMs === undefined) {
    if (child.exitCode !== null)
      throw new Error(
        `${options.name} exited with ${child.exitCode} before it was ready:\n${await tail(logFile)}`,
      );
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${options.name} was not ready within ${options.timeoutMs} ms:\n${await tail(logFile)}`,
      );
    }
    try {
      const response = await fetch(`${origin}${options.readyPath}`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) startupMs = performance.now() - started;
    } catch {
      /* not listening yet */
    }
    if (startupMs === undefined) await new Promise((r) => setTimeout(r, 25));
  }
  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    origin,
    startupMs,
    logFile,
    memory: () => readStatusMb(pid),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples a child's resident memory while load runs; `stop` gives the largest value seen. */
export function sampleRss(child: ChildServer, intervalMs = 200): { stop(): Promise<number> } {
  let peak = 0;
  const sample = () =>
    child
      .memory()
      .then((m) => {
        peak = Math.max(peak, m.rssMb);
      })
      .catch(() => {});
  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await sample();
      return peak;
    },
  };
}
