import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Creates a PGlite data directory in a short-lived child process (docs/decisions/pglite-first-start.md).
 * PGlite's initdb runs in WebAssembly memory that the process never gives back: created in the
 * server's own process, it left the server about 130 MB larger than every later start. The child
 * creates the database in `<dir>/.creating-<pid>` and exits; its files then move into `<dir>`,
 * PG_VERSION last, so a directory with PG_VERSION is always a complete database, and a start
 * stopped halfway (SIGTERM, a crash) leaves nothing the next start trips over.
 */
const CHILD_SCRIPT = `
const { PGlite } = require(process.env.PGLITE_MODULE);
(async () => {
  const pglite = new PGlite(process.env.PGLITE_CREATE_DIR);
  await pglite.waitReady;
  const mb = Number(process.env.PGLITE_SHARED_BUFFERS_MB);
  if (mb > 0) await pglite.exec("alter system set shared_buffers = '" + Math.floor(mb) + "MB'");
  await pglite.close();
})().catch((error) => {
  process.stderr.write(String(error && error.message || error));
  process.exit(1);
});
`;

export function isPGliteDirectory(dir: string): boolean {
  return existsSync(path.join(dir, 'PG_VERSION'));
}

export async function createPGliteDirectory(dir: string, sharedBuffersMb: number): Promise<void> {
  const temp = path.join(dir, `.creating-${process.pid}`);
  // Left by a creation that was stopped (this process holds the directory's lock: no other is running).
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.creating-')) await rm(path.join(dir, entry), { recursive: true, force: true });
  }
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT],
      {
        env: { ...process.env, PGLITE_MODULE: require.resolve('@electric-sql/pglite'), PGLITE_CREATE_DIR: temp, PGLITE_SHARED_BUFFERS_MB: String(sharedBuffersMb) },
        maxBuffer: 1024 * 1024,
      },
      (error, _stdout, stderr) => {
        process.off('exit', stop);
        if (error) reject(new Error(`creating the embedded database in ${dir} failed: ${stderr.trim() || error.message}`));
        else resolve();
      },
    );
    // The child goes when this process goes (SIGTERM during start-up exits at once).
    const stop = () => child.kill('SIGKILL');
    process.on('exit', stop);
  });
  const entries = (await readdir(temp)).sort((a, b) => Number(a === 'PG_VERSION') - Number(b === 'PG_VERSION'));
  for (const entry of entries) {
    // Left by a creation that stopped halfway (there is no PG_VERSION yet): only names PGlite wrote.
    await rm(path.join(dir, entry), { recursive: true, force: true });
    await rename(path.join(temp, entry), path.join(dir, entry));
  }
  await rm(temp, { recursive: true, force: true });
}
