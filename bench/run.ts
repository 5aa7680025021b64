/**
 * The benchmark suite (`npm run bench -- [options]`; `--help` lists them).
 *
 * Per engine and size: generate the library (cached under bench/.data), create a fresh
 * database, start our server as a child process, ingest over HTTP, restart it to time the
 * start-up with the library loaded, start the floor (bench/floor-server.ts) on the same
 * database, then run every query at every connection count on both, alternating. Databases,
 * temporary directories and child processes are removed at the end, also on Ctrl-C.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  parseSize,
  planLibrary,
  writeLibraryFiles,
  writeNdjsonFile,
  type LibraryPlan,
} from './generate-library';
import { ingest } from './ingest';
import { runLoad, type LoadResult } from './load';
import {
  createDatabase,
  databaseComment,
  databaseSizeMb,
  databaseUrl,
  dropDatabase,
  postgresSettings,
  postgresVersion,
  queryDatabase,
  DATABASE_PREFIX,
} from './postgres-admin';
import {
  cpuSeconds,
  freePort,
  killAllChildren,
  LOG_DIR,
  REPO_ROOT,
  sampleRss,
  startChild,
  startScriptNodeArgs,
  type ChildServer,
} from './processes';
import { benchmarkQueries, summarize, type PageWalk, type QueryDefinition } from './queries';
const DEFAULT_SOCKET_DIR = '/var/run/postgresql';

import { machineInfo, renderReport, type RunReport, type SizeRun } from './report';

interface Options {
  sizes: number[];
  engines: ('postgres' | 'pglite')[];
  pgliteSizes: number[];
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  queries: string[] | undefined;
  seed: string;
  patientShare: number;
  postgresUrl: string;
  poolSize: number;
  ingestConcurrency: number;
  logLevel: string;
  cpuProf: boolean;
  loadCommand: boolean;
  write: boolean;
  keepDatabase: boolean;
  reuseDatabase: boolean;
  /** LIBRARY_CACHE of our server; with both, the library queries run on a second server with the other. */
  libraryCache: ('on' | 'off')[];
}

const HELP = `npm run bench -- [options]
  --quick                 10k only, 5 s per query after 2 s warm-up (about 12 minutes)
  --sizes 10k,100k,1m     library sizes on PostgreSQL (default 10k,100k,1m)
  --engines postgres,pglite
  --pglite-sizes 10k      sizes run on PGlite (default 10k)
  --duration 20           measured seconds per query and connection count
  --warmup 5              warm-up seconds before each measurement
  --connections 1,8,32
  --queries read,procedure,...  only these, or none (keys: read library-read procedure procedure-type include content tasks-page-1 tasks-page-20 count cds-order-select cds-order-sign
                          infobutton-json infobutton-atom translate)
  --library-cache on      LIBRARY_CACHE of our server: on, off, or on,off (the library-only queries,
                          library-read and procedure, also on a second server with the other)
  --seed bench  --patient-share 0.8
  --postgres-url URL      admin URL of the machine's PostgreSQL (default: its Unix socket
                          ${DEFAULT_SOCKET_DIR} when present, else 127.0.0.1:5432); the server
                          and the floor connect the same way
  --keep-database         keep each PostgreSQL database (bench_kept_<size>_...) after the run
  --reuse-database        reuse a kept database of the same library instead of ingesting it
                          again (ingest is then not measured; implies --keep-database)
  --pool-size 10          DATABASE_POOL_SIZE of the server and the floor
  --ingest-concurrency 2  transaction Bundles in flight during ingest
  --log-level warn        LOG_LEVEL of the server (info logs every request)
  --cpu-prof              run the query phase of the server under --cpu-prof (bench/.data/profiles)
  --no-load-command       skip timing \`npm run load\` (its own fresh database per size: about 7 minutes at 1M)
  --no-write              print the results only (no bench/results/<date>.md)`;

