/**
 * The coordinator worklist's first page, timed at the server: a fresh database (PGlite in
 * memory, or PostgreSQL with --postgres-url), N patients with a foraminotomy order and an
 * assignment each (every third overdue), then the app's two requests of the first page,
 * repeated.
 *
 *   npx tsx bench/worklist.ts [--patients 500] [--runs 50] [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Prints the median and p95 milliseconds of the PlanDefinition request, of the batch of the
 * worklist's tier searches (the first page), and, for comparison in the same run, of the one
 * search by procedure date the tiers' last one is (orders with _include=ServiceRequest:subject
 * and _revinclude=Task:based-on, 50 a page, accurate total), measured from this process over
 * loopback.
 */
import pino from 'pino';
import { loadConfig } from '../src/config';
import { startServer } from '../src/app/server';
import { pageSearches, FIRST, worklistTiers } from '../src/web/coordinator/app/worklist-tiers';
import { seedManyPatients } from '../test/browser/coordinator-fixtures';
import { createDatabase, dropDatabase, DATABASE_PREFIX } from './postgres-admin';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const patients = Number(option('patients', '500'));
  const runs = Number(option('runs', '50'));
  const postgresUrl = process.argv.includes('--postgres-url') ? option('postgres-url', '') : undefined;
  const name = `${DATABASE_PREFIX}worklist_${Date.now()}`;
  const databaseUrl = postgresUrl !== undefined ? await createDatabase(postgresUrl, name) : undefined;
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH: 'off', LOG_LEVEL: 'silent', LOAD_CONTENT: 'true', PGLITE_DIR: 'memory://', DATABASE_URL: databaseUrl, RATE_LIMIT_PER_MINUTE: '0' });
  const running = await startServer(config, pino({ level: 'silent' }));
  const base = `${running.origin}/fhir`;
  const fhir = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' } });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  try {
    await seedManyPatients(fhir, patients, 8);
    const plans = (await fhir('/PlanDefinition?status=active&_elements=useContext,title,name&_count=100')).body as { entry?: { resource: { useContext?: { valueCodeableConcept?: { coding?: { system?: string; code?: string }[] } }[] } }[] };
    const codes = (plans.entry ?? []).flatMap((e) => (e.resource.useContext ?? []).flatMap((u) => u.valueCodeableConcept?.coding ?? [])).map((c) => `${c.system}|${c.code}`);
    const today = new Date().toISOString().slice(0, 10);
    const tiers = worklistTiers({ codes, from: today, to: '', status: '', today, searchesTasks: true });
    const batch = { resourceType: 'Bundle', type: 'batch', entry: pageSearches(tiers, FIRST).map((url) => ({ request: { method: 'GET', url } })) };
    const requests: Record<string, { path: string; body?: string }> = {
      'PlanDefinition (procedure codes)': { path: '/PlanDefinition?status=active&_elements=useContext,title,name&_count=100' },
      'Worklist page 1: batch of the 3 tier searches': { path: '/', body: JSON.stringify(batch) },
      'One search by date (the last tier alone)': { path: `/${tiers[2].query}` },
    };
    for (const [label, request] of Object.entries(requests)) {
      const times: number[] = [];
      let entries = 0;
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        const r = await fhir(request.path, request.body === undefined ? {} : { method: 'POST', body: request.body });
        const ms = performance.now() - started;
        if (r.status !== 200) throw new Error(`${request.path}: ${r.status}`);
        const body = r.body as { entry?: { resource?: { entry?: unknown[] } }[] };
        entries = request.body === undefined ? (body.entry ?? []).length : (body.entry ?? []).reduce((n, e) => n + (e.resource?.entry?.length ?? 0), 0);
        if (i >= 3) times.push(ms);
      }
      console.log(`${label}: median ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms (${entries} entries, ${runs} runs, ${databaseUrl ? 'postgres' : 'pglite'}, ${patients} patients)`);
    }
  } finally {
    await running.close();
    if (postgresUrl !== undefined) await dropDatabase(postgresUrl, name);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
