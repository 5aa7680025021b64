/**
 * Benchmark of the EHR-facing lookups: the Infobutton responder (JSON and Atom) and
 * ConceptMap/$translate, at 1 and 32 concurrent callers, beside the floor's answer to the
 * search underneath (`PlanDefinition?procedure=system|code`, bench/floor-server.ts): the least
 * any server must do to find the same material.
 *
 * On a fresh PostgreSQL database: our server with the foraminotomy library (LOAD_CONTENT) and a
 * site ConceptMap from local order codes onto the CPT codes, so a third of the calls go through
 * code translation; the floor on the same database. Databases and processes are removed at the end.
 *
 *   npx tsx bench/ehr-integration.ts [--duration 5] [--warmup 2] [--connections 1,32]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 */
import os from 'node:os';
import { runLoad, type LoadResult } from './load';
import { createDatabase, dropDatabase, postgresVersion } from './postgres-admin';
import { cpuSeconds, freePort, killAllChildren, startChild, startScriptNodeArgs, type ChildServer } from './processes';

const CPT = 'http://www.ama-assn.org/go/cpt';
const SITE = 'https://hospital.example.org/order-codes';
const OIDS = { cpt: '2.16.840.1.113883.6.12', pcs: '2.16.840.1.113883.6.4', icd10cm: '2.16.840.1.113883.6.90' };

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const durationSeconds = Number(option('duration', '5'));
const warmupSeconds = Number(option('warmup', '2'));
const connectionCounts = option('connections', '1,32').split(',').map(Number);
const adminUrl = option('postgres-url', process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const DATABASE = 'bench_ehr_integration';

/** The codes an EHR sends: CPT, ICD-10-PCS, ICD-10-CM diagnoses and the site's own codes. */
const CODES: { oid: string; system: string; code: string }[] = [
  ...['63045', '63046', '63047'].map((code) => ({ oid: OIDS.cpt, system: CPT, code })),
  { oid: OIDS.pcs, system: 'http://www.cms.gov/Medicare/Coding/ICD10', code: '01NB0ZZ' },
  ...['M99.61', 'M99.63', 'M99.73'].map((code) => ({ oid: OIDS.icd10cm, system: 'http://hl7.org/fhir/sid/icd-10-cm', code })),
  ...['SPINE-1', 'SPINE-2', 'SPINE-3'].map((code) => ({ oid: SITE, system: SITE, code })),
];

const enc = encodeURIComponent;
const infobuttonPath = (c: (typeof CODES)[number], type?: string) =>
  `/infobutton?mainSearchCriteria.v.c=${enc(c.code)}&mainSearchCriteria.v.cs=${enc(c.oid)}${type ? `&knowledgeResponseType=${enc(type)}` : ''}`;

const QUERIES: { key: string; label: string; target: 'ours' | 'floor'; paths: string[] }[] = [
  { key: 'infobutton-json', label: 'GET /infobutton (application/json)', target: 'ours', paths: CODES.map((c) => infobuttonPath(c, 'application/json')) },
  { key: 'infobutton-atom', label: 'GET /infobutton (Atom, text/xml)', target: 'ours', paths: CODES.map((c) => infobuttonPath(c)) },
  {
    key: 'translate',
    label: 'GET /fhir/ConceptMap/$translate?system&code',
    target: 'ours',
    paths: CODES.filter((c) => c.system !== CPT).map((c) => `/fhir/ConceptMap/$translate?system=${enc(c.system)}&code=${enc(c.code)}`),
  },
  {
    key: 'floor',
    label: 'floor: PlanDefinition?procedure=CPT|code',
    target: 'floor',
    paths: ['63045', '63046', '63047'].map((code) => `/fhir/PlanDefinition?procedure=${enc(`${CPT}|${code}`)}`),
  },
];

async function measure(server: ChildServer, paths: string[], connections: number): Promise<LoadResult> {
  await runLoad({ origin: server.origin, paths, connections, durationSeconds: warmupSeconds });
  const before = await cpuSeconds(server.pid);
  const result = await runLoad({ origin: server.origin, paths, connections, durationSeconds });
  const used = (await cpuSeconds(server.pid)) - before;
  return { ...result, cpuMsPerRequest: result.requests > 0 ? (used * 1000) / result.requests : undefined };
}

async function main(): Promise<void> {
  const databaseUrl = await createDatabase(adminUrl, DATABASE);
  const ourPort = await freePort();
  const ours = await startChild({
    name: 'ehr-ours',
    nodeArgs: await startScriptNodeArgs(),
    env: {
      PORT: String(ourPort),
      HOST: '127.0.0.1',
      BASE_URL: `http://127.0.0.1:${ourPort}/fhir`,
      AUTH: 'off',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      RATE_LIMIT_PER_MINUTE: '0',
      LOAD_CONTENT: 'true',
    },
    port: ourPort,
    readyPath: '/readyz',
    timeoutMs: 300_000,
  });
  const floorPort = await freePort();
  const floor = await startChild({
    name: 'ehr-floor',
    nodeArgs: ['--import', 'tsx', 'bench/floor-server.ts'],
    env: { PORT: String(floorPort), DATABASE_URL: databaseUrl, BASE_URL: `http://127.0.0.1:${floorPort}/fhir` },
    port: floorPort,
    readyPath: '/healthz',
    timeoutMs: 60_000,
  });
  try {
    const map = {
      resourceType: 'ConceptMap',
      status: 'active',
      url: 'https://hospital.example.org/ConceptMap/order-codes',
      group: [
        {
          source: SITE,
          target: CPT,
          element: ['63045', '63046', '63047'].map((code, i) => ({ code: `SPINE-${i + 1}`, target: [{ code, equivalence: 'equivalent' }] })),
        },
      ],
    };
    const posted = await fetch(`${ours.origin}/fhir/ConceptMap`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(map) });
    if (posted.status !== 201) throw new Error(`posting the site ConceptMap: ${posted.status} ${await posted.text()}`);
    for (const query of QUERIES) {
      const server = query.target === 'ours' ? ours : floor;
      for (const path of query.paths) {
        const res = await fetch(`${server.origin}${path}`);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      }
    }
    console.log(`EHR lookups: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? '?'}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB, node ${process.version}, ${await postgresVersion(adminUrl)}`);
    console.log(`library: the foraminotomy content + 1 site ConceptMap; ${durationSeconds} s per figure after ${warmupSeconds} s warm-up\n`);
    console.log('| query | connections | req/s | p50 ms | p99 ms | CPU ms/req (server) | failures |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const query of QUERIES) {
      for (const connections of connectionCounts) {
        const r = await measure(query.target === 'ours' ? ours : floor, query.paths, connections);
        const cpu = r.cpuMsPerRequest === undefined ? '?' : r.cpuMsPerRequest.toFixed(2);
        console.log(`| ${query.label} | ${connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${cpu} | ${r.failures} |`);
      }
    }
  } finally {
    await ours.stop();
    await floor.stop();
    await dropDatabase(adminUrl, DATABASE);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  killAllChildren();
  process.exitCode = 1;
});
