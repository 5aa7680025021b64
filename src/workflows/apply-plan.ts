import type {
  CarePlan,
  Goal,
  OperationOutcomeIssue,
  Patient,
  PlanDefinition,
  PlanDefinitionAction,
  Procedure,
  Questionnaire,
  QuestionnaireResponse,
  Reference,
  RelatedArtifact,
  RequestGroup,
  RequestGroupAction,
  ServiceRequest,
  Task,
} from 'fhir/r4';
import { issue } from '../fhir/operation-outcome';
import type { Expansion } from '../fhir/terminology/value-set-expander';
import { concreteTiming, span, TimingError } from './action-timing';
import {
  COMPLETE_QUESTIONNAIRE,
  PREOP_CONCERN_SYSTEM,
  QUESTIONNAIRE_TASK_PROFILE,
  SDC_INPUT_QUESTIONNAIRE,
  WORKFLOW_TASK_SYSTEM,
} from './codes';
import { evaluateCondition, requestBudget } from '../fhir/fhirpath/evaluate';

/** What $apply knows when it applies a plan to one patient. */
export interface ApplyContext {
  plan: PlanDefinition;
  patient: Patient;
  /** The ServiceRequest or Procedure of the surgery (`%order`), if known. */
  order?: ServiceRequest | Procedure;
  /** The patient's latest completed response to the plan's questionnaire (`%response`), if any. */
  response?: QuestionnaireResponse;
  /** Day 0 of the action timings: the procedure date (date or dateTime). */
  dayZero: string;
  practitioner?: Reference;
  encounter?: Reference;
  /** Questionnaires of this server, by the canonical an action's definitionCanonical uses. */
  questionnaires: ReadonlyMap<string, Questionnaire>;
  /** Expansions of the ValueSets the plan's conditions name in `memberOf(url)`, by url. */
  valueSets?: ReadonlyMap<string, Expansion>;
  /** Education documents of this server, by the url an action's documentation cites. */
  documents: ReadonlyMap<string, { reference: string; url: string; display?: string }>;
  now: string;
}

export interface ApplyResult {
  carePlan: CarePlan;
  /** Problems with the plan's content (conditions or timings that cannot be evaluated). */
  problems: OperationOutcomeIssue[];
}

/**
 * PlanDefinition/$apply for one patient (R4 plandefinition.html#12.18.3.3, operation
 * PlanDefinition-apply): a CarePlan that instantiates the plan, with a contained RequestGroup
 * whose actions mirror the plan's actions that apply to this patient.
 * - Applicability: every `condition` of kind `applicability` (FHIRPath, with %patient,
 *   %response and %order; `memberOf(url)` answered from `valueSets`) must be true (R4: several
 *   conditions combine with AND); a group that does not apply takes its sub-actions with it, and
 *   a group left without sub-actions is dropped. The library writes conditions on answers so
 *   that a step stays in while there is no completed response (docs/content.md).
 * - Timing: offsets from day 0 become dates (action-timing.ts).
 * - Each leaf action gets a contained Task as its `resource` (R4 RequestGroup invariant rqg-1
 *   wants a resource or sub-actions): for a `definitionCanonical` Questionnaire, the
 *   questionnaire-task assignment (SDC); otherwise a to-do for the patient or care team.
 * - Documentation links point at the education documents on this server; the CarePlan lists
 *   them, the order and the response in `supportingInfo`. Plan goals become contained Goals.
 * Pure: the caller looks everything up; nothing is stored.
 */
export function applyPlanDefinition(context: ApplyContext): ApplyResult {
  return new PlanApplier(context).apply();
}

class PlanApplier {
  private readonly problems: OperationOutcomeIssue[] = [];
  private readonly tasks: Task[] = [];
  private readonly usedDocuments = new Map<string, string | undefined>();
  private readonly patientReference: Reference;
  private readonly orderReference: Reference | undefined;
  private readonly canonical: string;
  /** The plan's conditions together may hold the event loop no longer than one request budget. */
  private readonly budget = requestBudget();

