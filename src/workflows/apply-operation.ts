import { parseTemporal } from '../fhir/temporal';
import type {
  DocumentReference,
  ValueSet,
  Patient,
  PlanDefinition,
  PlanDefinitionAction,
  Procedure,
  Questionnaire,
  Reference,
  ServiceRequest,
} from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { hasErrors } from '../fhir/validation/validator';
import { Terminology } from '../fhir/validation/terminology';
import type { Expansion } from '../fhir/terminology/value-set-expander';
import type { ResourceService } from '../services/resource-service';
import { isReferenceMoment, orderDate } from './action-timing';
import { applyPlanDefinition } from './apply-plan';
import {
  findQuestionnaire,
  latestCompletedResponse,
  localBases,
  parseReference,
  readReference,
  searchResources,
  splitCanonical,
} from './fhir-lookup';
import {
  parameterLocation,
  referenceParameter,
  resourceParameter,
  stringParameter,
  unknownParameters,
} from './operation-parameters';
import type { Operation, OperationRequest } from '../operations/operation';

/** R4 $apply parameters, plus ours (documented below). */
const R4_PARAMETERS = [
  'planDefinition',
  'subject',
  'encounter',
  'practitioner',
  'organization',
  'userType',
  'userLanguage',
  'userTaskContext',
  'setting',
  'settingContext',
];
const OUR_PARAMETERS = ['order', 'procedureDate'];

/**
 * `PlanDefinition/$apply` (R4 OperationDefinition PlanDefinition-apply): the plan made personal
 * and dated for one patient, returned as a CarePlan (see workflows/apply-plan.ts). Persists
 * nothing: the caller may POST the CarePlan (or its contained Tasks) if it wants to keep it.
 *
 * In (R4): `subject` (required, exactly one Patient, e.g. Patient/123); `planDefinition` (type
 * level only: the PlanDefinition resource, or its canonical URL); `practitioner` (becomes the
 * author and the Tasks' requester); `encounter` (CarePlan.encounter). `organization`,
 * `userType`, `userLanguage`, `userTaskContext`, `setting`, `settingContext` are accepted and
 * do not change the result.
 * In (ours): `order` = the ServiceRequest or Procedure of the surgery (`%order` in conditions;
 * day 0 = its occurrence[x] / performed[x] start); `procedureDate` = day 0 as a date or
 * dateTime (wins over the order's date). One of the two must give day 0.
 * `%response` is the patient's latest completed response to the questionnaire a plan action
 * names in definitionCanonical.
 * Out: the CarePlan (R4: a single `return` resource is the body).
 */
export function applyOperation(options: { baseUrl: () => string; now?: () => string }): Operation {
  const now = options.now ?? (() => new Date().toISOString());
  return {
    name: 'apply',
    resourceTypes: ['PlanDefinition'],
    system: false,
    type: true,
    instance: true,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/apply',
    affectsState: false,
    documentation:
      'R4 $apply for one Patient subject; returns a CarePlan with a contained RequestGroup (dated actions) and Tasks, not stored. Extra parameters: order (ServiceRequest/Procedure of the surgery) and procedureDate (date or dateTime); one of them gives day 0.',
    async execute(request) {
      const unknown = unknownParameters(request.parameters, [...R4_PARAMETERS, ...OUR_PARAMETERS]);
      if (unknown.length > 0)
        throw FhirError.badRequest(
          `$apply does not know the parameter(s) ${unknown.join(', ')}`,
          parameterLocation(unknown[0]),
        );
      const service = request.service;
      const plan = await selectPlan(request);
      const patient = await readSubject(service, request);
      const order = await readOrder(service, request, patient);
      const dayZero = procedureDate(request, order);
      const practitioner = optionalReference(request, 'practitioner');
      const encounter = optionalReference(request, 'encounter');

      const actions = flatten(plan.action ?? []);
      const questionnaires = new Map<string, Questionnaire>();
      for (const canonical of new Set(
        actions.map((a) => a.definitionCanonical).filter((c): c is string => c !== undefined),
      )) {
        const found = await findQuestionnaire(service, canonical);
        if (found) questionnaires.set(canonical, found);
      }
      const firstQuestionnaire = [...questionnaires.values()][0];
      const response = firstQuestionnaire?.url
        ? await latestCompletedResponse(service, `Patient/${patient.id}`, firstQuestionnaire.url)
        : undefined;
      const documents = await findDocuments(service, actions, options.baseUrl());
      const valueSets = await findConditionValueSets(service, actions);

      const { carePlan, problems } = applyPlanDefinition({
        plan,
        patient,
        order,
        response,
        dayZero,
        practitioner,
        encounter,
        questionnaires,
        valueSets,
        documents,
        now: now(),
      });
      if (hasErrors(problems)) throw FhirError.unprocessable(problems);
      return { status: 200, body: carePlan };
    },
  };
}

