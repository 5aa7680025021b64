import { FhirError } from '../../../src/fhir/fhir-error';
import { parseSearchRequest, type ParseOptions } from '../../../src/fhir/search/parse-search-request';
import { SearchParameterRegistry } from '../../../src/fhir/search/search-parameter-registry';

const options = (strict = false): ParseOptions => ({
  registry: SearchParameterRegistry.withCoreParameters(['Observation', 'Location', 'Patient']),
  isResourceType: (type) => ['Observation', 'Location', 'Patient'].includes(type),
  defaultCount: 20,
  maxCount: 100,
  baseUrl: 'http://example.org/fhir',
  strict,
});

const parse = (type: string, query: string, strict = false) => parseSearchRequest([type], [...new URLSearchParams(query)], options(strict));

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof FhirError) return `${error.status} ${error.message}`;
    throw error;
  }
  throw new Error('not refused');
};

describe('parameters are parsed by their type', () => {
  test('a reference parameter with :identifier is a token search on the reference identifiers', () => {
    const { request } = parse('Observation', 'subject:identifier=http://hospital.example/mrn|123');
    expect(request.filters).toEqual([
      { kind: 'token', param: 'subject:identifier', modifier: 'none', values: [{ system: 'http://hospital.example/mrn', code: '123' }], texts: [], valueSets: [] },
    ]);
  });

  test('a quantity parameter sorts; a composite one is refused with 400', () => {
    expect(parse('Observation', '_sort=-value-quantity').request.sort).toEqual([{ param: 'value-quantity', paramType: 'quantity', descending: true }]);
    expect(refusal(() => parse('Observation', '_sort=code-value-quantity'))).toBe('400 Cannot sort by composite parameter "code-value-quantity"');
  });

  test('a parameter of type special is ignored with a warning, and refused under strict handling', () => {
    const { request, warnings } = parse('Location', 'near=42.256|-83.694|11.2|km');
    expect(request.filters).toEqual([]);
    expect(warnings.map((w) => w.diagnostics)).toEqual(['Search parameter near of type special is not supported; the parameter was ignored']);
    expect(refusal(() => parse('Location', 'near=42.256|-83.694|11.2|km', true))).toBe('400 Search parameter near of type special is not supported');
  });

  test('a modifier the type does not know is refused with 400 naming the type', () => {
    expect(refusal(() => parse('Observation', 'value-quantity:exact=5'))).toBe('400 Modifier :exact is not allowed on quantity parameter value-quantity');
    expect(refusal(() => parse('Patient', 'birthdate:contains=1970'))).toBe('400 Modifier :contains is not allowed on date parameter birthdate');
  });
});
