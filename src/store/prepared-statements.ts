/** Statements worth preparing: queries and writes. Utility statements (SET, ANALYZE, DDL) run unnamed. */
const PREPARABLE = /^\s*(select|with|insert|update|delete)\b/i;

/**
 * Leads the SQL of a statement that must be planned for each execution's values. Such a statement
 * runs unnamed, and PostgreSQL plans an unnamed statement for the values bound to it every time.
 * A named statement may, after five runs, keep a generic plan made without the values, which is
 * what makes a repeated search cheap, and what makes some searches slow: a generic plan cannot see
 * that one token value (a DocumentReference section type) holds 10% of the table, and on a 1M
 * store `DocumentReference?procedure=…&type=…` went from 0.1 ms to 35 ms under one. The search
 * compiler (store/search/search-query.ts) marks every search but the shapes whose every plan is cheap.
 */
export const CUSTOM_PLAN_MARK = '/* custom plan */ ';

/**
 * Gives each distinct SQL text a stable statement name, up to `limit` texts. Bound values never
 * appear in the text, so the number of texts is the number of query shapes the server builds
 * (a few dozen in practice); the limit only bounds what a connection keeps prepared if some
 * shape varies without end (an OR over n keys), and texts past it run unnamed as before.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly limit: number) {}

  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.names.size >= this.limit || !PREPARABLE.test(text) || text.startsWith(CUSTOM_PLAN_MARK)) return undefined;
    const name = `s${this.names.size}`;
    this.names.set(text, name);
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}