function flatten(actions: PlanDefinitionAction[]): PlanDefinitionAction[] {
  return actions.flatMap((a) => [a, ...flatten(a.action ?? [])]);
}

async function selectPlan(request: OperationRequest): Promise<PlanDefinition> {
  const service = request.service;
  const given = request.parameters.parameter?.some((p) => p.name === 'planDefinition') ?? false;
  if (request.id !== undefined) {
    // R4: at the instance level the planDefinition parameter is not allowed.
    if (given)
      throw FhirError.badRequest(
        'planDefinition is not allowed at the instance level',
        parameterLocation('planDefinition'),
      );
    return JSON.parse((await service.read('PlanDefinition', request.id)).content) as PlanDefinition;
  }
  if (!given)
    throw FhirError.badRequest(
      'At the type level $apply needs planDefinition (the resource, or its canonical URL)',
      parameterLocation('planDefinition'),
    );
  const inline = request.parameters.parameter!.find((p) => p.name === 'planDefinition')!.resource;
  if (inline !== undefined)
    return resourceParameter<PlanDefinition>(request.parameters, 'planDefinition', 'PlanDefinition')!;
  const canonical = stringParameter(request.parameters, 'planDefinition')!;
  const { url, version } = splitCanonical(canonical);
  const params: [string, string][] = [['url', url]];
  if (version !== undefined) params.push(['version', version]);
  const found = await searchResources<PlanDefinition>(service, 'PlanDefinition', params);
  if (found.length === 0)
    throw FhirError.notFound(`PlanDefinition ${canonical} is not known`, parameterLocation('planDefinition'));
  return found.sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '', 'en', { numeric: true }))[0];
}

async function readSubject(service: ResourceService, request: OperationRequest): Promise<Patient> {
  const subjects = (request.parameters.parameter ?? []).filter((p) => p.name === 'subject');
  if (subjects.length !== 1) {
    throw FhirError.badRequest(
      `$apply takes exactly one subject (a Patient), got ${subjects.length}`,
      parameterLocation('subject'),
    );
  }
  const reference = referenceParameter(request.parameters, 'subject')!;
  const target = parseReference(reference, localBases(service));
  if (target?.resourceType !== 'Patient')
    throw FhirError.badRequest(
      `subject must be a Patient reference such as Patient/123, got "${reference}"`,
      parameterLocation('subject'),
    );
  const patient = await readReference<Patient>(service, reference);
  if (patient === undefined)
    throw FhirError.notFound(`${reference} is not known`, parameterLocation('subject'));
  return patient;
}

async function readOrder(
  service: ResourceService,
  request: OperationRequest,
  patient: Patient,
): Promise<ServiceRequest | Procedure | undefined> {
  const reference = referenceParameter(request.parameters, 'order');
  if (reference === undefined) return undefined;
  const target = parseReference(reference, localBases(service));
  if (target?.resourceType !== 'ServiceRequest' && target?.resourceType !== 'Procedure') {
    throw FhirError.badRequest(
      `order must reference a ServiceRequest or a Procedure, got "${reference}"`,
      parameterLocation('order'),
    );
  }
  const order = await readReference<ServiceRequest | Procedure>(service, reference);
  if (order === undefined) throw FhirError.notFound(`${reference} is not known`, parameterLocation('order'));
  const subject = parseReference(order.subject?.reference, localBases(service));
  if (subject?.resourceType !== 'Patient' || subject.id !== patient.id) {
    throw FhirError.of(
      422,
      'business-rule',
      `${reference} is not an order for Patient/${patient.id}`,
      parameterLocation('order'),
    );
  }
  return order;
}

