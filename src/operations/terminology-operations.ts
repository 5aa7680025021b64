import type { WriteHook } from '../services/write-hooks';
import { LibraryAnswerCache } from '../services/library-answer-cache';
import { expandOperation } from './expand';
import { lookupOperation } from './lookup';
import type { Operation, OperationResult } from './operation';
import { createTranslateOperation } from './translate';
import { validateCodeOperation } from './validate-code';

/** Type-level $translate answers kept at most (each a small Parameters resource). */
const MAX_KEPT_TRANSLATIONS = 2000;

/**
 * The R4 terminology operations on the terminologies the server holds, for one server: `hooks`
 * are its write hooks (a library write drops the kept $translate answers), `sharedStateRefreshMs`
 * how long an answer is kept before another instance's writes must show (SHARED_STATE_REFRESH_MS).
 */
export function terminologyOperations(hooks: Map<string, WriteHook[]>, sharedStateRefreshMs: number): Operation[] {
  const translations = new LibraryAnswerCache<OperationResult>(hooks, sharedStateRefreshMs, MAX_KEPT_TRANSLATIONS);
  return [lookupOperation, expandOperation, validateCodeOperation, createTranslateOperation(translations)];
}