function parseOptions(argv: string[]): Options {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${HELP}`);
    const name = a.slice(2);
    if (
      [
        'quick',
        'cpu-prof',
        'no-write',
        'no-load-command',
        'help',
        'keep-database',
        'reuse-database',
      ].includes(name)
    )
      flags.add(name);
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      args.set(name, value);
    }
  }
  if (flags.has('help')) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const list = (name: string, fallback: string) =>
    (args.get(name) ?? fallback)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const quick = flags.has('quick');
  const engines = list('engines', 'postgres,pglite');
  for (const e of engines) if (e !== 'postgres' && e !== 'pglite') throw new Error(`unknown engine ${e}`);
  const options: Options = {
    sizes: list('sizes', quick ? '10k' : '10k,100k,1m').map(parseSize),
    engines: engines as Options['engines'],
    pgliteSizes: list('pglite-sizes', '10k').map(parseSize),
    durationSeconds: Number(args.get('duration') ?? (quick ? 5 : 20)),
    warmupSeconds: Number(args.get('warmup') ?? (quick ? 2 : 5)),
    connections: list('connections', '1,8,32').map(Number),
    queries: args.has('queries') ? list('queries', '').filter((q) => q !== 'none') : undefined,
    seed: args.get('seed') ?? 'bench',
    patientShare: Number(args.get('patient-share') ?? '0.8'),
    postgresUrl: args.get('postgres-url') ?? defaultPostgresUrl(),
    poolSize: Number(args.get('pool-size') ?? '10'),
    ingestConcurrency: Number(args.get('ingest-concurrency') ?? '2'),
    logLevel: args.get('log-level') ?? 'warn',
    cpuProf: flags.has('cpu-prof'),
    loadCommand: !flags.has('no-load-command'),
    write: !flags.has('no-write'),
    keepDatabase: flags.has('keep-database') || flags.has('reuse-database'),
    reuseDatabase: flags.has('reuse-database'),
    libraryCache: list('library-cache', 'on') as Options['libraryCache'],
  };
  if (options.libraryCache.length === 0 || options.libraryCache.some((m) => m !== 'on' && m !== 'off') || new Set(options.libraryCache).size < options.libraryCache.length)
    throw new Error('--library-cache takes on, off, or on,off');
  if (quick && args.has('sizes')) throw new Error('--quick runs 10k only; leave out --sizes');
  return options;
}

/**
 * The machine's PostgreSQL through its Unix socket when there is one: on this kind of machine
 * a round trip over the socket costs about 0.4 ms against 0.6 ms over loopback TCP, and a 2 MB
 * parameter 19 ms against 33 ms (bench/README of docs/benchmarks.md, "Connection").
 */
function defaultPostgresUrl(): string {
  return existsSync(path.join(DEFAULT_SOCKET_DIR, '.s.PGSQL.5432'))
    ? `postgres://postgres@localhost/postgres?host=${DEFAULT_SOCKET_DIR}`
    : 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** What a kept database holds, written as its comment once ingest has finished. */
function keptSignature(plan: LibraryPlan): string {
  return `bench library ${JSON.stringify(plan)} ingested completely`;
}

const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// --- cleanup ------------------------------------------------------------------------------

const createdDatabases = new Set<string>();
const createdDirs = new Set<string>();

async function cleanup(adminUrl: string): Promise<void> {
  killAllChildren();
  for (const name of createdDatabases) {
    try {
      await dropDatabase(adminUrl, name);
    } catch (error) {
      log(`could not drop database ${name}: ${String(error)}`);
    }
  }
  createdDatabases.clear();
  for (const dir of createdDirs) await rm(dir, { recursive: true, force: true });
  createdDirs.clear();
}

// --- our server ---------------------------------------------------------------------------

interface ServerEnv {
  databaseUrl?: string;
  pgliteDir?: string;
}

async function startOurServer(
  name: string,
  options: Options,
  env: ServerEnv,
  cpuProf = false,
  libraryCache: 'on' | 'off' = 'on',
): Promise<ChildServer> {
  const port = await freePort();
  const profileArgs = cpuProf
    ? ['--cpu-prof', '--cpu-prof-dir', path.join(__dirname, '.data', 'profiles')]
    : [];
  return startChild({
    name,
    nodeArgs: [...profileArgs, ...(await startScriptNodeArgs())],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: `http://127.0.0.1:${port}/fhir`,
      AUTH: 'off',
      LOG_LEVEL: options.logLevel,
      DATABASE_URL: env.databaseUrl,
      PGLITE_DIR: env.pgliteDir,
      DATABASE_POOL_SIZE: String(options.poolSize),
      RATE_LIMIT_PER_MINUTE: '0',
      LOAD_CONTENT: 'true',
      LIBRARY_CACHE: libraryCache === 'on' ? 'true' : 'false',
    },
    port,
    readyPath: '/readyz',
    timeoutMs: 300_000,
  });
}

