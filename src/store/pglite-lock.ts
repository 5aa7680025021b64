import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * One process at a time on a PGlite data directory. PGlite is PostgreSQL inside this process:
 * a second process opening the same directory works on its own copy in memory and the two
 * overwrite each other's files, so writes made by one are lost. The process that opens a
 * directory writes its pid into `<dir>/pglite.lock`; another process finding that file with
 * a live pid stops with DatabaseLockedError; a lock left by a process that died is taken over.
 */
export const LOCK_FILE = 'pglite.lock';

export class DatabaseLockedError extends Error {}

interface LockRecord {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const held = new Map<string, () => void>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecord(file: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, host: String(parsed.host ?? ''), command: String(parsed.command ?? 'a process'), since: String(parsed.since ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

function lockedMessage(dir: string, record: LockRecord, file: string): string {
  const where = record.host === hostname() ? `process ${record.pid}` : `process ${record.pid} on host ${record.host}`;
  return [
    `The embedded database in ${dir} is in use by ${where} (${record.command}, since ${record.since}).`,
    'PGlite takes one process at a time: a second one would lose its writes.',
    'Stop that process first, or send the work to the running server over HTTP',
    '(npm run load -- <file> --url <its FHIR base URL> --token <token>), or use PostgreSQL (DATABASE_URL), which any number of processes share.',
    `If that process is gone for certain (another host shares the directory), delete ${file}.`,
  ].join('\n');
}

/**
 * Takes the lock of a data directory (creating the directory), or throws DatabaseLockedError
 * naming the process that holds it. Returns the function that releases it; the lock is also
 * released when the process exits.
 */
export function lockDataDirectory(dir: string): () => void {
  const absolute = path.resolve(dir);
  const file = path.join(absolute, LOCK_FILE);
  if (held.has(absolute)) {
    const record = readRecord(file) ?? { pid: process.pid, host: hostname(), command: 'this process', since: '' };
    throw new DatabaseLockedError(lockedMessage(dir, record, file));
  }
  mkdirSync(absolute, { recursive: true });
  const record: LockRecord = { pid: process.pid, host: hostname(), command: process.argv.slice(1).map((a) => path.basename(a)).join(' ') || 'node', since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, JSON.stringify(record));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = readRecord(file);
      const stale = holder !== undefined && holder.host === hostname() && (holder.pid === process.pid || !alive(holder.pid));
      // A file without a readable record is one being written this instant by another process.
      if (!stale) throw new DatabaseLockedError(lockedMessage(dir, holder ?? { pid: 0, host: '?', command: 'another process', since: 'just now' }, file));
      unlinkSync(file);
    }
  }
  const release = () => {
    if (!held.has(absolute)) return;
    held.delete(absolute);
    process.off('exit', release);
    if (readRecord(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  };
  held.set(absolute, release);
  process.on('exit', release);
  return release;
}
