import type { OperationOutcome, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { issue, operationOutcome } from '../fhir/operation-outcome';
import { asResource } from '../fhir/resource-body';
import type { Operation } from './operation';
import { parameterValue, parameterValues } from './operation';

const MODES = ['create', 'update', 'delete'];

/**
 * `$validate` (R4 resource-operation-validate): checks a resource against the base spec, our
 * profiles and the workflow rules, without storing it. Answers 200 with an OperationOutcome
 * listing every problem (an informational issue when there is none).
 */
export const validateOperation: Operation = {
  name: 'validate',
  resourceTypes: '*',
  system: false,
  type: true,
  instance: true,
  definition: 'https://patient-education.dev/fhir/OperationDefinition/validate',
  affectsState: false,
  documentation: 'Validates a resource (body, or Parameters with resource/mode/profile) against the base spec and our profiles.',
  async execute(request) {
    const mode = parameterValue(request.parameters, 'mode');
    if (mode !== undefined && (typeof mode !== 'string' || !MODES.includes(mode))) {
      throw FhirError.badRequest(`mode must be one of ${MODES.join(', ')}`, 'Parameters.parameter.where(name=\'mode\')');
    }
    const profiles = parameterValues(request.parameters, 'profile').filter((p): p is string => typeof p === 'string');
    let resource: Resource | undefined = request.body ?? (parameterValue(request.parameters, 'resource') as Resource | undefined);
    if (mode === 'delete') {
      if (request.id === undefined) throw FhirError.badRequest('mode=delete needs an instance: [type]/[id]/$validate');
      await request.service.read(request.resourceType!, request.id);
      return { status: 200, body: ok('The resource can be deleted') };
    }
    if (resource === undefined && request.id !== undefined) {
      resource = JSON.parse((await request.service.read(request.resourceType!, request.id)).content) as Resource;
    }
    if (resource === undefined) throw FhirError.badRequest('Nothing to validate: send the resource as the body or as the "resource" parameter');
    resource = asResource(resource, request.resourceType);
    if (mode === 'update' && request.id !== undefined && resource.id !== request.id) {
      return {
        status: 200,
        body: operationOutcome([issue('error', 'invalid', `The id in the resource (${resource.id ?? 'none'}) must be ${request.id}`, `${resource.resourceType}.id`)]),
      };
    }
    const issues = await request.service.validate(resource, profiles.length > 0 ? profiles : undefined);
    const body: OperationOutcome = issues.length > 0 ? operationOutcome(issues) : ok('No issues found');
    return { status: 200, body };
  },
};

function ok(message: string): OperationOutcome {
  return operationOutcome([issue('information', 'informational', message)]);
}
