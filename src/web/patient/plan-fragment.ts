import type { CarePlan, Parameters, PlanDefinition, Procedure, ServiceRequest } from 'fhir/r4';
import { FhirError } from '../../fhir/fhir-error';
import type { ServerContext } from '../../services/server-context';
import { searchResources } from '../../workflows/fhir-lookup';
import { escapeHtml } from './layout';
import { planPhases, renderPlan } from './plan-page';
import { TEXTS } from './texts';

/** The education plan of an order: the `procedure` search with the order's codes. */
async function planOf(ctx: ServerContext, order: ServiceRequest | Procedure): Promise<PlanDefinition | undefined> {
  const codes = (order.code?.coding ?? []).filter((c) => c.system && c.code).map((c) => `${c.system}|${c.code}`.replace(/,/g, '\\,'));
  if (codes.length === 0) return undefined;
  const found = await searchResources<PlanDefinition>(ctx.service, 'PlanDefinition', [['procedure', codes.join(',')]]);
  return found.find((p) => p.status === 'active') ?? found[0];
}

function surgeryDayOf(order: ServiceRequest | Procedure): string | undefined {
  const moment = order.resourceType === 'ServiceRequest' ? (order.occurrenceDateTime ?? order.occurrencePeriod?.start) : (order.performedDateTime ?? order.performedPeriod?.start);
  return moment === undefined ? undefined : /^\d{4}-\d{2}-\d{2}/.exec(moment)?.[0];
}

/**
 * A patient's dated plan for an order as the patient's plan page shows it (an HTML fragment):
 * the order's plan applied (`$apply`) for the patient and order, rendered by `renderPlan`.
 * The caller has checked that the order may be shown; the plan and its handout are library
 * content, read with the server's own access. Without a plan the fragment says so.
 */
export async function planFragment(ctx: ServerContext, order: ServiceRequest | Procedure | undefined, patientId: string): Promise<string> {
  const unavailable = `<p>${escapeHtml(TEXTS.planUnavailable)}</p>`;
  const plan = order !== undefined ? await planOf(ctx, order) : undefined;
  const apply = ctx.operations.get('apply');
  if (order === undefined || plan === undefined || apply === undefined) return unavailable;
  const parameters: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'subject', valueReference: { reference: `Patient/${patientId}` } },
      { name: 'order', valueReference: { reference: `${order.resourceType}/${order.id}` } },
    ],
  };
  let carePlan: CarePlan;
  try {
    const result = await apply.execute({ resourceType: 'PlanDefinition', id: plan.id, parameters, body: undefined, service: ctx.service, method: 'POST' });
    carePlan = result.body as CarePlan;
  } catch (error) {
    if (error instanceof FhirError && error.status < 500) return unavailable;
    throw error;
  }
  const phases = await planPhases(carePlan, ctx.service);
  return renderPlan({ phases, planDefinitionId: plan.id!, surgeryDay: surgeryDayOf(order), today: new Date().toISOString().slice(0, 10) });
}
