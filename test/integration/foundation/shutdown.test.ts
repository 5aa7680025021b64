import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

test('SIGTERM: the process finishes in-flight requests, closes the database and exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PGLITE_DIR: 'memory://', LOAD_CONTENT: 'false', AUTH: 'off', LOG_LEVEL: 'info', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const m = /"port":(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // A transaction big enough to be still running when the signal arrives.
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: Array.from({ length: 400 }, (_, i) => ({
      resource: { resourceType: 'Patient', name: [{ family: `Inflight${i}` }] },
      request: { method: 'POST', url: 'Patient' },
    })),
  };
  const inFlight = fetch(`http://127.0.0.1:${port}/fhir`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(bundle),
  });
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGTERM');
  const response = await inFlight;
  expect(response.status).toBe(200);
  const body = (await response.json()) as { entry: unknown[] };
  expect(body.entry).toHaveLength(400);
  expect(await exit).toBe(0);
  expect(output).toContain('shutting down');
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});