/** Day 0: the procedureDate parameter, else the order's occurrence / performed date. */
function procedureDate(request: OperationRequest, order: ServiceRequest | Procedure | undefined): string {
  const given = stringParameter(request.parameters, 'procedureDate');
  if (given !== undefined) {
    if (!isReferenceMoment(given)) {
      const parts = parseTemporal(given);
      const why = typeof parts === 'string' ? ` ("${given}" ${parts})` : `, got "${given}"`;
      throw FhirError.badRequest(
        `procedureDate must be a date (YYYY-MM-DD) or a dateTime with a time zone${why}`,
        parameterLocation('procedureDate'),
      );
    }
    return given;
  }
  const fromOrder = order !== undefined ? orderDate(order) : undefined;
  if (fromOrder === undefined) {
    const why =
      order === undefined
        ? 'no order was given'
        : `${order.resourceType}/${order.id} has no ${order.resourceType === 'Procedure' ? 'performed' : 'occurrence'} date`;
    throw FhirError.badRequest(
      `$apply needs the procedure date: give procedureDate, or an order with a date (${why})`,
      parameterLocation('procedureDate'),
    );
  }
  if (!isReferenceMoment(fromOrder)) {
    throw FhirError.of(
      422,
      'processing',
      `The date of the order (${fromOrder}) is not a full date or a dateTime with a time zone`,
      parameterLocation('order'),
    );
  }
  return fromOrder;
}

function optionalReference(request: OperationRequest, name: string): Reference | undefined {
  const reference = referenceParameter(request.parameters, name);
  if (reference === undefined) return undefined;
  if (parseReference(reference, localBases(request.service)) === undefined)
    throw FhirError.badRequest(
      `${name} must be a literal reference such as Practitioner/123`,
      parameterLocation(name),
    );
  return { reference };
}

/** The stored DocumentReference for each documentation url of the plan (identified by that url). */
async function findDocuments(service: ResourceService, actions: PlanDefinitionAction[], baseUrl: string) {
  const documents = new Map<string, { reference: string; url: string; display?: string }>();
  const urls = new Set(
    actions
      .flatMap((a) => a.documentation ?? [])
      .map((d) => d.url)
      .filter((u): u is string => u !== undefined),
  );
  for (const url of urls) {
    const found = await searchResources<DocumentReference>(service, 'DocumentReference', [
      ['identifier', url],
    ]);
    if (found.length !== 1) continue;
    const doc = found[0];
    documents.set(url, {
      reference: `DocumentReference/${doc.id}`,
      url: `${baseUrl}/DocumentReference/${doc.id}`,
      display: doc.description,
    });
  }
  return documents;
}

/**
 * The ValueSets the plan's conditions name in `memberOf('url')`, expanded (enumerated codes).
 * One that is not stored, or cannot be expanded from its own content, is left out: the
 * condition naming it then fails with a message saying which.
 */
async function findConditionValueSets(
  service: ResourceService,
  actions: PlanDefinitionAction[],
): Promise<Map<string, Expansion>> {
  const urls = new Set(
    actions
      .flatMap((a) => a.condition ?? [])
      .flatMap((c) => [...(c.expression?.expression ?? '').matchAll(/memberOf\(\s*'([^']+)'\s*\)/g)])
      .map((m) => m[1].split('|')[0]),
  );
  const expansions = new Map<string, Expansion>();
  for (const url of urls) {
    const [valueSet] = await searchResources<ValueSet>(service, 'ValueSet', [['url', url]]);
    const codes = valueSet ? new Terminology([valueSet]).expand(url) : undefined;
    if (codes) expansions.set(url, codes);
  }
  return expansions;
}