async function startFloor(options: Options, databaseUrl: string): Promise<ChildServer> {
  const port = await freePort();
  return startChild({
    name: 'floor',
    nodeArgs: ['--import', 'tsx', 'bench/floor-server.ts'],
    env: {
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(options.poolSize),
      BASE_URL: `http://127.0.0.1:${port}/fhir`,
    },
    port,
    readyPath: '/healthz',
    timeoutMs: 60_000,
  });
}

/** The other developers' load command, when it is in the tree: timed on its own fresh database. */
async function measureLoadCommand(options: Options, plan: LibraryPlan): Promise<SizeRun['loadCommand']> {
  if (!existsSync(path.join(REPO_ROOT, 'src', 'cli', 'load-command.ts'))) return { status: 'absent' };
  const ndjson = await writeNdjsonFile(
    plan,
    path.join(REPO_ROOT, 'profiles', 'SearchParameter-procedure.json'),
  );
  const name = `${DATABASE_PREFIX}load_${plan.label}_${process.pid}`;
  createdDatabases.add(name);
  const url = await createDatabase(options.postgresUrl, name);
  try {
    const started = performance.now();
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/load-command.ts', ndjson], {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // Only the end is kept: what the command said when it failed.
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-400)));
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(120_000, plan.total * 10));
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0 && code !== 1) {
      // 1 = some resources rejected (counted below); anything else: the command itself failed.
      return { status: 'failed', seconds, detail: `exit code ${code}: ${stderr.trim().split('\n').slice(-2).join(' ') || 'no message'}` };
    }
    const [row] = await queryDatabase<{ n: string }>(
      url,
      "select count(*) as n from resource where resource_type <> 'SearchParameter'",
    );
    const loaded = Number(row.n);
    if (code !== 0 || loaded < plan.total) {
      return {
        status: 'failed',
        seconds,
        detail: `exit code ${code}, ${loaded} of ${plan.total} resources stored`,
      };
    }
    return { status: 'ok', seconds, perSecond: loaded / seconds };
  } finally {
    await dropDatabase(options.postgresUrl, name);
    createdDatabases.delete(name);
  }
}

// --- queries ------------------------------------------------------------------------------

const cpuText = (r: LoadResult) => (r.cpuMsPerRequest === undefined ? '?' : `${r.cpuMsPerRequest.toFixed(3)} ms/req`);

async function measure(
  server: ChildServer,
  paths: string[],
  connections: number,
  options: Options,
  rss?: { peak: number },
  bodies?: string[],
): Promise<LoadResult> {
  await runLoad({ origin: server.origin, paths, bodies, connections, durationSeconds: options.warmupSeconds });
  const sampler = rss ? sampleRss(server) : undefined;
  const cpuBefore = await cpuSeconds(server.pid);
  const result = await runLoad({
    origin: server.origin,
    paths,
    bodies,
    connections,
    durationSeconds: options.durationSeconds,
  });
  const cpuUsed = (await cpuSeconds(server.pid)) - cpuBefore;
  if (sampler && rss) rss.peak = Math.max(rss.peak, await sampler.stop());
  return { ...result, cpuMsPerRequest: result.requests > 0 ? (cpuUsed * 1000) / result.requests : undefined };
}

