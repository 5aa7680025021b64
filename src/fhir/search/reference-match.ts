/** In-memory matching of reference filters, owned by the reference type (types/reference.ts). */
export { matchesReferenceFilter, referenceMatches } from './types/reference';
