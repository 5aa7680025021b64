import { classifyFhirRequest } from '../../../src/auth/request-classification';

describe('classifyFhirRequest', () => {
  test.each([
    ['GET', '/metadata', { interaction: 'capabilities' }],
    ['GET', '/', { interaction: 'search-system' }],
    ['POST', '/', { interaction: 'batch' }],
    ['GET', '/_history', { interaction: 'history-system' }],
    ['GET', '/Task', { interaction: 'search-type', resourceType: 'Task' }],
    ['POST', '/Task/_search', { interaction: 'search-type', resourceType: 'Task' }],
    ['POST', '/Task', { interaction: 'create', resourceType: 'Task' }],
    ['PUT', '/Task', { interaction: 'update', resourceType: 'Task' }],
    ['DELETE', '/Task', { interaction: 'delete', resourceType: 'Task' }],
    ['GET', '/Task/_history', { interaction: 'history-type', resourceType: 'Task' }],
    ['GET', '/Task/1', { interaction: 'read', resourceType: 'Task', id: '1' }],
    ['HEAD', '/Task/1', { interaction: 'read', resourceType: 'Task', id: '1' }],
    ['PUT', '/Task/1', { interaction: 'update', resourceType: 'Task', id: '1' }],
    ['DELETE', '/Task/1', { interaction: 'delete', resourceType: 'Task', id: '1' }],
    ['GET', '/Task/1/_history', { interaction: 'history-instance', resourceType: 'Task', id: '1' }],
    ['GET', '/Task/1/_history/2', { interaction: 'vread', resourceType: 'Task', id: '1' }],
    ['POST', '/$reindex', { interaction: 'operation', operation: 'reindex' }],
    ['GET', '/PlanDefinition/$apply', { interaction: 'operation', resourceType: 'PlanDefinition', operation: 'apply' }],
    ['POST', '/PlanDefinition/p1/$apply', { interaction: 'operation', resourceType: 'PlanDefinition', id: 'p1', operation: 'apply' }],
    ['PATCH', '/Task/1', { interaction: 'patch', resourceType: 'Task', id: '1' }],
    ['PATCH', '/Task', { interaction: 'patch', resourceType: 'Task' }],
    ['GET', '/Patient/p1/Observation', { interaction: 'search-type', resourceType: 'Observation' }],
    ['POST', '/Patient/p1/Observation', { interaction: 'unknown' }],
    ['GET', '/Task/1/x/y/z', { interaction: 'unknown' }],
  ])('%s %s', (method, path, expected) => {
    expect(classifyFhirRequest(method, path)).toEqual(expected);
  });
});
