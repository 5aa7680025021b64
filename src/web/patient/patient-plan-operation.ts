import type { Binary, ServiceRequest } from 'fhir/r4';
import { FhirError } from '../../fhir/fhir-error';
import type { Operation } from '../../operations/operation';
import type { ServerContext } from '../../services/server-context';
import { parseReference } from '../../workflows/fhir-lookup';
import { unknownParameters } from '../../workflows/operation-parameters';
import { planFragment } from './plan-fragment';

/**
 * `ServiceRequest/{id}/$patient-plan` (profiles/OperationDefinition-patient-plan.json): the
 * dated plan of the order's patient exactly as their plan page (/my/plan) shows it, as a
 * Binary of HTML, for the care team to see and print what the patient sees. The order is read
 * with the caller's access (a caller that may not read it gets 404 or 403); the plan and its
 * handout are library content.
 */
export function patientPlanOperation(options: { context: () => ServerContext }): Operation {
  return {
    name: 'patient-plan',
    resourceTypes: ['ServiceRequest'],
    system: false,
    type: false,
    instance: true,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/patient-plan',
    affectsState: false,
    documentation: "The dated plan of the order's patient as their plan page shows it: a Binary of HTML (the same steps, dates and marks as /my/plan).",
    async execute(request) {
      const unknown = unknownParameters(request.parameters, []);
      if (unknown.length > 0) throw FhirError.badRequest(`$patient-plan takes no parameters (got ${unknown.join(', ')})`, 'Parameters.parameter[0]');
      const order = JSON.parse((await request.service.read('ServiceRequest', request.id!)).content) as ServiceRequest;
      const patient = parseReference(order.subject?.reference);
      if (patient?.resourceType !== 'Patient') {
        throw FhirError.of(422, 'business-rule', 'The order is not for a patient (ServiceRequest.subject must reference a Patient)', 'ServiceRequest.subject');
      }
      const html = await planFragment(options.context(), order, patient.id);
      const binary: Binary = { resourceType: 'Binary', contentType: 'text/html', data: Buffer.from(html, 'utf8').toString('base64') };
      return { status: 200, body: binary };
    },
  };
}
