import { FhirError } from '../../../src/fhir/fhir-error';
import { toFhirError } from '../../../src/http/error-handler';

describe('errors become OperationOutcomes without internals', () => {
  test('a statement timeout (57014) says the search was too broad, as a 400', () => {
    const error = toFhirError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
    expect(error.status).toBe(400);
    expect(error.outcome.issue[0].code).toBe('too-costly');
    expect(error.outcome.issue[0].diagnostics).not.toContain('canceling');
  });

  test('a refused connection is 503 with Retry-After', () => {
    const error = toFhirError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(error.status).toBe(503);
    expect(error.headers['Retry-After']).toBeDefined();
  });

  test('anything else is a 500 that names no SQL, table or stack', () => {
    const error = toFhirError(new Error('relation "resource" does not exist at SELECT * FROM resource'));
    expect(error.status).toBe(500);
    expect(JSON.stringify(error.outcome)).not.toMatch(/relation|SELECT|resource"/);
  });

  test('a FhirError passes through unchanged', () => {
    const original = FhirError.notFound('Patient/x is not known');
    expect(toFhirError(original)).toBe(original);
  });

  test('a body over the limit is 413', () => {
    expect(toFhirError(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 })).status).toBe(413);
  });
});
