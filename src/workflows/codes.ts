/** Canonical URLs and codes the workflows read and write (docs/conventions.md). */
export const BASE = 'https://patient-education.dev/fhir';

export const WORKFLOW_TASK_SYSTEM = `${BASE}/CodeSystem/workflow-task`;
export const PREOP_CONCERN_SYSTEM = `${BASE}/CodeSystem/preop-concern`;
export const FOLLOW_UP_RULE_URL = `${BASE}/StructureDefinition/follow-up-rule`;
export const QUESTIONNAIRE_TASK_PROFILE = `${BASE}/StructureDefinition/questionnaire-task`;

/** SDC's temporary code system for the questionnaire-task pattern (SDC workflow.html#task-based). */
export const SDC_TEMP_SYSTEM = 'http://hl7.org/fhir/uv/sdc/CodeSystem/temp';

export const COMPLETE_QUESTIONNAIRE = 'complete-questionnaire';
export const REVIEW_PREOP_CONCERN = 'review-preop-concern';

/** Task.input type of the questionnaire to answer, Task.output type of the response (SDC). */
export const SDC_INPUT_QUESTIONNAIRE = {
  system: SDC_TEMP_SYSTEM,
  code: 'questionnaire',
  display: 'Questionnaire',
};
export const SDC_OUTPUT_RESPONSE = {
  system: SDC_TEMP_SYSTEM,
  code: 'questionnaire-response',
  display: 'Questionnaire Response',
};
