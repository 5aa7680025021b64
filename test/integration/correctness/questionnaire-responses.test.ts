import type { QuestionnaireResponse } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { answerItems, QUESTIONNAIRE_URL } from '../workflows/fixtures';

/**
 * A QuestionnaireResponse to one of the library's Questionnaires must name its patient and its
 * Questionnaire (422 otherwise); a Questionnaire the server cannot find is a warning, as in the
 * HL7 reference validator, and a contained one referenced as `#id` is resolved.
 */
let server: TestServer;
let patientId: string;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  patientId = (await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ family: 'Answers' }] }))).body.id;
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });

async function responseCount(): Promise<number> {
  return (await server.fetch('/QuestionnaireResponse?_summary=count')).body.total;
}

const completed = (extra: Partial<QuestionnaireResponse>): QuestionnaireResponse => ({
  resourceType: 'QuestionnaireResponse',
  status: 'completed',
  authored: '2026-03-02T09:30:00Z',
  item: answerItems({ sex: 'male' }),
  ...extra,
});

describe('a response to one of our Questionnaires must say whose and to what it is', () => {
  test('without subject: 422 naming QuestionnaireResponse.subject, nothing stored', async () => {
    const before = await responseCount();
    const res = await server.fetch('/QuestionnaireResponse', json('POST', completed({ questionnaire: QUESTIONNAIRE_URL })));
    expect(res.status).toBe(422);
    const issue = res.body.issue.find((i: any) => i.severity === 'error');
    expect(issue.expression).toEqual(['QuestionnaireResponse.subject']);
    expect(issue.diagnostics).toMatch(/must name its patient/);
    expect(await responseCount()).toBe(before);
  });

  test('with a subject that is not a Patient: 422', async () => {
    const group = (await server.fetch('/Group', json('POST', { resourceType: 'Group', type: 'person', actual: true }))).body.id;
    const res = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', completed({ questionnaire: QUESTIONNAIRE_URL, subject: { reference: `Group/${group}` } })),
    );
    expect(res.status).toBe(422);
  });

  test('answering our items without naming the Questionnaire: 422 naming QuestionnaireResponse.questionnaire', async () => {
    const res = await server.fetch('/QuestionnaireResponse', json('POST', completed({ subject: { reference: `Patient/${patientId}` } })));
    expect(res.status).toBe(422);
    const issue = res.body.issue.find((i: any) => i.severity === 'error');
    expect(issue.expression).toEqual(['QuestionnaireResponse.questionnaire']);
    expect(issue.diagnostics).toContain(QUESTIONNAIRE_URL);
  });

  test('a complete response with subject and questionnaire is stored', async () => {
    const res = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', completed({ questionnaire: QUESTIONNAIRE_URL, subject: { reference: `Patient/${patientId}` } })),
    );
    expect(res.status).toBe(201);
  });

  test('a response to someone else\'s form without a questionnaire is stored (its items are not ours)', async () => {
    const res = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', { resourceType: 'QuestionnaireResponse', status: 'completed', item: [{ linkId: 'clinic-q1', answer: [{ valueString: 'yes' }] }] }),
    );
    expect(res.status).toBe(201);
  });
});

describe('Questionnaires the server cannot find (HL7 reference validator behaviour)', () => {
  test('an unknown Questionnaire is a warning: the response is stored', async () => {
    const res = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', {
        resourceType: 'QuestionnaireResponse',
        questionnaire: 'https://elsewhere.example/Questionnaire/intake',
        status: 'completed',
        item: [{ linkId: 'x', answer: [{ valueString: 'y' }] }],
      }),
    );
    expect(res.status).toBe(201);
    const validated = await server.fetch(
      '/QuestionnaireResponse/$validate',
      json('POST', {
        resourceType: 'QuestionnaireResponse',
        questionnaire: 'https://elsewhere.example/Questionnaire/intake',
        status: 'completed',
      }),
    );
    expect(validated.body.issue).toEqual(
      expect.arrayContaining([expect.objectContaining({ severity: 'warning', code: 'not-found', expression: ['QuestionnaireResponse.questionnaire'] })]),
    );
  });

  test('a contained Questionnaire referenced as #id is resolved and the answers checked against it', async () => {
    const contained = {
      resourceType: 'Questionnaire',
      id: 'q',
      status: 'active',
      item: [{ linkId: 'age', type: 'integer' }],
    };
    const good = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', {
        resourceType: 'QuestionnaireResponse',
        contained: [contained],
        questionnaire: '#q',
        status: 'completed',
        item: [{ linkId: 'age', answer: [{ valueInteger: 58 }] }],
      }),
    );
    expect(good.status).toBe(201);
    const bad = await server.fetch(
      '/QuestionnaireResponse',
      json('POST', {
        resourceType: 'QuestionnaireResponse',
        contained: [contained],
        questionnaire: '#q',
        status: 'completed',
        item: [{ linkId: 'age', answer: [{ valueString: 'fifty-eight' }] }],
      }),
    );
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain('QuestionnaireResponse.item[0]');
  });
});
