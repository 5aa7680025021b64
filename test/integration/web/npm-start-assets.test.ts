import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm start` (scripts/start.mjs) runs a bundle of src/ from .cache/: the patient pages' style
 * sheets and scripts must be served by that server too, not only by the sources and the image.
 */
const ROOT = join(__dirname, '..', '..', '..');
let child: ChildProcess | undefined;
let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
});
afterAll(() => {
  child?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const port = /"port":(\d+)[^\n]*"msg":"server listening"/.exec(out)?.[1];
      if (port) resolve(Number(port));
    });
    server.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening:\n${out}`)));
  });
}

test('the server that npm start runs serves the patient pages\' assets', async () => {
  child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', PGLITE_DIR: dataDir, PORT: '0', AUTH: 'off', LOAD_CONTENT: 'false', BASE_URL: 'http://localhost:8080/fhir', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await listeningPort(child);
  for (const [asset, type] of [['patient.css', 'text/css'], ['questionnaire.js', 'javascript']]) {
    const res = await fetch(`http://127.0.0.1:${port}/patient-assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(type);
  }
}, 120_000);
