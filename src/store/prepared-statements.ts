import pg from 'pg';

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

type UntypedQuery = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * A pg Client that sends every preparable `query(text, values)` as a named prepared statement:
 * PostgreSQL parses it once per connection and, after five custom plans, may keep a generic one,
 * so a repeated statement skips the planner (a procedure search on a 1M store planned for
 * 0.25-1.0 ms and executed in 0.1 ms). Statements led by CUSTOM_PLAN_MARK go unnamed.
 * Kysely's driver calls exactly `query(text, values)`.
 *
 * It passes pg a callback and makes the promise itself. Under pg 8.23's own promise (`query()`
 * without a callback) every result outlived the next young-generation collection: a procedure
 * search at one connection promoted 4-5 MB per scavenge (about its last 150 responses' rows) and
 * forced a full mark-compact about once a second, pausing the server for 3-8 ms each time (our
 * p99 at one connection was ten times our p50). With a callback nothing is promoted; the same
 * query through `pool.query`, which passes one too, never had the problem
 * (docs/decisions/prepared-statements.md).
 */
export function namingClient(names: StatementNames): typeof pg.Client {
  class NamingClient extends pg.Client {}
  const send = pg.Client.prototype.query as unknown as UntypedQuery;
  const query: UntypedQuery = function (this: pg.Client, ...args: unknown[]) {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && callback === undefined) {
      const name = names.nameFor(text);
      const config = name !== undefined ? { name, text, values } : { text, values };
      return new Promise((resolve, reject) => {
        send.call(this, config, (error: Error | null, result: unknown) => (error ? reject(error) : resolve(result)));
      });
    }
    return send.apply(this, args);
  };
  NamingClient.prototype.query = query as unknown as pg.Client['query'];
  return NamingClient;
}
