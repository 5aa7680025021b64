import type { Logger } from 'pino';
import type { Operation } from '../operations/operation';
import type { WriteHook } from '../services/write-hooks';
import { applyOperation } from './apply-operation';
import { populateOperation } from './populate-operation';
import { questionnaireResponseHook } from './questionnaire-response-hook';

/** The care-coordinator workflows: their operations and write hooks, for server-parts.ts. */
export function workflowParts(options: { logger?: Logger; baseUrl: () => string }): {
  operations: Operation[];
  hooks: Map<string, WriteHook[]>;
} {
  return {
    operations: [applyOperation({ baseUrl: options.baseUrl }), populateOperation()],
    hooks: new Map([['QuestionnaireResponse', [questionnaireResponseHook({ logger: options.logger })]]]),
  };
}