/** Same request, same work: the number of matches, includes and the total must agree. */
async function compareAnswers(
  query: QueryDefinition,
  ours: ChildServer,
  oursPaths: string[],
  floor: ChildServer | undefined,
  floorPaths: string[],
): Promise<string[]> {
  const problems: string[] = [];
  if (query.bodies !== undefined) return checkCdsAnswers(query, ours, oursPaths);
  if (query.notSearch) {
    for (const path of oursPaths) {
      const response = await fetch(`${ours.origin}${path}`);
      await response.arrayBuffer();
      if (response.status !== 200) problems.push(`${query.key}: our server answered ${response.status} to ${path}`);
    }
    return problems;
  }
  for (let i = 0; i < Math.min(3, oursPaths.length); i++) {
    const a = await summarize(ours, oursPaths[i]);
    if (a.status !== 200) problems.push(`${query.key}: our server answered ${a.status} to ${oursPaths[i]}`);
    if (query.key !== 'read' && a.resourceType === 'Bundle' && a.matches === 0 && a.total === undefined)
      problems.push(`${query.key}: no match for ${oursPaths[i]}`);
    if (query.key === 'include' && a.includes === 0)
      problems.push(`${query.key}: nothing included for ${oursPaths[i]}`);
    if (floor && floorPaths[i] !== undefined) {
      const b = await summarize(floor, floorPaths[i]);
      if (
        b.status !== 200 ||
        a.matches !== b.matches ||
        a.includes !== b.includes ||
        (a.total !== undefined && b.total !== undefined && a.total !== b.total)
      ) {
        problems.push(
          `${query.key}: ours ${JSON.stringify(a)} but floor ${JSON.stringify(b)} for ${oursPaths[i]}`,
        );
      }
    }
  }
  return problems;
}

/** Requests each distinct path once, 8 at a time: the library cache then holds every answer the query asks for. */
async function askEachOnce(server: ChildServer, paths: string[]): Promise<void> {
  const distinct = [...new Set(paths)];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < distinct.length) {
        const response = await fetch(`${server.origin}${distinct[next++]}`, { headers: { accept: 'application/fhir+json' } });
        await response.arrayBuffer();
      }
    }),
  );
}

/** With the cache on, a library request asked twice is a hit the second time; with it off, never one. */
async function checkLibraryCache(query: QueryDefinition, server: ChildServer, path: string, mode: 'on' | 'off'): Promise<string[]> {
  let state: string | null = null;
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${server.origin}${path}`, { headers: { accept: 'application/fhir+json' } });
    await response.arrayBuffer();
    state = response.headers.get('x-library-cache');
  }
  const expected = mode === 'on' ? 'hit' : null;
  return state === expected ? [] : [`${query.key}: X-Library-Cache ${state ?? 'absent'} with LIBRARY_CACHE ${mode} for ${path}`];
}

/** A CDS Hooks call answers 200 and one card (each body holds one procedure order with education). */
async function checkCdsAnswers(query: QueryDefinition, ours: ChildServer, oursPaths: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < Math.min(3, oursPaths.length); i++) {
    const response = await fetch(`${ours.origin}${oursPaths[i]}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query.bodies![i] });
    const body = (await response.json()) as { cards?: unknown[] };
    if (response.status !== 200 || body.cards?.length !== 1) problems.push(`${query.key}: ${response.status} with ${body.cards?.length ?? 0} card(s) for body ${i}`);
  }
  return problems;
}

/** Our server answering the library queries with the other LIBRARY_CACHE (--library-cache on,off). */
interface SecondServer {
  mode: 'on' | 'off';
  server: ChildServer;
}

