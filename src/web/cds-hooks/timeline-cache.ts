import type { Patient, PlanDefinition, PlanDefinitionAction, ServiceRequest } from 'fhir/r4';
import { conditionInputs, type ConditionInputs } from './condition-inputs';
import type { TimelinePhase } from './timeline';

/** Keys longer than this (an order with a large body) are computed every time rather than kept. */
const MAX_KEY_LENGTH = 4096;
/** FHIRPath functions whose value changes while the inputs stay the same. */
const CLOCK = /\b(now|today|timeOfDay)\s*\(/;

interface PlanConditions {
  /** What the plan's applicability conditions read; undefined when it has none. */
  inputs: ConditionInputs | undefined;
  /** A condition reads the clock: its result is not a function of the inputs. */
  readsClock: boolean;
}

function conditionsOf(plan: PlanDefinition): PlanConditions {
  const expressions: string[] = [];
  const visit = (actions: PlanDefinitionAction[]) => {
    for (const action of actions) {
      for (const condition of action.condition ?? []) {
        // Other languages are refused by $apply without reading anything.
        if (condition.kind === 'applicability' && condition.expression?.language === 'text/fhirpath' && condition.expression.expression !== undefined) {
          expressions.push(condition.expression.expression);
        }
      }
      visit(action.action ?? []);
    }
  };
  visit(plan.action ?? []);
  if (expressions.length === 0) return { inputs: undefined, readsClock: false };
  return { inputs: conditionInputs(expressions), readsClock: expressions.some((e) => CLOCK.test(e)) };
}

/** The order's elements named `name` in FHIRPath: the element, its choice forms (occurrence → occurrenceDateTime) and their `_` extensions. */
function orderElements(order: ServiceRequest, names: Set<string>): [string, unknown][] {
  return Object.entries(order)
    .filter(([key]) => {
      const bare = key.startsWith('_') ? key.slice(1) : key;
      return [...names].some((name) => bare === name || (bare.startsWith(name) && /^[A-Z]/.test(bare.slice(name.length))));
    })
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The part of the inputs the conditions can read, as text. */
function inputsKey(inputs: ConditionInputs, patient: Patient, order: ServiceRequest | undefined): string {
  const patientPart = inputs.patient || inputs.unknown ? JSON.stringify(patient) : '';
  const orderPart = inputs.order === 'all' || inputs.unknown ? JSON.stringify(order ?? null) : JSON.stringify(order === undefined ? null : orderElements(order, inputs.order));
  return `|${patientPart}|${orderPart}`;
}

/**
 * The preparation phases of the cards, kept per plan version and what applying the plan can read
 * for them: day 0, and — when the plan has applicability conditions — what of the patient and
 * the order its conditions read (condition-inputs.ts: e.g. only `code` of the order for
 * `%order.code.memberOf(…)`). The cards apply plans without a %response, so it is the same for
 * every call. A plan whose conditions read the clock is applied on every call. The phases are a
 * function of these inputs alone (workflows/apply-plan.ts is pure), so a kept value is the value
 * the call would compute.
 */
export class TimelineCache {
  private readonly entries = new Map<string, TimelinePhase[]>();
  private readonly plans = new WeakMap<PlanDefinition, PlanConditions>();

  constructor(private readonly maxEntries = 5000) {}

  phases(plan: PlanDefinition, dayZero: string, patient: Patient, order: ServiceRequest | undefined, compute: () => TimelinePhase[]): TimelinePhase[] {
    let conditions = this.plans.get(plan);
    if (conditions === undefined) {
      conditions = conditionsOf(plan);
      this.plans.set(plan, conditions);
    }
    if (conditions.readsClock) return compute();
    const inputs = conditions.inputs === undefined ? '' : inputsKey(conditions.inputs, patient, order);
    const key = `${plan.id}|${plan.meta?.versionId ?? ''}|${plan.meta?.lastUpdated ?? ''}|${dayZero}${inputs}`;
    if (key.length > MAX_KEY_LENGTH) return compute();
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const phases = compute();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, phases);
    return phases;
  }
}
