/**
 * npm run cds-report -- [--days <n>]
 *
 * How often the CDS Hooks services offered education, and how often clinicians accepted or
 * overrode it, per service and plan, for the cards offered in the last n days (default 30).
 * Reads the configured database (DATABASE_URL, or PGLITE_DIR with the server stopped).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { CdsHooksStore } from '../store/cds-hooks-store';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { formatReport } from '../web/cds-hooks/feedback-report';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { days: { type: 'string' } }, strict: true });
  const days = values.days === undefined ? 30 : Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ConfigError('--days is a whole number of days from 1 to 3650');
  const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolSize: 1 });
  try {
    await migrate(database);
    const counts = await new CdsHooksStore(database).feedbackCounts(new Date(Date.now() - days * 86_400_000));
    for (const line of formatReport(counts, days)) process.stdout.write(`${line}\n`);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`cds-report failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
});