async function runQueries(
  plan: LibraryPlan,
  options: Options,
  ours: ChildServer,
  floor: ChildServer | undefined,
  run: SizeRun,
  second: SecondServer | undefined,
): Promise<void> {
  const walks = new Map<string, PageWalk>();
  const queries = benchmarkQueries(plan, walks).filter(
    (q) => options.queries === undefined || options.queries.includes(q.key),
  );
  const rss = { peak: 0 };
  const floorRss = { peak: 0 };
  for (const query of queries) {
    const oursPaths = await query.paths(ours);
    const floorPaths = floor ? (query.floorPaths ?? (await query.paths(floor))) : [];
    if (oursPaths.length === 0 || (floor !== undefined && floorPaths.length === 0)) {
      const depth = (origin: string) => walks.get(origin)?.minDepth ?? 'unknown';
      const problem = `${query.key}: not measured; following next links ended at page ${depth(ours.origin)} on our server${floor ? `, page ${depth(floor.origin)} on the floor` : ''} (the queues hold enough requested Tasks for 20 pages of 50)`;
      log(`  check: ${problem}`);
      run.checks.push(problem);
      continue;
    }
    const servers: { mode: 'on' | 'off'; server: ChildServer }[] = [{ mode: options.libraryCache[0], server: ours }];
    if (query.library && second !== undefined) servers.push(second);
    const problems = await compareAnswers(query, ours, oursPaths, floor, floorPaths);
    if (query.library) for (const s of servers) problems.push(...(await checkLibraryCache(query, s.server, oursPaths[0], s.mode)));
    for (const p of problems) log(`  check: ${p}`);
    run.checks.push(...problems);
    // Steady state of the library cache: every path asked once before the warm-up (with the cache off, more warm-up).
    if (query.library) for (const s of servers) await askEachOnce(s.server, oursPaths);
    for (const connections of options.connections) {
      const loadAverage = os.loadavg()[0];
      const oursResult = await measure(ours, oursPaths, connections, options, rss, query.bodies);
      const floorResult = floor
        ? await measure(floor, floorPaths, connections, options, floorRss)
        : undefined;
      const results = [oursResult];
      // The other cache setting right after, against the same floor figure.
      if (servers.length > 1) results.push(await measure(servers[1].server, oursPaths, connections, options));
      for (const [who, r] of [
        ['our server', oursResult],
        ['the floor', floorResult],
        ...(results.length > 1 ? ([[`our server with the library cache ${servers[1].mode}`, results[1]]] as const) : []),
      ] as const) {
        if (r !== undefined && r.requests === 0) {
          run.checks.push(
            `${query.key} at ${connections}: no request to ${who} completed within the ${options.durationSeconds} s window`,
          );
        }
      }
      results.forEach((result, i) => {
        const libraryCache = query.library ? servers[i].mode : undefined;
        run.queries.push({
          key: query.key,
          label: libraryCache === undefined ? query.label : `${query.label}, library cache ${libraryCache}`,
          connections,
          ours: result,
          floor: floorResult,
          loadAverage,
          libraryCache,
        });
        log(
          `  ${query.key}${libraryCache === undefined ? '' : ` (cache ${libraryCache})`} @${connections}: ${Math.round(result.rps)} req/s p50 ${result.p50.toFixed(2)} p99 ${result.p99.toFixed(2)} ms cpu ${cpuText(result)}` +
            (floorResult
              ? ` | floor ${Math.round(floorResult.rps)} req/s p50 ${floorResult.p50.toFixed(2)} ms cpu ${cpuText(floorResult)} | ratio ${(result.rps / floorResult.rps).toFixed(2)}`
              : '') +
            (result.failures + (floorResult?.failures ?? 0) > 0
              ? ` | FAILURES ${result.failures}/${floorResult?.failures ?? 0}`
              : ''),
        );
      });
    }
  }
  run.walks = { ours: walks.get(ours.origin), floor: floor ? walks.get(floor.origin) : undefined };
  run.queryPeakRssMb = rss.peak;
  run.serverHwmMb = (await ours.memory()).hwmMb;
  run.floorPeakRssMb = floor ? floorRss.peak : undefined;
}

// --- one engine and size --------------------------------------------------------------------

