import { classify } from '../../../src/fhir/interaction';

describe('classify', () => {
  test.each([
    ['GET', '/metadata', { kind: 'capabilities' }],
    ['GET', '/', { kind: 'search-system' }],
    ['POST', '/', { kind: 'batch' }],
    ['GET', '/_history', { kind: 'history-system' }],
    ['GET', '/Task', { kind: 'search-type', resourceType: 'Task' }],
    ['POST', '/Task/_search', { kind: 'search-type', resourceType: 'Task' }],
    ['POST', '/Task', { kind: 'create', resourceType: 'Task' }],
    ['PUT', '/Task', { kind: 'update', resourceType: 'Task' }],
    ['DELETE', '/Task', { kind: 'delete', resourceType: 'Task' }],
    ['GET', '/Task/_history', { kind: 'history-type', resourceType: 'Task' }],
    ['GET', '/Task/1', { kind: 'read', resourceType: 'Task', id: '1' }],
    ['HEAD', '/Task/1', { kind: 'read', resourceType: 'Task', id: '1' }],
    ['PUT', '/Task/1', { kind: 'update', resourceType: 'Task', id: '1' }],
    ['DELETE', '/Task/1', { kind: 'delete', resourceType: 'Task', id: '1' }],
    ['GET', '/Task/1/_history', { kind: 'history-instance', resourceType: 'Task', id: '1' }],
    ['GET', '/Task/1/_history/2', { kind: 'vread', resourceType: 'Task', id: '1', versionId: '2' }],
    ['POST', '/$reindex', { kind: 'operation', operation: 'reindex', level: 'system' }],
    ['GET', '/PlanDefinition/$apply', { kind: 'operation', resourceType: 'PlanDefinition', operation: 'apply', level: 'type' }],
    ['POST', '/PlanDefinition/p1/$apply', { kind: 'operation', resourceType: 'PlanDefinition', id: 'p1', operation: 'apply', level: 'instance' }],
    ['PATCH', '/Task/1', { kind: 'patch', resourceType: 'Task', id: '1' }],
    ['PATCH', '/Task', { kind: 'patch', resourceType: 'Task' }],
    ['GET', '/Patient/p1/Observation', { kind: 'search-type', resourceType: 'Observation', compartment: { resourceType: 'Patient', id: 'p1' } }],
    ['POST', '/Patient/p1/Observation', { kind: 'unknown' }],
    ['GET', '/Task/1/x/y/z', { kind: 'unknown' }],
    // Trailing slash, percent-encoding, empty segments, operations by other methods.
    ['GET', '/Task/1/', { kind: 'read', resourceType: 'Task', id: '1' }],
    ['GET', '/Task/a%2Eb', { kind: 'read', resourceType: 'Task', id: 'a.b' }],
    ['GET', '/Task/%E0%A4%A', { kind: 'unknown', malformed: true }],
    ['GET', '/Task//1', { kind: 'unknown' }],
    ['DELETE', '/$reindex', { kind: 'unknown' }],
    ['HEAD', '/$reindex', { kind: 'operation', operation: 'reindex' }],
    ['GET', '/Task/_search', { kind: 'unknown' }],
    ['GET', '/Patient/p1/foo', { kind: 'unknown' }],
  ])('%s %s', (method, path, expected) => {
    expect(classify(method, path)).toMatchObject(expected);
  });

  test('the scope an interaction needs', () => {
    expect(classify('GET', '/Observation/1').scope).toEqual({ resourceTypes: ['Observation'], permission: 'r' });
    expect(classify('POST', '/Observation/_search').scope).toEqual({ resourceTypes: ['Observation'], permission: 's' });
    expect(classify('PUT', '/Observation').scope).toEqual({ resourceTypes: ['Observation'], permission: 'u' });
    expect(classify('GET', '/', '_type=Patient,%20Observation&name=x').scope).toEqual({ resourceTypes: ['Patient', 'Observation'], permission: 's' });
    expect(classify('GET', '/Patient/p1/Observation').scope).toEqual({ resourceTypes: ['Observation'], permission: 's' });
    expect(classify('POST', '/').scope).toBeUndefined();
  });

  test('who may ask without a token', () => {
    expect(classify('GET', '/metadata').anonymous).toBe('always');
    expect(classify('GET', '/Library/1').anonymous).toBe('public-types');
    expect(classify('GET', '/Library/_history').anonymous).toBe('never');
    expect(classify('POST', '/Library').anonymous).toBe('never');
    expect(classify('GET', '/$versions').anonymous).toBe('never');
  });
});
