import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past its live size before the next full GC, in
 * percent, for each database engine: `npm start` passes 100; on PGlite, whose WASM PostgreSQL
 * shares the process, the server keeps its heap tighter (docs/decisions/heap-settings.md).
 */
export const PGLITE_HEAP_GROWING_PERCENT = 25;

/**
 * Sets V8's heap growing factor for an embedded (PGlite) server. V8 reads this flag at every full
 * GC, so setting it at run time takes effect from the next one. PostgreSQL servers keep the
 * command line's setting.
 */
export function tuneHeapGrowth(embedded: boolean): void {
  if (embedded) v8.setFlagsFromString(`--heap-growing-percent=${PGLITE_HEAP_GROWING_PERCENT}`);
}
