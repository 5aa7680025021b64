import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnServer, type ChildServer } from '../../support/child-server';

/**
 * Every ```sh block of README.md and docs/*.md runs as written, in order, in one shell (but
 * those about installing, starting, testing and benchmarking), against a server started as `npm start` starts it (default settings: AUTH on, the
 * embedded database, the library loaded). The token the examples use is obtained as the README
 * says: the blocks that register a client run before the server starts (the embedded database
 * takes one process at a time), the others after. Every HTTP answer must be a success, or a 4xx
 * that a comment of its block announces; no curl may fail to connect.
 */
interface Block {
  file: string;
  index: number;
  text: string;
}

async function sources(): Promise<string[]> {
  const docs = (await readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).sort();
  return ['README.md', ...docs.map((f) => path.join('docs', f))];
}

async function shellBlocks(): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const file of await sources()) {
    const markdown = await readFile(path.join(ROOT, file), 'utf8');
    let index = 0;
    for (const m of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) blocks.push({ file, index: index++, text: m[1] });
  }
  return blocks;
}

const registers = (b: Block) => /npm run client -- register/.test(b.text);
const callsCurl = (b: Block) => /(^|[\s($|])curl /m.test(b.text);
const label = (b: Block) => `${b.file} block ${b.index + 1}`;
/** Blocks about installing, starting, testing or benchmarking: shown, not run here. */
const aboutTheRepository = (b: Block) => /\bnpm (start|ci|test)\b|npm run (bench|lint|build|format)|\bdocker\b|\.ci\/run|\bnpx\b|\bgit\b/.test(b.text);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs blocks in one bash; each curl reports its status on stderr, after a line naming its block. */
function runShell(blocks: Block[], port: number, cwd: string, env: Record<string, string>): Promise<string> {
  const script = [
    `curl() { command curl -w '%{stderr}@@status %{http_code}\\n' "$@"; }`,
    ...blocks.map((b) => `echo '@@block ${label(b)}' >&2\n${b.text.replaceAll('localhost:8080', `localhost:${port}`)}`),
  ].join('\n');
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (_error, _stdout, stderr) => resolve(stderr));
  });
}

/** block label -> the statuses of its curls, in order. */
function statuses(stderr: string): Map<string, number[]> {
  const byBlock = new Map<string, number[]>();
  let current = '';
  for (const line of stderr.split('\n')) {
    const block = /^@@block (.+)$/.exec(line);
    if (block) byBlock.set((current = block[1]), []);
    const status = /@@status (\d{3})/.exec(line);
    if (status) byBlock.get(current)?.push(Number(status[1]));
  }
  return byBlock;
}

let blocks: Block[];
let results: Map<string, number[]>;
let output = '';
let work: string;
let server: ChildServer | undefined;

beforeAll(async () => {
  blocks = await shellBlocks();
  work = await mkdtemp(path.join(os.tmpdir(), 'doc-examples-'));
  // The repository as a user has it, the files the examples write (keys, JSON) in a scratch directory.
  for (const entry of ['package.json', 'node_modules', 'scripts', 'src', 'tsconfig.json', 'profiles', 'content', 'sql']) {
    await symlink(path.join(ROOT, entry), path.join(work, entry));
  }
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '', PGLITE_DIR: path.join(work, 'data'), LOG_LEVEL: 'warn', AUTH: 'on' };
  output += await runShell(blocks.filter((b) => registers(b) && !aboutTheRepository(b)), port, work, env);
  const start = /^node (.*) scripts\/start\.mjs$/.exec(JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).scripts.start as string)!;
  server = spawnServer({ args: [...start[1].split(' '), 'scripts/start.mjs'], cwd: work, env: { ...env, LOG_LEVEL: 'info' } });
  await server.listening(180_000);
  output += await runShell(blocks.filter((b) => !aboutTheRepository(b) && !registers(b)), port, work, env);
  results = statuses(output);
  if (process.env.DOC_EXAMPLES_LOG) await writeFile(process.env.DOC_EXAMPLES_LOG, output);
}, 600_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await rm(work, { recursive: true, force: true });
});

test('README and docs have runnable curl examples, and a block that gets a token', async () => {
  const all = await shellBlocks();
  expect(all.filter(callsCurl).length).toBeGreaterThan(10);
  expect(all.some(registers)).toBe(true);
});

test('every curl example answers a success or the 4xx its comment announces', () => {
  const failures: string[] = [];
  for (const block of blocks.filter((b) => callsCurl(b) && !aboutTheRepository(b))) {
    const got = results.get(label(block)) ?? [];
    const announced = new Set([...block.text.matchAll(/#[^\n]*\b(4\d\d)\b/g)].map((m) => Number(m[1])));
    const curls = block.text.split('\n').filter((l) => /(^|[\s($|])curl /.test(l) && !l.trim().startsWith('#')).length;
    if (got.length < curls) failures.push(`${label(block)}: ${curls} curl lines, ${got.length} answers`);
    for (const status of got) {
      if (status >= 200 && status < 400) continue;
      if (status >= 400 && status < 500 && announced.has(status)) continue;
      failures.push(`${label(block)}: status ${status}\n${block.text}`);
    }
  }
  expect({ failures, log: failures.length > 0 ? output.slice(-4000) : '' }).toEqual({ failures: [], log: '' });
});
