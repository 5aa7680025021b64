import { CompiledQuery } from 'kysely';

/** Where a template takes the n-th value of the query being filled. */
interface Slot {
  slot: number;
}

type TemplateParameter = { constant: unknown } | Slot | { slots: Slot[] };

interface Template {
  sql: string;
  parameters: TemplateParameter[];
}

/** Marks a stand-in value; a request's values never contain U+0000 (the cursor check refuses it too). */
const SENTINEL = '\u0000slot:';

/**
 * Compiled SQL of the hottest statements (read by id, one-code search pages), built once per shape
 * and then filled with each request's values, instead of building and compiling a Kysely tree for
 * every request (about a fifth of a procedure search's CPU in Node).
 *
 * A shape is compiled with stand-in values; each bound parameter of the result must then be
 * exactly a stand-in, an array of stand-ins, or a value free of stand-ins (a constant of the
 * shape). A shape whose SQL transforms a value (a LIKE pattern, a normalised string) cannot be
 * filled and is never cached: `fill` returns undefined and the caller compiles as usual.
 * The key must determine the SQL text for given values: the caller puts in it everything
 * that changes the SQL (types, parameter, limit, which values are present).
 */
export class StatementTemplates {
  private readonly templates = new Map<string, Template | null>();

  constructor(private readonly limit = 1000) {}

  fill(key: string, values: string[], compile: (standIns: string[]) => CompiledQuery): CompiledQuery | undefined {
    let template = this.templates.get(key);
    if (template === undefined) {
      if (this.templates.size >= this.limit) return undefined;
      template = makeTemplate(compile(values.map((_, i) => `${SENTINEL}${i}`)));
      this.templates.set(key, template);
    }
    if (template === null) return undefined;
    const parameters = template.parameters.map((p) => {
      if ('constant' in p) return p.constant;
      if ('slot' in p) return values[p.slot];
      return p.slots.map((s) => values[s.slot]);
    });
    return CompiledQuery.raw(template.sql, parameters);
  }
}

function slotOf(value: unknown): Slot | undefined {
  if (typeof value !== 'string' || !value.startsWith(SENTINEL)) return undefined;
  const slot = Number(value.slice(SENTINEL.length));
  return Number.isInteger(slot) ? { slot } : undefined;
}

function mentionsSentinel(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(SENTINEL);
  if (Array.isArray(value)) return value.some(mentionsSentinel);
  return false;
}

function makeTemplate(compiled: CompiledQuery): Template | null {
  const parameters: TemplateParameter[] = [];
  for (const p of compiled.parameters) {
    const slot = slotOf(p);
    if (slot !== undefined) parameters.push(slot);
    else if (Array.isArray(p) && p.length > 0 && p.every((e) => slotOf(e) !== undefined)) parameters.push({ slots: p.map((e) => slotOf(e)!) });
    else if (mentionsSentinel(p)) return null;
    else parameters.push({ constant: p });
  }
  if (compiled.sql.includes(SENTINEL)) return null;
  return { sql: compiled.sql, parameters };
}
