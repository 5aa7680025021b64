import { hasErrors } from '../../../src/fhir/validation';
import { sharedValidator } from './fixtures';

describe('references', () => {
  test('a Reference with only an identifier is valid (ref-1 is unknown, not violated, without a reference)', () => {
    const task = {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      for: { identifier: { system: 'urn:mrn', value: '123' } },
      owner: { display: 'The front desk' },
    };
    expect(hasErrors(sharedValidator().validate(task))).toBe(false);
  });

  test('a local reference to a contained resource that is not there still breaks ref-1', () => {
    const task = { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: '#missing' } };
    const issues = sharedValidator().validate(task);
    expect(hasErrors(issues)).toBe(true);
    expect(issues.map((i) => i.diagnostics).join(' ')).toContain('ref-1');
  });
});
