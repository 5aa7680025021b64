import { expandOperation } from './expand';
import { lookupOperation } from './lookup';
import type { Operation } from './operation';
import { translateOperation } from './translate';
import { validateCodeOperation } from './validate-code';

/** The R4 terminology operations on the terminologies the server holds. */
export const terminologyOperations: readonly Operation[] = [lookupOperation, expandOperation, validateCodeOperation, translateOperation];