/** Waits (at most `maxSeconds`) until the machine is quiet: other work on it skews every figure. */
async function waitForQuietMachine(maxSeconds: number): Promise<void> {
  const cores = os.cpus().length;
  const deadline = Date.now() + maxSeconds * 1000;
  let told = false;
  while (os.loadavg()[0] > cores * 0.75 && Date.now() < deadline) {
    if (!told)
      log(
        `  the machine is busy (1-minute load ${os.loadavg()[0].toFixed(1)} on ${cores} cores); waiting up to ${maxSeconds} s`,
      );
    told = true;
    await new Promise((r) => setTimeout(r, 5000));
  }
}

async function runSize(engine: 'postgres' | 'pglite', total: number, options: Options): Promise<SizeRun> {
  await waitForQuietMachine(120);
  const started = Date.now();
  const plan = planLibrary({ total, seed: options.seed, patientShare: options.patientShare });
  log(
    `${engine} ${plan.label}: generating ${plan.total.toLocaleString('en-US')} resources (${JSON.stringify(plan.counts)})`,
  );
  const library = await writeLibraryFiles(plan, log);
  const run: SizeRun = {
    engine,
    plan,
    bundles: library.files.length,
    bundleMb: library.bytes / 1e6,
    databaseMb: undefined,
    ingest: {
      resources: 0,
      seconds: 0,
      perSecond: 0,
      concurrency: options.ingestConcurrency,
      peakRssMb: 0,
      failures: 0,
    },
    loadCommand: { status: 'absent' },
    startup: { freshMs: NaN, loadedMs: NaN },
    walks: { ours: undefined, floor: undefined },
    checks: [],
    queries: [],
    queryPeakRssMb: NaN,
    serverHwmMb: NaN,
    floorPeakRssMb: undefined,
    minutes: 0,
  };
  const dbName = options.keepDatabase
    ? `${DATABASE_PREFIX}kept_${plan.label}_${plan.seed.replace(/[^a-z0-9]/g, '')}_${Math.round(plan.patientShare * 100)}`
    : `${DATABASE_PREFIX}${plan.label}_${process.pid}`;
  const reuse =
    engine === 'postgres' &&
    options.reuseDatabase &&
    (await databaseComment(options.postgresUrl, dbName)) === keptSignature(plan);
  let env: ServerEnv;
  if (engine === 'postgres') {
    if (!options.keepDatabase) createdDatabases.add(dbName);
    env = {
      databaseUrl: reuse
        ? databaseUrl(options.postgresUrl, dbName)
        : await createDatabase(options.postgresUrl, dbName),
    };
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-pglite-'));
    createdDirs.add(dir);
    env = { pgliteDir: dir };
  }
  const tag = `${engine}-${plan.label}`;
  let server: ChildServer;
  if (reuse) {
    run.ingest.reused = true;
    log(`  reusing the kept database ${dbName}: ingest is not measured in this run`);
  } else {
    server = await startOurServer(`${tag}-ingest`, options, env);
    run.startup.freshMs = server.startupMs;
    log(
      `  server up on an empty database in ${Math.round(server.startupMs)} ms; ingesting ${library.files.length} Bundles`,
    );
    const ingestRss = sampleRss(server, 500);
    const ingested = await ingest(server, library.files, options.ingestConcurrency);
    run.ingest = {
      resources: ingested.resources,
      seconds: ingested.seconds,
      perSecond: ingested.resources / ingested.seconds,
      concurrency: options.ingestConcurrency,
      peakRssMb: await ingestRss.stop(),
      failures: ingested.failures,
    };
    for (const e of ingested.errors) run.checks.push(`ingest: ${e}`);
    log(
      `  ingested ${ingested.resources} resources in ${ingested.seconds.toFixed(1)} s = ${Math.round(run.ingest.perSecond)}/s (${ingested.failures} failed Bundles)`,
    );
    await server.stop();
    if (engine === 'postgres' && env.databaseUrl) {
      // What autovacuum would have done by now on a live system: fresh statistics for the planner.
      await queryDatabase(env.databaseUrl, 'vacuum analyze');
      if (options.keepDatabase && ingested.failures === 0) {
        await queryDatabase(
          options.postgresUrl,
          `comment on database ${dbName} is '${keptSignature(plan).replace(/'/g, "''")}'`,
        );
        log(`  kept as ${dbName}`);
      }
    }
  }
  if (engine === 'postgres') run.databaseMb = await databaseSizeMb(options.postgresUrl, dbName);
  server = await startOurServer(`${tag}-queries`, options, env, options.cpuProf, options.libraryCache[0]);
  run.startup.loadedMs = server.startupMs;
  log(`  restarted with the library loaded in ${Math.round(server.startupMs)} ms`);
  const floor =
    engine === 'postgres' && env.databaseUrl ? await startFloor(options, env.databaseUrl) : undefined;
  let second: SecondServer | undefined;
  const otherMode = options.libraryCache[1];
  try {
    if (otherMode !== undefined && engine === 'postgres') {
      second = { mode: otherMode, server: await startOurServer(`${tag}-queries-cache-${otherMode}`, options, env, false, otherMode) };
    } else if (otherMode !== undefined) run.checks.push(`library cache ${otherMode}: not measured on PGlite (one process per database)`);
    await runQueries(plan, options, server, floor, run, second);
  } finally {
    await server.stop();
    await second?.server.stop();
    await floor?.stop();
  }
  if (engine === 'postgres') {
    if (!options.keepDatabase) {
      await dropDatabase(options.postgresUrl, dbName);
      createdDatabases.delete(dbName);
    }
    if (options.loadCommand) {
      log('  timing the load command on a fresh database');
      run.loadCommand = await measureLoadCommand(options, plan);
    } else run.loadCommand = { status: 'skipped' };
  } else if (env.pgliteDir) {
    run.loadCommand = { status: 'skipped', detail: 'timed on PostgreSQL only' };
    await rm(env.pgliteDir, { recursive: true, force: true });
    createdDirs.delete(env.pgliteDir);
  }
  run.minutes = (Date.now() - started) / 60_000;
  return run;
}

