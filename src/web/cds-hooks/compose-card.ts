import type { Patient, Reference } from 'fhir/r4';
import { applyPlanDefinition } from '../../workflows/apply-plan';
import { educationCard, type CdsCard } from './card';
import type { EducationMatch } from './education-lookup';
import type { HookRequest } from './hook-request';
import { orderDayZero, orderReference } from './orders';
import { preparationPhases } from './timeline';
import type { TimelineCache } from './timeline-cache';
import { ID_CHARS } from '../../fhir/resource-types';

/** A CDS Hooks userId that is a reference to a Practitioner or PractitionerRole. */
const USER_REFERENCE = new RegExp(`^(Practitioner|PractitionerRole)\\/${ID_CHARS}$`);

/** Where the card's links and references point. */
export interface CardSettings {
  /** Public origin of the patient pages (BASE_URL without its /fhir). */
  origin: string;
  /** Our FHIR base URL. */
  fhirBase: string;
  smartAppUrl: string | undefined;
}

/** The user of the hook as a requester, when context.userId is a Practitioner or PractitionerRole (the hook's definition). */
function requesterOf(userId: string): Reference | undefined {
  return USER_REFERENCE.test(userId) ? { reference: userId } : undefined;
}

/**
 * The card for one matched plan. The preparation timeline is the plan applied with the same
 * code as PlanDefinition/$apply (workflows/apply-plan.ts: applicability conditions on
 * %patient and %order, offsets from day 0); without an order date, today stands in for day 0
 * and the card counts days from the surgery instead of naming dates.
 */
export function composeCard(match: EducationMatch, request: HookRequest, settings: CardSettings, now: Date, uuid: () => string, timelines: TimelineCache): CdsCard {
  const { plan, order } = match;
  const dayZero = orderDayZero(order);
  const timelineDayZero = dayZero ?? now.toISOString().slice(0, 10);
  const patient: Patient = { ...(request.patient ?? { resourceType: 'Patient' }), id: request.patientId };
  const questionnaireEntry = [...match.questionnaires.entries()][0];
  const serviceRequest = order.resourceType === 'ServiceRequest' ? order : undefined;
  const phases = timelines.phases(plan, timelineDayZero, patient, serviceRequest, () => {
    const { carePlan } = applyPlanDefinition({
      plan,
      patient,
      order: serviceRequest,
      dayZero: timelineDayZero,
      questionnaires: match.questionnaires,
      documents: new Map(),
      now: now.toISOString(),
    });
    return preparationPhases(carePlan, timelineDayZero);
  });
  return educationCard({
    plan,
    orderReference: orderReference(order),
    dayZero,
    phases,
    timelineDayZero,
    risks: match.risks,
    questionnaire: questionnaireEntry !== undefined ? { canonical: questionnaireEntry[0], resource: questionnaireEntry[1] } : undefined,
    patientId: request.patientId,
    encounterId: request.encounterId,
    requester: requesterOf(request.userId),
    origin: settings.origin,
    fhirBase: settings.fhirBase,
    smartAppUrl: settings.smartAppUrl,
    now: now.toISOString(),
    uuid,
  });
}
