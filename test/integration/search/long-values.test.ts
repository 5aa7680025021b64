/**
 * Values longer than a search index keeps whole (INDEX_KEY_MAX_BYTES): the resource is stored
 * whole and searches stay exact; only a longer `:below` value answers 400.
 * Over HTTP on PGlite and (with DATABASE_URL) on Postgres.
 */
import { createHash } from 'node:crypto';
import type { FhirResource } from 'fhir/r4';
import { INDEX_KEY_MAX_BYTES } from '../../../src/fhir/search/index-key';
import { normalizeString } from '../../../src/fhir/search/normalize';
import { startTestServer, type TestServer } from '../../support/test-server';
import { expectClientError, matchIds, putAll } from './search-helpers';

let server: TestServer;

/** About `bytes` bytes of distinct words, so that no two stretches of it are alike. */
function words(prefix: string, bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const word = `${prefix}${i.toString(36)}`;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ');
}

// Just under R4's 1 MB limit on a string.
const LONG_NAME = `Alexandrina ${words('w', 1024 * 1024 - 100)} Zenobia`;
const LONG_IDENTIFIER = 'x'.repeat(10 * 1024);
const SHARED = `https://example.org/fhir/Questionnaire/${'q'.repeat(1000)}`;

const fixtures: FhirResource[] = [
  { resourceType: 'Patient', id: 'long-name', name: [{ text: LONG_NAME }] },
  { resourceType: 'Patient', id: 'long-identifier', identifier: [{ system: 'urn:long', value: LONG_IDENTIFIER }] },
  // Its value is the long one's first INDEX_KEY_MAX_BYTES bytes: only itself matches it.
  { resourceType: 'Patient', id: 'prefix-identifier', identifier: [{ system: 'urn:long', value: LONG_IDENTIFIER.slice(0, INDEX_KEY_MAX_BYTES) }] },
  { resourceType: 'Questionnaire', id: 'q-alpha', status: 'active', title: 'Alpha', url: `${SHARED}-alpha` },
  { resourceType: 'Questionnaire', id: 'q-beta', status: 'active', title: 'Beta', url: `${SHARED}-beta` },
  { resourceType: 'QuestionnaireResponse', id: 'r-alpha', status: 'completed', questionnaire: `${SHARED}-alpha` },
  { resourceType: 'QuestionnaireResponse', id: 'r-beta', status: 'completed', questionnaire: `${SHARED}-beta` },
  {
    resourceType: 'Observation',
    id: 'long-code',
    status: 'final',
    code: { coding: [{ system: `urn:${'s'.repeat(5000)}`, code: 'c'.repeat(10 * 1024) }] },
    subject: { reference: `http://other.example/fhir/Patient/${'p'.repeat(5000)}` },
  },
];

beforeAll(async () => {
  server = await startTestServer();
  await putAll(server, fixtures);
}, 120_000);

afterAll(async () => {
  await server.close();
});

describe('long values in search-indexed elements', () => {
  test('a 1 MB name.text is stored whole', async () => {
    const read = await server.fetch('/Patient/long-name');
    expect(read.status).toBe(200);
    expect(read.body.name[0].text).toBe(LONG_NAME);
  });

  test('a long string is found by a leading part within the limit and by :contains anywhere', async () => {
    expect(await matchIds(server, '/Patient?name=alexandrina')).toEqual(['long-name']);
    expect(await matchIds(server, `/Patient?name=${encodeURIComponent(LONG_NAME.slice(0, 400))}`)).toEqual(['long-name']);
    expect(await matchIds(server, '/Patient?name:contains=zenobia')).toEqual(['long-name']);
    // The digest that ends a shortened key is never matched.
    const digest = createHash('sha256').update(normalizeString(LONG_NAME), 'utf8').digest('hex');
    expect(await matchIds(server, `/Patient?name:contains=${digest.slice(0, 12)}`)).toEqual([]);
  });

  test('a long search value is compared with the whole value', async () => {
    expect(await matchIds(server, `/Patient?name=${encodeURIComponent(LONG_NAME.slice(0, 2000))}`)).toEqual(['long-name']);
    expect(await matchIds(server, `/Patient?name=${encodeURIComponent(`${LONG_NAME.slice(0, 2000)}x`)}`)).toEqual([]);
    expect(await matchIds(server, `/Patient?name:exact=${encodeURIComponent(LONG_NAME.slice(0, 600))}`)).toEqual([]);
    expect(await matchIds(server, `/Patient?identifier=${encodeURIComponent(`urn:long|${LONG_IDENTIFIER}`)}`)).toEqual(['long-identifier']);
    expect(await matchIds(server, `/Patient?identifier=${encodeURIComponent(`urn:long|${LONG_IDENTIFIER}x`)}`)).toEqual([]);
    expect(await matchIds(server, `/Questionnaire?url=${encodeURIComponent(`${SHARED}-beta`)}`)).toEqual(['q-beta']);
  });

  test(':below with a value over the limit answers 400 naming it', async () => {
    const issues = await expectClientError(server, `/Questionnaire?url:below=${encodeURIComponent(SHARED)}`);
    expect(issues).toContain(`${INDEX_KEY_MAX_BYTES} bytes`);
  });

  test('token equality never matches a longer value by its leading part', async () => {
    const prefix = LONG_IDENTIFIER.slice(0, INDEX_KEY_MAX_BYTES);
    expect(await matchIds(server, `/Patient?identifier=urn:long|${prefix}`)).toEqual(['prefix-identifier']);
    expect(await matchIds(server, `/Patient?identifier=urn:long|${prefix.slice(1)}`)).toEqual([]);
  });

  test('long codes, systems and references are stored and searchable by what fits', async () => {
    expect(await matchIds(server, '/Observation?code:missing=false')).toEqual(['long-code']);
    expect(await matchIds(server, '/Observation?subject:missing=false')).toEqual(['long-code']);
    expect(await matchIds(server, `/Observation?code=${'c'.repeat(100)}`)).toEqual([]);
  });

  test('canonical URLs sharing a long leading part join only their own target', async () => {
    expect(await matchIds(server, '/QuestionnaireResponse?questionnaire.title=Beta')).toEqual(['r-beta']);
    expect(await matchIds(server, '/QuestionnaireResponse?questionnaire.title=Alpha')).toEqual(['r-alpha']);
    expect((await matchIds(server, `/Questionnaire?url:below=${encodeURIComponent('https://example.org/fhir/Questionnaire/')}`)).sort()).toEqual([
      'q-alpha',
      'q-beta',
    ]);
  });

  test('the server answers after all of it', async () => {
    expect((await server.fetch('/metadata')).status).toBe(200);
  });
});
