import type { OperationOutcomeIssue, Parameters, Patient, Questionnaire } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { issue, operationOutcome } from '../fhir/operation-outcome';
import type { ResourceService } from '../services/resource-service';
import {
  findQuestionnaire,
  latestCompletedResponse,
  localBases,
  parseReference,
  readReference,
  searchResources,
} from './fhir-lookup';
import {
  booleanParameter,
  identifierParameter,
  parameterLocation,
  referenceParameter,
  resourceParameter,
  stringParameter,
  unknownParameters,
} from './operation-parameters';
import { populateResponse } from './populate-response';
import type { Operation, OperationRequest } from '../operations/operation';

const KNOWN = [
  'identifier',
  'canonical',
  'questionnaire',
  'questionnaireRef',
  'subject',
  'context',
  'local',
  'launchContext',
];

/**
 * `Questionnaire/$populate` (SDC, http://hl7.org/fhir/uv/sdc/OperationDefinition/Questionnaire-populate):
 * a new in-progress QuestionnaireResponse for `subject`, pre-filled from what the server knows
 * about the subject when `local` is true (the Patient's elements named by item.definition, and
 * the carried-forward items of the subject's previous completed response). Nothing is stored.
 *
 * In: instance level `[base]/Questionnaire/[id]/$populate`, or type level with exactly one of
 * `identifier`, `canonical`, `questionnaire` (the resource) or `questionnaireRef`; `subject`
 * (required, e.g. Patient/123); `local` (boolean, default false). `context` and `launchContext`
 * are not supported (a warning says they were ignored).
 * Out: Parameters with `response` (the QuestionnaireResponse) and `issues` (OperationOutcome:
 * what was filled in from where, and warnings).
 */
export function populateOperation(options: { now?: () => string } = {}): Operation {
  const now = options.now ?? (() => new Date().toISOString());
  return {
    name: 'populate',
    resourceTypes: ['Questionnaire'],
    system: false,
    type: true,
    instance: true,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/populate',
    affectsState: false,
    documentation:
      'SDC $populate: subject (required), local=true to pre-fill from the server (Patient elements named by item.definition; carried-forward items of the previous completed response); questionnaire by instance, identifier, canonical, questionnaire or questionnaireRef.',
    async execute(request) {
      const notes: OperationOutcomeIssue[] = [];
      const unknown = unknownParameters(request.parameters, KNOWN);
      if (unknown.length > 0)
        throw FhirError.badRequest(
          `$populate does not know the parameter(s) ${unknown.join(', ')}`,
          parameterLocation(unknown[0]),
        );
      for (const name of ['context', 'launchContext']) {
        if (request.parameters.parameter?.some((p) => p.name === name)) {
          notes.push(
            issue(
              'warning',
              'not-supported',
              `Parameter ${name} is not supported and was ignored`,
              parameterLocation(name),
            ),
          );
        }
      }
      const questionnaire = await selectQuestionnaire(request);
      const subjectReference = referenceParameter(request.parameters, 'subject');
      if (subjectReference === undefined)
        throw FhirError.badRequest(
          '$populate needs subject, e.g. subject=Patient/123',
          parameterLocation('subject'),
        );
      const subject = parseReference(subjectReference, localBases(request.service));
      if (subject === undefined)
        throw FhirError.badRequest(
          `subject must be a literal reference such as Patient/123, got "${subjectReference}"`,
          parameterLocation('subject'),
        );
      const local = booleanParameter(request.parameters, 'local') ?? false;

      let patient: Patient | undefined;
      let previous;
      if (local) {
        const record = await readReference<Patient>(request.service, `${subject.resourceType}/${subject.id}`);
        if (record === undefined)
          throw FhirError.notFound(
            `${subject.resourceType}/${subject.id} is not known`,
            parameterLocation('subject'),
          );
        if (record.resourceType === 'Patient') patient = record;
        if (questionnaire.url !== undefined)
          previous = await latestCompletedResponse(
            request.service,
            `${subject.resourceType}/${subject.id}`,
            questionnaire.url,
          );
      } else {
        notes.push(
          issue(
            'information',
            'informational',
            'local is not true: nothing was filled in from the server (SDC: local=true allows it)',
            parameterLocation('local'),
          ),
        );
      }
      const { response, issues } = populateResponse(questionnaire, {
        subject: { reference: `${subject.resourceType}/${subject.id}` },
        patient,
        previous,
        now: now(),
      });
      const all = [...notes, ...issues];
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [{ name: 'response', resource: response }],
      };
      if (all.length > 0) body.parameter!.push({ name: 'issues', resource: operationOutcome(all) });
      return { status: 200, body };
    },
  };
}

/** The Questionnaire to populate: the instance, or exactly one of the four selecting parameters. */
async function selectQuestionnaire(request: OperationRequest): Promise<Questionnaire> {
  const service: ResourceService = request.service;
  if (request.id !== undefined)
    return JSON.parse((await service.read('Questionnaire', request.id)).content) as Questionnaire;
  const given = ['identifier', 'canonical', 'questionnaire', 'questionnaireRef'].filter((n) =>
    request.parameters.parameter?.some((p) => p.name === n),
  );
  if (given.length !== 1) {
    throw FhirError.badRequest(
      `At the type level $populate needs exactly one of identifier, canonical, questionnaire or questionnaireRef (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  }
  const name = given[0];
  let found: Questionnaire | undefined;
  if (name === 'questionnaire') {
    found = resourceParameter<Questionnaire>(request.parameters, name, 'Questionnaire');
  } else if (name === 'questionnaireRef') {
    found = await readReference<Questionnaire>(service, referenceParameter(request.parameters, name));
  } else if (name === 'canonical') {
    found = await findQuestionnaire(service, stringParameter(request.parameters, name)!);
  } else {
    const identifier = identifierParameter(request.parameters, name)!;
    const token =
      identifier.system !== undefined
        ? `${identifier.system}|${identifier.value ?? ''}`
        : (identifier.value ?? '');
    const matches = await searchResources<Questionnaire>(service, 'Questionnaire', [['identifier', token]]);
    if (matches.length > 1)
      throw FhirError.of(
        422,
        'multiple-matches',
        `identifier ${token} names ${matches.length} Questionnaires`,
        parameterLocation(name),
      );
    found = matches[0];
  }
  if (found === undefined || found.resourceType !== 'Questionnaire')
    throw FhirError.notFound(`The Questionnaire given by ${name} is not known`, parameterLocation(name));
  return found;
}