  constructor(private readonly context: ApplyContext) {
    const { patient, order, plan } = context;
    this.patientReference = { reference: `Patient/${patient.id}` };
    const name = patient.name?.[0];
    const display = name?.text ?? [name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
    if (display) this.patientReference.display = display;
    this.orderReference = order ? { reference: `${order.resourceType}/${order.id}` } : undefined;
    this.canonical =
      plan.version !== undefined ? `${plan.url}|${plan.version}` : (plan.url ?? `PlanDefinition/${plan.id}`);
  }

  apply(): ApplyResult {
    const { plan, now, practitioner, encounter, response } = this.context;
    const actions = this.actions(plan.action ?? [], 'PlanDefinition');
    const goals = (plan.goal ?? []).map((g, i): Goal => ({
      resourceType: 'Goal',
      id: `goal-${g.id ?? i + 1}`,
      lifecycleStatus: 'proposed',
      ...(g.category ? { category: [g.category] } : {}),
      ...(g.priority ? { priority: g.priority } : {}),
      description: g.description,
      subject: this.patientReference,
    }));
    const requestGroup: RequestGroup = {
      resourceType: 'RequestGroup',
      id: 'request-group',
      instantiatesCanonical: [this.canonical],
      status: 'draft',
      intent: 'plan',
      subject: this.patientReference,
      authoredOn: now,
      action: actions,
    };
    if (this.basedOnOrder()) requestGroup.basedOn = [this.orderReference!];
    if (encounter) requestGroup.encounter = encounter;
    if (practitioner) requestGroup.author = practitioner;

    const supportingInfo: Reference[] = [];
    if (this.orderReference) supportingInfo.push(this.orderReference);
    if (response?.id)
      supportingInfo.push({
        reference: `QuestionnaireResponse/${response.id}`,
        display: 'Pre-op questionnaire answers used to tailor the plan',
      });
    for (const [url, display] of this.usedDocuments) {
      const doc = this.context.documents.get(url)!;
      const label = display ?? doc.display;
      supportingInfo.push({
        reference: doc.reference,
        identifier: { system: 'urn:ietf:rfc:3986', value: url },
        ...(label ? { display: label } : {}),
      });
    }

    const carePlan: CarePlan = {
      resourceType: 'CarePlan',
      contained: [requestGroup, ...goals, ...this.tasks],
      instantiatesCanonical: [this.canonical],
      status: 'draft',
      intent: 'plan',
      subject: this.patientReference,
      created: now,
      activity: [{ reference: { reference: '#request-group', display: plan.title } }],
    };
    if (plan.title) carePlan.title = plan.title;
    if (plan.subtitle) carePlan.description = plan.subtitle;
    if (encounter) carePlan.encounter = encounter;
    if (practitioner) carePlan.author = practitioner;
    const period = span(collectTimings(actions));
    if (period) carePlan.period = period;
    if (goals.length > 0) carePlan.goal = goals.map((g) => ({ reference: `#${g.id}` }));
    if (supportingInfo.length > 0) carePlan.supportingInfo = supportingInfo;
    return { carePlan, problems: this.problems };
  }

  private basedOnOrder(): boolean {
    return this.context.order?.resourceType === 'ServiceRequest';
  }

  private actions(actions: PlanDefinitionAction[], parentPath: string): RequestGroupAction[] {
    const out: RequestGroupAction[] = [];
    actions.forEach((action, i) => {
      const path = `${parentPath}.action[${i}]`;
      if (!this.applies(action, path)) return;
      const applied = this.action(action, path);
      if (applied) out.push(applied);
    });
    return out;
  }

  private applies(action: PlanDefinitionAction, path: string): boolean {
    const { patient, response, order } = this.context;
    let applies = true;
    (action.condition ?? []).forEach((condition, j) => {
      if (condition.kind !== 'applicability') return;
      const location = `${path}.condition[${j}].expression`;
      const expression = condition.expression;
      if (expression?.language !== 'text/fhirpath' || expression.expression === undefined) {
        this.problems.push(
          issue(
            'error',
            'not-supported',
            `Only text/fhirpath conditions can be evaluated (got ${expression?.language ?? 'none'})`,
            location,
          ),
        );
        applies = false;
        return;
      }
      // %patient, %response and %order must all be present, even when empty (fhirpath throws on an unknown variable).
      const result = evaluateCondition(
        expression.expression,
        patient,
        { patient, response: response ?? null, order: order ?? null },
        this.context.valueSets,
        this.budget,
      );
      if (!result.ok) {
        this.problems.push(
          issue(
            'error',
            'processing',
            `The condition of action '${action.id ?? path}' cannot be evaluated: ${result.message}`,
            location,
          ),
        );
        applies = false;
      } else if (!result.value) {
        applies = false;
      }
    });
    return applies;
  }

  private action(action: PlanDefinitionAction, path: string): RequestGroupAction | undefined {
    const out: RequestGroupAction = {};
    if (action.id !== undefined) out.id = action.id;
    if (action.prefix !== undefined) out.prefix = action.prefix;
    if (action.title !== undefined) out.title = action.title;
    if (action.description !== undefined) out.description = action.description;
    if (action.textEquivalent !== undefined) out.textEquivalent = action.textEquivalent;
    if (action.priority !== undefined) out.priority = action.priority;
    if (action.code !== undefined) out.code = action.code;
    if (action.documentation !== undefined)
      out.documentation = action.documentation.map((d) => this.document(d));
    const kept = (action.condition ?? []).filter((c) => c.kind !== 'applicability');
    if (kept.length > 0) out.condition = kept;
    if (action.relatedAction !== undefined) out.relatedAction = action.relatedAction;
    try {
      Object.assign(out, concreteTiming(action, this.context.dayZero));
    } catch (error) {
      if (!(error instanceof TimingError)) throw error;
      this.problems.push(
        issue(
          'error',
          'processing',
          `The timing of action '${action.id ?? path}' cannot be turned into dates: ${error.message}`,
          path,
        ),
      );
    }
    const participants = this.participants(action);
    if (participants.length > 0) out.participant = participants;
    if (action.type !== undefined) out.type = action.type;
    if (action.groupingBehavior !== undefined) out.groupingBehavior = action.groupingBehavior;
    if (action.selectionBehavior !== undefined) out.selectionBehavior = action.selectionBehavior;
    if (action.requiredBehavior !== undefined) out.requiredBehavior = action.requiredBehavior;
    if (action.precheckBehavior !== undefined) out.precheckBehavior = action.precheckBehavior;
    if (action.cardinalityBehavior !== undefined) out.cardinalityBehavior = action.cardinalityBehavior;
    if ((action.action?.length ?? 0) > 0) {
      const children = this.actions(action.action!, path);
      if (children.length === 0) return undefined;
      out.action = children;
    } else {
      const task = this.task(action, out);
      this.tasks.push(task);
      out.resource = { reference: `#${task.id}`, display: task.description };
    }
    return out;
  }

  private participants(action: PlanDefinitionAction): Reference[] {
    const out: Reference[] = [];
    for (const p of action.participant ?? []) {
      if (p.type === 'patient') out.push(this.patientReference);
      else if (p.type === 'practitioner' && this.context.practitioner) out.push(this.context.practitioner);
    }
    return out;
  }

  private document(artifact: RelatedArtifact): RelatedArtifact {
    const found = artifact.url !== undefined ? this.context.documents.get(artifact.url) : undefined;
    if (found === undefined) return artifact;
    if (!this.usedDocuments.has(artifact.url!)) this.usedDocuments.set(artifact.url!, artifact.display);
    return { ...artifact, url: found.url };
  }

  /** The Task behind a leaf action: the questionnaire assignment, or a dated to-do. */
  private task(action: PlanDefinitionAction, applied: RequestGroupAction): Task {
    const { practitioner, now } = this.context;
    const questionnaire =
      action.definitionCanonical !== undefined
        ? this.context.questionnaires.get(action.definitionCanonical)
        : undefined;
    const key = (action.id ?? String(this.tasks.length + 1)).slice(0, 50);
    const period =
      applied.timingPeriod ??
      (applied.timingDateTime !== undefined
        ? { start: applied.timingDateTime, end: applied.timingDateTime }
        : undefined);
    const task: Task = {
      resourceType: 'Task',
      id: `${questionnaire ? 'questionnaire' : 'step'}-${key}`,
      status: 'draft',
      intent: questionnaire ? 'order' : 'plan',
      description: action.title ?? action.description ?? action.textEquivalent,
      for: this.patientReference,
      authoredOn: now,
    };
    if (this.basedOnOrder()) task.basedOn = [this.orderReference!];
    if (practitioner) task.requester = practitioner;
    const concern = (action.code ?? [])
      .flatMap((c) => c.coding ?? [])
      .find((c) => c.system === PREOP_CONCERN_SYSTEM);
    if (concern) task.reasonCode = { coding: [concern] };
    if (questionnaire) {
      // The questionnaire-task profile wants a requester; claim it only when there is one.
      if (practitioner) task.meta = { profile: [QUESTIONNAIRE_TASK_PROFILE] };
      task.code = {
        coding: [
          { system: WORKFLOW_TASK_SYSTEM, code: COMPLETE_QUESTIONNAIRE, display: 'Complete questionnaire' },
        ],
      };
      task.focus = {
        reference: `Questionnaire/${questionnaire.id}`,
        ...(questionnaire.title ? { display: questionnaire.title } : {}),
      };
      task.owner = this.patientReference;
      task.input = [
        { type: { coding: [SDC_INPUT_QUESTIONNAIRE] }, valueCanonical: action.definitionCanonical },
      ];
      const due = period?.end ?? period?.start;
      if (due) task.executionPeriod = { end: due };
      return task;
    }
    if (action.code?.[0]) task.code = action.code[0];
    const owner = applied.participant?.[0];
    if (owner) task.owner = owner;
    if (period) task.executionPeriod = period;
    return task;
  }
}

function collectTimings(actions: RequestGroupAction[]): RequestGroupAction[] {
  return actions.flatMap((a) => [a, ...collectTimings(a.action ?? [])]);
}
