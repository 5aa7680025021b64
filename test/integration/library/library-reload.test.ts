import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dropTestDatabase, startTestServer, type TestServer } from '../../support/test-server';
import { loadStartupContent, readStartupContent } from '../../../src/content/load-startup-content';

/**
 * Start-up loads of the library on one database: a start-up that finds the library as the last
 * complete load left it skips re-checking it; an edited file, or a library resource changed
 * through the API, makes the next start-up load it again (one new version each).
 */
let work: string;
let databaseUrl: string | undefined;
const DOC = 'DocumentReference-foraminotomy-risks.json';

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'library-reload-'));
  await cp('profiles', path.join(work, 'profiles'), { recursive: true });
  await cp('content', path.join(work, 'content'), { recursive: true });
});
afterAll(async () => {
  if (databaseUrl) await dropTestDatabase(databaseUrl);
  await rm(work, { recursive: true, force: true });
});

async function start(): Promise<TestServer> {
  const server = await startTestServer({
    pgliteDir: path.join(work, 'db'),
    databaseUrl,
    keepDatabase: true,
    env: { LOAD_CONTENT: 'true', PROFILES_DIR: path.join(work, 'profiles'), CONTENT_DIR: path.join(work, 'content') },
  });
  databaseUrl = server.databaseUrl;
  return server;
}

/** What a start-up load does now: skip (true) or load (false), with its summary. */
async function loadAgain(server: TestServer) {
  const items = await readStartupContent([server.ctx.config.profilesDir, server.ctx.config.contentDir]);
  return { items, summary: await loadStartupContent(server.ctx, items) };
}

const versionOf = async (server: TestServer, ref: string) => (await server.fetch(`/${ref}`)).body.meta.versionId;

test('unchanged library: the next start-up skips it and every version stays 1', async () => {
  const first = await start();
  try {
    expect(await versionOf(first, 'DocumentReference/foraminotomy-risks')).toBe('1');
  } finally {
    await first.stop();
  }
  const second = await start();
  try {
    const { items, summary } = await loadAgain(second);
    expect(summary).toEqual({ created: 0, updated: 0, unchanged: items.length, rejected: [], skipped: true });
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire', 'StructureDefinition', 'SearchParameter']) {
      const found = (await second.fetch(`/${type}?_count=100`)).body.entry.map((e: any) => e.resource);
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect(r.meta.versionId).toBe('1');
    }
    // The library's SearchParameters are registered all the same.
    const search = await second.fetch('/DocumentReference?procedure=http://www.ama-assn.org/go/cpt|63047&type=risks');
    expect(search.body.entry.map((e: any) => e.resource.id)).toContain('foraminotomy-risks');
  } finally {
    await second.stop();
  }
});

test('an edited content file: the next start-up writes version 2 of that resource only', async () => {
  const file = path.join(work, 'content', DOC);
  const doc = JSON.parse(await readFile(file, 'utf8'));
  doc.description = `${doc.description ?? ''} (revised)`;
  await writeFile(file, JSON.stringify(doc, null, 2));
  const server = await start();
  try {
    expect(await versionOf(server, 'DocumentReference/foraminotomy-risks')).toBe('2');
    expect((await server.fetch('/DocumentReference/foraminotomy-risks')).body.description).toMatch(/\(revised\)$/);
    expect(await versionOf(server, 'DocumentReference/foraminotomy-recovery')).toBe('1');
    expect(await versionOf(server, 'PlanDefinition/foraminotomy')).toBe('1');
    // That load was complete: it is the one the next start-up compares with.
    expect((await loadAgain(server)).summary.skipped).toBe(true);
  } finally {
    await server.stop();
  }
});

test('a library resource changed through the API: the next start-up loads the library again', async () => {
  const first = await start();
  try {
    const current = (await first.fetch('/DocumentReference/foraminotomy-recovery')).body;
    const put = await first.fetch('/DocumentReference/foraminotomy-recovery', {
      method: 'PUT',
      body: JSON.stringify({ ...current, meta: undefined, description: 'changed by hand' }),
    });
    expect(put.status).toBe(200);
    expect(put.body.meta.versionId).toBe('2');
  } finally {
    await first.stop();
  }
  const second = await start();
  try {
    // The file's content is back, as a new version.
    const restored = (await second.fetch('/DocumentReference/foraminotomy-recovery')).body;
    expect(restored.meta.versionId).toBe('3');
    expect(restored.description).not.toBe('changed by hand');
    expect(await versionOf(second, 'DocumentReference/foraminotomy-risks')).toBe('2');
  } finally {
    await second.stop();
  }
});
