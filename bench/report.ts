/**
 * The results of a run as markdown: the machine, then per engine and size the data, ingest,
 * start-up, memory and one table of queries; then the targets of issue 7 checked against
 * the figures. Every number printed here comes from the run's measurements.
 */
import os from 'node:os';
import type { LibraryPlan } from './generate-library';
import type { LoadResult } from './load';
import type { PageWalk } from './queries';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  os: string;
  postgres: string;
  postgresSettings: Record<string, string>;
}

export function machineInfo(postgres: string, postgresSettings: Record<string, string>): MachineInfo {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    postgres,
    postgresSettings,
  };
}

export interface QueryFigures {
  key: string;
  label: string;
  connections: number;
  ours: LoadResult;
  floor: LoadResult | undefined;
  /** 1-minute load average of the machine when this measurement started (ours included). */
  loadAverage: number;
  /** LIBRARY_CACHE of the server measured, for the library-only queries (--library-cache). */
  libraryCache?: 'on' | 'off';
}

export interface SizeRun {
  engine: 'postgres' | 'pglite';
  plan: LibraryPlan;
  bundles: number;
  bundleMb: number;
  databaseMb: number | undefined;
  ingest: {
    resources: number;
    seconds: number;
    perSecond: number;
    concurrency: number;
    peakRssMb: number;
    failures: number;
    /** The database was kept from an earlier run (--reuse-database): nothing was ingested in this one. */
    reused?: boolean;
  };
  loadCommand: {
    status: 'ok' | 'failed' | 'absent' | 'skipped';
    seconds?: number;
    perSecond?: number;
    detail?: string;
  };
  startup: { freshMs: number; loadedMs: number };
  walks: { ours: PageWalk | undefined; floor: PageWalk | undefined };
  checks: string[];
  queries: QueryFigures[];
  /** Largest RSS sampled while queries ran against our server. */
  queryPeakRssMb: number;
  /** VmHWM of the server process that served the queries (includes its start-up). */
  serverHwmMb: number;
  floorPeakRssMb: number | undefined;
  minutes: number;
}

export interface RunOptionsSummary {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number[];
  poolSize: number;
  logLevel: string;
  seed: string;
  patientShare: number;
  command: string;
  /** Commit of the measured code, and whether src/ or sql/ had changes not yet committed. */
  revision: string;
}

export interface RunReport {
  started: Date;
  finished: Date;
  options: RunOptionsSummary;
  machine: MachineInfo;
  runs: SizeRun[];
  errors: string[];
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const ms = (x: number) =>
  Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString()) : '—';
const ratio = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);

function queryTable(run: SizeRun): string[] {
  const withFloor = run.queries.some((q) => q.floor !== undefined);
  const head = withFloor
    ? [
        '| query | conns | req/s | p50 ms | p99 ms | CPU ms/req | floor req/s | floor p50 ms | floor p99 ms | floor CPU ms/req | ours/floor | errors | load |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ]
    : ['| query | conns | req/s | p50 ms | p99 ms | CPU ms/req | errors | load |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  const rows = run.queries.map((q) => {
    const errors = q.ours.failures + (q.floor?.failures ?? 0);
    const base = `| ${q.label} | ${q.connections} | ${n0(q.ours.rps)} | ${ms(q.ours.p50)} | ${ms(q.ours.p99)} | ${cpu(q.ours)} |`;
    const load = q.loadAverage.toFixed(1);
    if (!withFloor) return `${base} ${errors} | ${load} |`;
    const f = q.floor;
    return `${base} ${f ? n0(f.rps) : '—'} | ${f ? ms(f.p50) : '—'} | ${f ? ms(f.p99) : '—'} | ${f ? cpu(f) : '—'} | ${ratio(f ? q.ours.rps / f.rps : undefined)} | ${errors} | ${load} |`;
  });
  return [...head, ...rows];
}

/** CPU per request of the answering process (bench/run.ts measure()); '—' where not measured. */
const cpu = (r: LoadResult) => (r.cpuMsPerRequest === undefined ? '—' : r.cpuMsPerRequest.toFixed(3));

function loadCommandText(result: SizeRun['loadCommand']): string {
  switch (result.status) {
    case 'absent':
      return 'not measured (src/cli/load-command.ts is not in this tree)';
    case 'skipped':
      return `not measured (${result.detail ?? '--no-load-command'})`;
    case 'ok':
      return `**${n0(result.perSecond ?? NaN)} resources/s** (${(result.seconds ?? NaN).toFixed(1)} s)`;
    case 'failed':
      return `failed: ${result.detail ?? ''}`;
  }
}

