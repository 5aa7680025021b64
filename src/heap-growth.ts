import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past its live size before the next full GC, in
 * percent, for each database engine. `npm start` passes `--heap-growing-percent=100` (twice the
 * live size), which saves full GCs on PostgreSQL. On PGlite, PostgreSQL itself lives in the same
 * process (its WASM memory and compiled code take about 100 MB), so the server keeps its heap
 * tighter there: with 25, peak RSS under 32 connections of procedure searches on a 10k store was
 * 267-287 MB against 279-317 MB with 100 (docs/benchmarks.md, item 9), for three more full GCs in
 * 10 s, on a process whose time goes mostly to the WASM PostgreSQL.
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
