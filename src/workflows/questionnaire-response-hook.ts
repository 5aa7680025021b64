import type { OperationOutcomeIssue, Questionnaire, QuestionnaireResponse, Task } from 'fhir/r4';
import type { Logger } from 'pino';
import { issue } from '../fhir/operation-outcome';
import type { ResourceService } from '../services/resource-service';
import type { WriteEvent, WriteHook } from '../services/write-hooks';
import { buildFollowUpTask, chooseAssignment, raisedConcerns, recordResponse } from './assignment';
import { BASE } from './codes';
import { findQuestionnaire, findReferencing, localBases, parseReference, searchResources } from './fhir-lookup';
import { evaluateFollowUpRules } from './follow-up-rules';
import { isCompletedStatus, validateResponseAgainstQuestionnaire } from './response-validation';

export interface QuestionnaireResponseHookOptions {
  logger?: Pick<Logger, 'warn'>;
  /** Clock, for tests. */
  now?: () => string;
}

/**
 * The questionnaire workflow on every write of a QuestionnaireResponse, inside the write's
 * transaction (so a refusal or a failure changes nothing):
 * - validate: the response against its Questionnaire (found by canonical);
 * - afterWrite: the assignment Task records the response (in progress or completed) and, once
 *   the response is complete, each follow-up rule of the Questionnaire that holds raises one
 *   follow-up Task, unless the response already has one for that concern.
 */
export function questionnaireResponseHook(options: QuestionnaireResponseHookOptions = {}): WriteHook {
  const now = options.now ?? (() => new Date().toISOString());
  return {
    async validate(resource, service) {
      const response = resource as QuestionnaireResponse;
      if (response.questionnaire === undefined) {
        const answered = await libraryQuestionnaireAnswered(service, response);
        return answered === undefined ? [] : [unnamedQuestionnaire(answered)];
      }
      const questionnaire = response.questionnaire.startsWith('#')
        ? containedQuestionnaire(response, response.questionnaire.slice(1))
        : await findQuestionnaire(service, response.questionnaire);
      if (questionnaire === undefined) return [unknownQuestionnaire(response.questionnaire)];
      const issues = validateResponseAgainstQuestionnaire(questionnaire, response);
      if (isLibraryQuestionnaire(questionnaire) && parseReference(response.subject?.reference, localBases(service))?.resourceType !== 'Patient') {
        issues.push(
          issue(
            'error',
            'required',
            `A response to Questionnaire ${questionnaire.url} must name its patient in subject (a reference such as Patient/123): without it no assignment is recorded and no follow-up is raised`,
            'QuestionnaireResponse.subject',
          ),
        );
      }
      return issues;
    },
    async afterWrite(event, service) {
      if (event.interaction === 'delete') return;
      await recordAndFollowUp(event, service, now(), options.logger);
    },
  };
}

/**
 * A Questionnaire this server cannot find is a warning, as in the HL7 reference validator: the
 * response is stored unchecked (a `#id` that no contained Questionnaire has is the same).
 */
function unknownQuestionnaire(canonical: string): OperationOutcomeIssue {
  return issue(
    'warning',
    'not-found',
    `Questionnaire ${canonical} is not known to this server, so the answers were not checked against it`,
    'QuestionnaireResponse.questionnaire',
  );
}

function unnamedQuestionnaire(questionnaire: Questionnaire): OperationOutcomeIssue {
  return issue(
    'error',
    'required',
    `The response answers items of Questionnaire ${questionnaire.url} but does not name it in questionnaire: its answers could not be checked nor its assignment recorded`,
    'QuestionnaireResponse.questionnaire',
  );
}

/** One of the library's Questionnaires (its url under the library's canonical base). */
function isLibraryQuestionnaire(questionnaire: Questionnaire): boolean {
  return questionnaire.url?.startsWith(`${BASE}/`) === true;
}

function containedQuestionnaire(response: QuestionnaireResponse, id: string): Questionnaire | undefined {
  return response.contained?.find((r): r is Questionnaire => r.resourceType === 'Questionnaire' && r.id === id);
}