function runSection(run: SizeRun): string[] {
  const p = run.plan;
  const counts = Object.entries(p.counts)
    .map(([type, count]) => `${type} ${count.toLocaleString('en-US')}`)
    .join(', ');
  const lines = [
    `### ${run.engine === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${p.label} resources`,
    '',
    `- Data: ${p.total.toLocaleString('en-US')} resources (${counts}); ${p.procedures.toLocaleString('en-US')} procedures; ${p.practitioners} task owners; seed \`${p.seed}\`, patient-side share ${p.patientShare}; ${run.bundles} transaction Bundles, ${n0(run.bundleMb)} MB of JSON${run.databaseMb !== undefined ? `; database ${n0(run.databaseMb)} MB on disk` : ''}.`,
    run.ingest.reused
      ? '- Ingest: not measured in this run; the database was kept from an earlier run of the same library (`--reuse-database`), whose results give its ingest figures.'
      : `- Ingest over HTTP (transaction Bundles of 500 PUTs, ${run.ingest.concurrency} in flight): ${n0(run.ingest.resources)} resources in ${run.ingest.seconds.toFixed(1)} s = **${n0(run.ingest.perSecond)} resources/s**; server peak RSS during ingest ${n0(run.ingest.peakRssMb)} MB${run.ingest.failures > 0 ? `; **${run.ingest.failures} Bundles failed**` : ''}.`,
    `- Load command (\`npm run load\` of the same library as NDJSON, written straight into a fresh database): ${loadCommandText(run.loadCommand)}.`,
    `- Start-up (spawn to first answer of /readyz): empty database ${n0(run.startup.freshMs)} ms; with the library loaded **${n0(run.startup.loadedMs)} ms**.`,
    `- Server memory: peak RSS under query load **${n0(run.queryPeakRssMb)} MB** (sampled every 200 ms); VmHWM of that process ${n0(run.serverHwmMb)} MB${run.floorPeakRssMb !== undefined ? `; the floor's peak RSS ${n0(run.floorPeakRssMb)} MB` : ''}.`,
  ];
  if (run.walks.ours) {
    lines.push(
      `- Following \`next\` from page 1 to page 20 (one request at a time, ${run.walks.ours.deepPaths.length} owners): ${ms(run.walks.ours.walkMs)} ms per walk${run.walks.floor ? ` (floor ${ms(run.walks.floor.walkMs)} ms)` : ''}.`,
    );
  }
  for (const check of run.checks) lines.push(`- Check: ${check}`);
  lines.push(
    `- This size took ${run.minutes.toFixed(1)} minutes. \`load\` is the machine's 1-minute load average when a measurement started; our own server, Postgres and load generator account for about 2-3 of it, more means other processes were competing for the ${os.cpus().length} cores.`,
    '',
    ...queryTable(run),
    '',
  );
  return lines;
}

