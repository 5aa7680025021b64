import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, runCommand, spawnServer } from '../../support/child-server';

/**
 * The Docker image's file layout, built as the Dockerfile's final stage says (its COPY lines,
 * `npm run build`'s dist/, production dependencies only): the commands the README documents run
 * there under the same npm script names, and the image's CMD serves /readyz. There is no
 * container engine here; this is the image's content without the container.
 */
const exec = promisify(execFile);
let app: string;

/** The final stage of the Dockerfile: its COPY lines (from the build context, to their destination in the image) and its CMD. */
async function finalStage(): Promise<{ copies: { from: string; to: string }[]; cmd: string[] }> {
  const text = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const stages = text.split(/^FROM /m);
  const last = stages[stages.length - 1];
  const copies: { from: string; to: string }[] = [];
  for (const line of last.split('\n')) {
    const m = /^COPY\s+(?!--from)(.+)$/.exec(line.trim());
    if (!m) continue;
    const words = m[1].split(/\s+/);
    const sources = words.slice(0, -1);
    const destination = words[words.length - 1];
    // COPY's rule: into the folder when the destination ends with / (or several sources), else to that path.
    const intoFolder = destination.endsWith('/') || sources.length > 1;
    for (const from of sources) copies.push({ from, to: intoFolder ? path.join(destination, path.basename(from)) : destination });
  }
  const cmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(last)![1]) as string[];
  return { copies, cmd };
}

beforeAll(async () => {
  app = await mkdtemp(path.join(os.tmpdir(), 'image-layout-'));
  const { copies } = await finalStage();
  for (const { from, to } of copies) await cp(path.join(ROOT, from), path.join(app, to), { recursive: true });
  // COPY --from=build /app/dist ./dist: the build stage runs `npm run build` (tsconfig.build.json).
  await exec(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(app, 'dist')], { cwd: ROOT });
  await exec('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app });
}, 600_000);

afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

/** npm as `npm test` runs it (npm_execpath), or the one installed beside node. */
const NPM_CLI = process.env.npm_execpath ?? path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const npm = (args: string[]) => runCommand([NPM_CLI, ...args], { NODE_ENV: 'production' }, app);

test('the layout has no src/, no tsx and no dev dependencies', async () => {
  const { stdout } = await exec('ls', [app]);
  expect(stdout.split('\n')).not.toContain('src');
  await expect(readFile(path.join(app, 'node_modules', 'tsx', 'package.json'))).rejects.toThrow();
});

test.each([
  ['client', /register --id <client_id>/],
  ['load', /--replace-local-edits/],
  ['reindex', /npm run reindex -- \[ResourceType\]/],
])('npm run %s -- --help runs from dist/', async (script, usage) => {
  const result = await npm(['run', '-s', script, '--', '--help']);
  expect(result.output).toMatch(usage);
  expect(result.code).toBe(0);
});

test("the image's CMD starts the server from dist/ and /readyz answers ready", async () => {
  const { cmd } = await finalStage();
  expect(cmd[0]).toBe('node');
  const server = spawnServer({ args: cmd.slice(1), cwd: app, env: { DATABASE_URL: '', PGLITE_DIR: 'memory://', LOAD_CONTENT: 'false', NODE_ENV: 'production' } });
  try {
    const port = await server.listening(120_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'pglite' });
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
