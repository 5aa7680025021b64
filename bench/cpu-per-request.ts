/**
 * CPU per request of the server and of PostgreSQL, for a read by id, a search by procedure code
 * and a write (docs/scaling.md): `npx tsx bench/cpu-per-request.ts [--seconds 5] [--connections 8]`.
 *
 * Creates a database on the local PostgreSQL (PGADMIN_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), starts the server (`npm start`'s command) with
 * the library loaded, drives each kind of request with autocannon, and divides the CPU seconds
 * the server process and every `postgres` process used by the requests answered. The postgres
 * figure counts the whole machine's PostgreSQL: run it on a quiet machine.
 */
import autocannon from 'autocannon';
import { createDatabase, dropDatabase } from './postgres-admin';
import { cpuSeconds, freePort, killAllChildren, postgresCpuSeconds, startChild, startScriptNodeArgs } from './processes';

const PROCEDURE = 'http://www.ama-assn.org/go/cpt|63046';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function drive(origin: string, seconds: number, connections: number, request: autocannon.Request): Promise<number> {
  const result = await autocannon({ url: origin, connections, duration: seconds, requests: [request], headers: { accept: 'application/fhir+json' } });
  const ok = result['2xx'];
  if (result.non2xx > 0) throw new Error(`${result.non2xx} answers were not 2xx`);
  return ok;
}

async function main(): Promise<void> {
  const seconds = flag('seconds', 5);
  const connections = flag('connections', 8);
  const admin = process.env.PGADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_cpu_${Date.now().toString(36)}`;
  const url = await createDatabase(admin, name);
  const port = await freePort();
  const server = await startChild({
    name: 'cpu-per-request',
    nodeArgs: await startScriptNodeArgs(),
    env: { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: url, AUTH: 'off', LOG_LEVEL: 'warn', LOAD_CONTENT: 'true', BASE_URL: `http://127.0.0.1:${port}/fhir` },
    port,
    readyPath: '/readyz',
    timeoutMs: 120_000,
  });
  try {
    const found = (await (await fetch(`${server.origin}/fhir/PlanDefinition?procedure=${encodeURIComponent(PROCEDURE)}`)).json()) as { entry?: Array<{ resource: { id: string } }> };
    const id = found.entry?.[0]?.resource.id;
    if (id === undefined) throw new Error('no PlanDefinition for the procedure code');
    const kinds: Array<[string, autocannon.Request]> = [
      ['read by id', { method: 'GET', path: `/fhir/PlanDefinition/${id}` }],
      ['search by procedure', { method: 'GET', path: `/fhir/PlanDefinition?procedure=${encodeURIComponent(PROCEDURE)}` }],
      [
        'write (create Patient)',
        { method: 'POST', path: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Bench', given: ['Cpu'] }], birthDate: '1960-01-01' }) },
      ],
    ];
    console.log(`| request | req/s | server CPU ms/req | PostgreSQL CPU ms/req |`);
    console.log(`| --- | --- | --- | --- |`);
    for (const [label, request] of kinds) {
      await drive(server.origin, 1, connections, request);
      const [app0, pg0] = [await cpuSeconds(server.pid), await postgresCpuSeconds()];
      const answered = await drive(server.origin, seconds, connections, request);
      const [app1, pg1] = [await cpuSeconds(server.pid), await postgresCpuSeconds()];
      const per = (s: number) => ((s * 1000) / answered).toFixed(3);
      console.log(`| ${label} | ${Math.round(answered / seconds)} | ${per(app1 - app0)} | ${per(pg1 - pg0)} |`);
    }
  } finally {
    await server.stop();
    await dropDatabase(admin, name);
  }
}

main().catch((error: unknown) => {
  killAllChildren();
  console.error(error);
  process.exit(1);
});
