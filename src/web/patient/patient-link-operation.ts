import type { Parameters, Task } from 'fhir/r4';
import type { ServerConfig } from '../../config';
import { forbidden } from '../../auth/auth-errors';
import { AuthorizedResourceService } from '../../auth/authorized-resource-service';
import { closedLinkReason, signPatientLinkToken, taskDueDate } from '../../auth/patient-link-token';
import type { SigningKeys } from '../../auth/signing-keys';
import { authBaseUrl } from '../../auth/smart-configuration';
import { FhirError } from '../../fhir/fhir-error';
import type { Operation } from '../../operations/operation';
import { localBases, parseReference } from '../../workflows/fhir-lookup';
import { unknownParameters } from '../../workflows/operation-parameters';
import { publicOrigin } from '../public-origin';

const DAY_MS = 24 * 60 * 60 * 1000;


/**
 * When a link made now for this Task stops working: the end of the Task's due date plus the
 * configured days, or, without a due date, the configured lifetime from now.
 */
export function linkExpiry(task: Task, config: Pick<ServerConfig, 'patientLinkDaysAfterDue' | 'patientLinkDaysWithoutDue'>, now: Date): Date {
  const due = taskDueDate(task);
  if (due === undefined) return new Date(now.getTime() + config.patientLinkDaysWithoutDue * DAY_MS);
  // A date without a time is due at the end of that day.
  const end = /^\d{4}-\d{2}-\d{2}$/.test(due) ? new Date(`${due}T23:59:59Z`) : new Date(due);
  if (Number.isNaN(end.getTime())) return new Date(now.getTime() + config.patientLinkDaysWithoutDue * DAY_MS);
  return new Date(end.getTime() + config.patientLinkDaysAfterDue * DAY_MS);
}

/**
 * `Task/{id}/$patient-link` (profiles/OperationDefinition-patient-link.json): a link a patient
 * opens to see their plan and answer the questionnaire of this assignment. The token travels
 * in the URL fragment, which browsers never send to a server. Making one needs the care
 * team's access (update on every Task); it is refused for an assignment that is closed or
 * past its link expiry.
 */
export function patientLinkOperation(options: { config: ServerConfig; keys: () => SigningKeys; now?: () => Date }): Operation {
  const now = options.now ?? (() => new Date());
  return {
    name: 'patient-link',
    resourceTypes: ['Task'],
    system: false,
    type: false,
    instance: true,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/patient-link',
    affectsState: false,
    documentation:
      'Makes a link for the patient of this assignment Task: their dated plan and their questionnaire, with a signed token in the URL fragment that reaches only that patient\'s data and ends when the Task is closed or past its due date.',
    async execute(request) {
      if (request.method !== 'POST') throw FhirError.of(405, 'not-supported', '$patient-link makes a new link: call it with POST');
      const unknown = unknownParameters(request.parameters, []);
      if (unknown.length > 0) throw FhirError.badRequest(`$patient-link takes no parameters (got ${unknown.join(', ')})`, `Parameters.parameter[0]`);
      const service = request.service;
      if (service instanceof AuthorizedResourceService && service.access.policy.access('Task', 'u').kind !== 'all') {
        throw forbidden('Patient links are made by the care team: $patient-link needs a scope such as system/Task.u or user/Task.u without a query');
      }
      const task = JSON.parse((await service.read('Task', request.id!)).content) as Task;
      const patient = parseReference(task.for?.reference, localBases(service));
      if (patient?.resourceType !== 'Patient') {
        throw FhirError.of(422, 'business-rule', 'The Task is not for a patient (Task.for must reference a Patient)', 'Task.for');
      }
      const closed = closedLinkReason(task, patient.id);
      if (closed !== undefined) throw FhirError.of(409, 'business-rule', `No patient link can be made: ${closed.replace("the patient link's Task", 'the Task')}`, 'Task.status');
      const issuedAt = now();
      const expiresAt = linkExpiry(task, options.config, issuedAt);
      if (expiresAt.getTime() <= issuedAt.getTime()) {
        throw FhirError.of(409, 'business-rule', 'No patient link can be made: the Task is past its due date (executionPeriod.end)', 'Task.executionPeriod.end');
      }
      const baseUrl = options.config.baseUrl;
      const token = await signPatientLinkToken(options.keys(), { audience: baseUrl, issuer: authBaseUrl(baseUrl), taskId: task.id!, patientId: patient.id, expiresAt });
      const origin = publicOrigin(baseUrl);
      const parameters: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'url', valueUri: `${origin}/my/questionnaire#${token}` },
          { name: 'plan', valueUri: `${origin}/my/plan#${token}` },
          { name: 'expires', valueInstant: expiresAt.toISOString() },
        ],
      };
      return { status: 200, body: parameters };
    },
  };
}