/** An item of a Questionnaire or of a QuestionnaireResponse, as far as its linkIds go. */
interface LinkedItem {
  linkId: string;
  item?: LinkedItem[];
  answer?: Array<{ item?: LinkedItem[] }>;
}

function linkIds(items: LinkedItem[] | undefined, into: Set<string>): Set<string> {
  for (const item of items ?? []) {
    into.add(item.linkId);
    linkIds(item.item, into);
    for (const answer of item.answer ?? []) linkIds(answer.item, into);
  }
  return into;
}

/** The library Questionnaire whose items a response without `questionnaire` answers, if any. */
async function libraryQuestionnaireAnswered(
  service: ResourceService,
  response: QuestionnaireResponse,
): Promise<Questionnaire | undefined> {
  if (!response.item?.length) return undefined;
  const answered = linkIds(response.item, new Set());
  const library = await searchResources<Questionnaire>(service, 'Questionnaire', [['url:below', `${BASE}/Questionnaire`]]);
  return library.find((q) => [...linkIds(q.item, new Set())].some((linkId) => answered.has(linkId)));
}

async function recordAndFollowUp(
  event: WriteEvent,
  service: ResourceService,
  now: string,
  logger: QuestionnaireResponseHookOptions['logger'],
) {
  const response = event.resource as QuestionnaireResponse;
  const subject = parseReference(response.subject?.reference, localBases(service));
  if (response.questionnaire === undefined || subject === undefined) return;
  const questionnaire = await findQuestionnaire(service, response.questionnaire);
  if (questionnaire === undefined) return;
  const complete = isCompletedStatus(response.status);
  const assignment = await recordOnAssignment(service, response, questionnaire, subject, complete, now);
  if (!complete) return;

  const { raised, failed } = evaluateFollowUpRules(questionnaire, response);
  for (const { rule, message } of failed) {
    logger?.warn(
      { questionnaire: questionnaire.url, rule: rule.location, error: message },
      'follow-up rule could not be evaluated',
    );
  }
  if (raised.length === 0) return;
  // One indexed key, filtered here: a search of one equality keeps its plan (see
  // store/search/generic-plan.ts); with the code as well it was planned anew for every response.
  const focused = await findReferencing<Task>(service, 'Task', 'focus', `QuestionnaireResponse/${response.id}`);
  const already = raisedConcerns(focused);
  for (const rule of raised) {
    if (already.has(rule.concern.code!)) continue;
    already.add(rule.concern.code!);
    await service.create(buildFollowUpTask({ response, rule, assignment, now }));
  }
}

/** Finds the assignment the response answers and records the response on it; returns the assignment. */
async function recordOnAssignment(
  service: ResourceService,
  response: QuestionnaireResponse,
  questionnaire: Questionnaire,
  subject: { resourceType: string; id: string },
  complete: boolean,
  now: string,
): Promise<Task | undefined> {
  // Every Task of the subject; chooseAssignment keeps the open questionnaire assignments. One
  // indexed key keeps the search's plan: with code and status as well, PostgreSQL planned it anew
  // for every response (1.3 ms of its time each, a fifth of its work in a bulk load).
  const tasks = await findReferencing<Task>(service, 'Task', 'subject', `${subject.resourceType}/${subject.id}`);
  const chosen = chooseAssignment(tasks, response, questionnaire, localBases(service));
  if (chosen?.id === undefined) return chosen;
  // Re-read under a row lock so a concurrent change of the Task is not overwritten.
  const stored = await service.repository.readForUpdate('Task', chosen.id);
  if (!stored || stored.deleted) return undefined;
  const current = JSON.parse(stored.content) as Task;
  if (chooseAssignment([current], response, questionnaire, localBases(service)) === undefined) return undefined;
  const next = recordResponse(current, response, complete, now);
  if (next !== undefined) await service.update('Task', chosen.id, next);
  return current;
}
