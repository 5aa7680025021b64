// node bench/first-start.mjs [runs]
// `npm start` on a fresh embedded database (a new PGLITE_DIR each run, the library loaded), as a
// first start after cloning does: the time from the command to "server listening", the time of
// each start-up step (from the server's own progress lines), and the server's RSS two seconds
// after it listens. Pass --cold to also delete .cache (the compiled bundle and the parsed FHIR
// definitions), as in a fresh clone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
const cold = process.argv.includes('--cold');

function once() {
  if (cold) rmSync(path.join(root, '.cache'), { recursive: true, force: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'first-start-'));
  const started = Date.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', PGLITE_DIR: path.join(dir, 'data'), LOG_LEVEL: 'info' },
    detached: true,
  });
  const steps = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    const onLine = (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (/^loading the library \d/.test(entry.msg) || steps.at(-1)?.msg === 'server listening') return;
      steps.push({ at: entry.time - started, msg: entry.msg });
      if (entry.msg !== 'server listening') return;
      setTimeout(() => {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry.pid}/status`, 'utf8'))[1]) / 1024;
        process.kill(-child.pid, 'SIGTERM');
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve({ listeningMs: entry.time - started, rssMb: Math.round(rss), steps });
        });
      }, 2000);
    };
    const onData = (data) => {
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      lines.forEach(onLine);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => code !== 0 && code !== null && reject(new Error(`npm start exited ${code}`)));
  });
}

const results = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  process.stdout.write(`run ${i + 1}: listening after ${r.listeningMs} ms, RSS ${r.rssMb} MB\n`);
  let previous = 0;
  for (const s of r.steps) {
    process.stdout.write(`  +${String(s.at - previous).padStart(6)} ms  ${s.msg}\n`);
    previous = s.at;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(
  `median of ${runs}: listening after ${median(results.map((r) => r.listeningMs))} ms, RSS ${median(results.map((r) => r.rssMb))} MB (load average ${os.loadavg()[0].toFixed(1)}, ${os.cpus().length} CPUs)\n`,
);