interface TargetRow {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** The figures of a query at a connection count; for a library query, those with the cache as asked (default on). */
function find(run: SizeRun, key: string, connections: number, libraryCache: 'on' | 'off' = 'on'): QueryFigures | undefined {
  return run.queries.find((q) => q.key === key && q.connections === connections && (q.libraryCache ?? libraryCache) === libraryCache);
}

function targetRows(report: RunReport): TargetRow[] {
  const rows: TargetRow[] = [];
  const pgRuns = report.runs.filter((r) => r.engine === 'postgres');
  const maxConn = Math.max(...report.options.connections);
  for (const run of pgRuns) {
    const label = run.plan.label;
    for (const [key, name] of [
      ['read', 'read by id'],
      ['procedure', 'search by procedure'],
    ] as const) {
      const ratios = run.queries
        .filter((q) => q.key === key && q.floor && q.libraryCache !== 'off')
        .map((q) => ({ c: q.connections, r: q.ours.rps / q.floor!.rps }));
      if (ratios.length > 0) {
        const worst = ratios.reduce((a, b) => (b.r < a.r ? b : a));
        rows.push({
          target: `${label}: ${name} ≥ 0.7× floor (every connection count)`,
          measured: `lowest ${ratio(worst.r)} (at ${worst.c})`,
          met: worst.r >= 0.7,
        });
      }
    }
    for (const [key, name] of [
      ['library-read', 'library read by id'],
      ['procedure', 'search by procedure'],
    ] as const) {
      const on = find(run, key, 32);
      if (on?.floor === undefined || on.libraryCache === undefined) continue;
      const off = find(run, key, 32, 'off');
      const r = on.ours.rps / on.floor.rps;
      rows.push({
        target: `${label}: ${name} ≥ 0.8× floor at 32 connections, library cache on`,
        measured: `${ratio(r)} (${n0(on.ours.rps)} vs ${n0(on.floor.rps)} req/s)${off?.floor ? `; cache off ${ratio(off.ours.rps / off.floor.rps)}` : ''}`,
        met: r >= 0.8,
      });
    }
    const read = find(run, 'read', maxConn);
    if (read && maxConn === 32)
      rows.push({
        target: `${label}: read by id ≥ 4,000 req/s at 32 connections`,
        measured: `${n0(read.ours.rps)} req/s`,
        met: read.ours.rps >= 4000,
      });
    const proc = find(run, 'procedure', maxConn);
    if (proc && maxConn === 32)
      rows.push({
        target: `${label}: search by procedure ≥ 2,000 req/s at 32 connections`,
        measured: `${n0(proc.ours.rps)} req/s`,
        met: proc.ours.rps >= 2000,
      });
    if (proc && run.plan.total >= 1_000_000)
      rows.push({
        target: `${label}: search by procedure p99 < 25 ms at 32 connections`,
        measured: `${ms(proc.ours.p99)} ms`,
        met: proc.ours.p99 < 25,
      });
    const p1 = find(run, 'tasks-page-1', 1);
    const p20 = find(run, 'tasks-page-20', 1);
    if (p1 && p20) {
      const r = p20.ours.p50 / p1.ours.p50;
      rows.push({
        target: `${label}: page 20 ≤ 1.3× page 1 (p50 at 1 connection)`,
        measured: `${ms(p20.ours.p50)} vs ${ms(p1.ours.p50)} ms = ${ratio(r)}`,
        met: r <= 1.3,
      });
    }
    if (!run.ingest.reused) {
      rows.push({
        target: `${label}: ingest ≥ 2,500 resources/s`,
        measured: `${n0(run.ingest.perSecond)} resources/s`,
        met: run.ingest.perSecond >= 2500,
      });
    }
    if (run.queries.length > 0) {
      rows.push({
        target: `${label}: server RSS under load < 300 MB`,
        measured: `${n0(run.queryPeakRssMb)} MB`,
        met: run.queryPeakRssMb < 300,
      });
    }
    rows.push({
      target: `${label}: start-up with the library < 3 s on PostgreSQL`,
      measured: `${n0(run.startup.loadedMs)} ms`,
      met: run.startup.loadedMs < 3000,
    });
  }
  const small = pgRuns.find((r) => r.plan.total === 10_000);
  const large = pgRuns.find((r) => r.plan.total === 1_000_000);
  if (small && large) {
    const a = find(small, 'procedure', 1);
    const b = find(large, 'procedure', 1);
    if (a && b) {
      const r = b.ours.p50 / a.ours.p50;
      rows.push({
        target: 'search by procedure p50 at 1M ≤ 1.5× p50 at 10k (1 connection)',
        measured: `${ms(b.ours.p50)} vs ${ms(a.ours.p50)} ms = ${ratio(r)}`,
        met: r <= 1.5,
      });
    }
  } else {
    rows.push({
      target: 'search by procedure p50 at 1M ≤ 1.5× p50 at 10k',
      measured: 'not measured in this run (needs the 10k and 1M sizes)',
      met: undefined,
    });
  }
  for (const run of report.runs.filter((r) => r.engine === 'pglite')) {
    rows.push({
      target: `PGlite ${run.plan.label}: start-up on a fresh PGlite < 10 s`,
      measured: `${n0(run.startup.freshMs)} ms (with the library loaded: ${n0(run.startup.loadedMs)} ms)`,
      met: run.startup.freshMs < 10_000,
    });
    if (run.queries.length > 0) {
      rows.push({
        target: `PGlite ${run.plan.label}: server RSS under load < 300 MB`,
        measured: `${n0(run.queryPeakRssMb)} MB`,
        met: run.queryPeakRssMb < 300,
      });
    }
  }
  return rows;
}

export function renderReport(report: RunReport): string {
  const m = report.machine;
  const o = report.options;
  const minutes = (report.finished.getTime() - report.started.getTime()) / 60_000;
  const lines = [
    `## Run of ${report.started.toISOString().replace(/\.\d+Z$/, 'Z')} (${minutes.toFixed(1)} minutes)`,
    '',
    `- Command: \`${o.command}\` on commit ${o.revision}`,
    `- Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GB memory, ${m.os}; Node ${m.node}; PostgreSQL ${m.postgres} (${Object.entries(
      m.postgresSettings,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}). Load generator (autocannon), server, floor and Postgres share these cores.`,
    `- Each query: ${o.warmupSeconds} s warm-up, then ${o.durationSeconds} s measured, at ${o.connections.join(', ')} connections; requests rotate over up to 2,000 ids/codes/words; our server and the floor alternate. Pool size ${o.poolSize} for both; server LOG_LEVEL=${o.logLevel}, AUTH=off. CPU ms/req: the answering process's user + system CPU time over the measured window (/proc/<pid>/stat) per successful request; it changes much less than req/s when other work competes for the cores.`,
    '',
  ];
  for (const run of report.runs) lines.push(...runSection(run));
  lines.push('### Targets of issue 7', '', '| target | measured | met |', '|---|---|---|');
  for (const row of targetRows(report))
    lines.push(
      `| ${row.target} | ${row.measured} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`,
    );
  lines.push('');
  if (report.errors.length > 0) {
    lines.push('### Errors', '');
    for (const e of report.errors) lines.push(`- ${e.split('\n')[0]}`);
    lines.push('');
  }
  return lines.join('\n');
}
