/**
 * A patient link's token never reaches the server's log: the link carries it in the fragment,
 * and requests made with it (pages and FHIR API) are logged without their Authorization header.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/app/server';
import { assignment, coordinator, patient } from '../workflows/fixtures';
import { daysFromToday, order } from './patient-fixtures';

const lines: string[] = [];
let running: RunningServer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  // The embedded database: this test is about the log, not the engine (the other suites cover both).
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH: 'off', LOAD_CONTENT: 'true', PGLITE_DIR: 'memory://', LOG_LEVEL: 'debug', BASE_URL: 'http://patient.test/fhir' });
  running = await startServer(config, pino({ level: 'debug' }, sink));
});
afterAll(async () => {
  await running?.close();
});

test('creating and using a patient link logs every request and never the token', async () => {
  const base = `${running.origin}/fhir`;
  const post = async (body: { resourceType: string }) => {
    const r = await fetch(`${base}/${body.resourceType}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    expect(r.status).toBe(201);
    return (await r.json()) as { id: string };
  };
  const p = await post(patient('Moreau', 'male'));
  const c = await post(coordinator('Stone'));
  const o = await post(order(p.id, daysFromToday(10)));
  const t = await post(assignment(p.id, c.id, daysFromToday(-1), daysFromToday(7), `ServiceRequest/${o.id}`));
  const made = await fetch(`${base}/Task/${t.id}/$patient-link`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Parameters"}' });
  expect(made.status).toBe(200);
  const url = ((await made.json()) as { parameter: { name: string; valueUri?: string }[] }).parameter.find((x) => x.name === 'url')!.valueUri!;
  const token = url.split('#')[1];
  const auth = { authorization: `Bearer ${token}` };
  expect((await fetch(`${running.origin}/my/plan/content`, { headers: auth })).status).toBe(200);
  expect((await fetch(`${base}/Task/${t.id}`, { headers: auth })).status).toBe(200);
  expect((await fetch(`${running.origin}/my/questionnaire`)).status).toBe(200);

  const log = lines.join('');
  expect(log).toContain('/my/plan/content');
  expect(log).toContain(`/fhir/Task/${t.id}`);
  expect(log).not.toContain(token);
  // Not even one of its three parts (a signature or claims logged on their own).
  for (const part of token.split('.')) expect(log).not.toContain(part);
});
