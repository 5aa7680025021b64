import type { WriteHook } from './write-hooks';

/** The library: public material read thousands of times for each write. */
export const LIBRARY_TYPES = ['PlanDefinition', 'DocumentReference', 'Questionnaire', 'ActivityDefinition', 'Library', 'StructureDefinition', 'SearchParameter', 'CodeSystem', 'ValueSet', 'ConceptMap'];

/** The NOTIFY channel of library writes (every instance's library cache LISTENs on it). */
export const LIBRARY_CHANNEL = 'library_changed';

/** Adds a write hook to every library type. */
export function onLibraryWrite(hooks: Map<string, WriteHook[]>, afterWrite: NonNullable<WriteHook['afterWrite']>): void {
  for (const type of LIBRARY_TYPES) hooks.set(type, [...(hooks.get(type) ?? []), { afterWrite }]);
}

/**
 * Every library write, in any process on a shared database (server or `npm run load`), sends
 * a NOTIFY in its transaction, delivered to the listening instances when it commits.
 */
export function announceLibraryWrites(hooks: Map<string, WriteHook[]>): void {
  onLibraryWrite(hooks, async (_event, service) => {
    await service.repository.notify(LIBRARY_CHANNEL);
  });
}