function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'sql') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' (with uncommitted changes in src/ or sql/)' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const onSignal = (signal: string) => {
    log(`${signal}: stopping children, dropping databases`);
    void cleanup(options.postgresUrl).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('exit', () => killAllChildren());
  await mkdir(LOG_DIR, { recursive: true });
  const started = new Date();
  const machine = machineInfo(
    await postgresVersion(options.postgresUrl),
    await postgresSettings(options.postgresUrl),
  );
  const report: RunReport = {
    started,
    finished: started,
    options: {
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      connections: options.connections,
      poolSize: options.poolSize,
      logLevel: options.logLevel,
      seed: options.seed,
      patientShare: options.patientShare,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      revision: revision(),
    },
    machine,
    runs: [],
    errors: [],
  };
  const jobs: ['postgres' | 'pglite', number][] = [];
  if (options.engines.includes('postgres')) for (const s of options.sizes) jobs.push(['postgres', s]);
  if (options.engines.includes('pglite')) for (const s of options.pgliteSizes) jobs.push(['pglite', s]);
  try {
    for (const [engine, size] of jobs) {
      try {
        report.runs.push(await runSize(engine, size, options));
      } catch (error) {
        const message = `${engine} ${size}: ${error instanceof Error ? error.message : String(error)}`;
        log(`FAILED ${message}`);
        report.errors.push(message);
        await cleanup(options.postgresUrl);
      }
    }
  } finally {
    await cleanup(options.postgresUrl);
  }
  report.finished = new Date();
  const markdown = renderReport(report);
  process.stdout.write(`\n${markdown}\n`);
  if (options.write) {
    const dir = path.join(__dirname, 'results');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${started.toISOString().slice(0, 10)}.md`);
    if (existsSync(file)) await appendFile(file, `\n---\n\n${markdown}`);
    else
      await writeFile(
        file,
        `# Benchmark results, ${started.toISOString().slice(0, 10)}\n\nWritten by \`npm run bench\` (bench/run.ts); see docs/benchmarks.md for what each figure means.\n\n${markdown}`,
      );
    log(`results written to ${path.relative(REPO_ROOT, file)}`);
  }
  if (report.errors.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killAllChildren();
  process.exit(1);
});
