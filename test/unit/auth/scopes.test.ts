import { parseResourceScope, parseScopes, scopeCovers } from '../../../src/auth/scopes';

const perms = (text: string) => [...(parseResourceScope(text)?.permissions ?? [])].join('');

describe('SMART scopes', () => {
  test('v2 permissions are an in-order subset of cruds', () => {
    expect(perms('patient/Observation.rs')).toBe('rs');
    expect(perms('user/*.cruds')).toBe('cruds');
    expect(perms('system/Task.cu')).toBe('cu');
    expect(parseResourceScope('patient/Observation.dus')).toBeUndefined();
    expect(parseResourceScope('patient/Observation.rr')).toBeUndefined();
    expect(parseResourceScope('patient/Observation.')).toBeUndefined();
    expect(parseResourceScope('patient/Observation.x')).toBeUndefined();
  });

  test('v1 .read, .write and .* map onto rs, cud and cruds', () => {
    expect(perms('patient/Observation.read')).toBe('rs');
    expect(perms('user/Task.write')).toBe('cud');
    expect(perms('system/*.*')).toBe('cruds');
  });

  test('granular scopes keep their query; v1 scopes take none', () => {
    const scope = parseResourceScope('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory');
    expect(scope?.query).toEqual([['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory']]);
    expect(parseResourceScope('patient/Task.rs?status=requested&priority=urgent')?.query).toEqual([
      ['status', 'requested'],
      ['priority', 'urgent'],
    ]);
    expect(parseResourceScope('patient/Task.read?status=requested')).toBeUndefined();
    expect(parseResourceScope('patient/Task.rs?')).toBeUndefined();
  });

  test('unknown types, contexts and non-clinical scopes are not clinical scopes', () => {
    expect(parseResourceScope('patient/Tomato.rs')).toBeUndefined();
    expect(parseResourceScope('admin/Task.rs')).toBeUndefined();
    expect(parseScopes('openid fhirUser launch/patient patient/*.rs offline_access')).toMatchObject({
      resources: [{ context: 'patient', resourceType: '*' }],
      other: ['openid', 'fhirUser', 'launch/patient', 'offline_access'],
    });
    expect(parseScopes(['system/Task.rs', 'system/Patient.r']).resources).toHaveLength(2);
  });

  test('a registered scope covers a request within it', () => {
    const covers = (allowed: string, requested: string) => scopeCovers(parseResourceScope(allowed)!, parseResourceScope(requested)!);
    expect(covers('system/*.rs', 'system/Task.rs')).toBe(true);
    expect(covers('system/*.rs', 'system/Task.r')).toBe(true);
    expect(covers('system/*.rs', 'system/*.rs')).toBe(true);
    expect(covers('system/Task.rs', 'system/*.rs')).toBe(false);
    expect(covers('system/*.rs', 'system/Task.cu')).toBe(false);
    expect(covers('system/*.rs', 'user/Task.rs')).toBe(false);
    expect(covers('system/*.cruds', 'system/Task.read')).toBe(true);
    expect(covers('patient/Task.rs?status=requested', 'patient/Task.rs?status=requested')).toBe(true);
    expect(covers('patient/Task.rs?status=requested', 'patient/Task.rs')).toBe(false);
    expect(covers('patient/Task.rs', 'patient/Task.rs?status=requested')).toBe(true);
  });

  test('a wildcard does not reach AuditEvent', () => {
    const covers = (allowed: string, requested: string) => scopeCovers(parseResourceScope(allowed)!, parseResourceScope(requested)!);
    expect(covers('system/*.rs', 'system/AuditEvent.rs')).toBe(false);
    expect(covers('system/AuditEvent.rs', 'system/AuditEvent.r')).toBe(true);
  });
});
