/**
 * npm run client -- <command> [options]
 *
 * Manages the clients of the built-in SMART Backend Services token endpoint, in the
 * configured database (DATABASE_URL, or PGLITE_DIR: stop the server first, PGlite takes one
 * process at a time).
 *
 *   register --id <client_id> (--jwks-file <file> | --jwks-url <url>) --scope "<scopes>"
 *            [--patient <Patient id>] [--fhir-user <Practitioner/123>]
 *       Adds a client, or replaces its registration. --scope is the most its tokens may
 *       grant, e.g. "system/*.rs system/Task.cu". --patient fixes the patient that
 *       patient/ scopes reach.
 *   list                     Lists the clients.
 *   disable --id <client_id> / enable --id <client_id>
 *   remove --id <client_id>
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { checkClientJwks, ClientRegistrationError, ClientRegistry } from './client-registry';
import { parseScopes } from './scopes';
import { tokenEndpoint } from './smart-configuration';

const USAGE = `Usage: npm run client -- <command> [options]
  register --id <client_id> (--jwks-file <file> | --jwks-url <url>) --scope "<scopes>" [--patient <id>] [--fhir-user <Type/id>]
  list
  disable --id <client_id>
  enable --id <client_id>
  remove --id <client_id>
`;

class UsageError extends Error {}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        id: { type: 'string' },
        'jwks-file': { type: 'string' },
        'jwks-url': { type: 'string' },
        scope: { type: 'string' },
        patient: { type: 'string' },
        'fhir-user': { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseOptions(rest);
  if (command === undefined || !['register', 'list', 'disable', 'enable', 'remove'].includes(command)) throw new UsageError(`Unknown command "${command ?? ''}"`);

  const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolSize: 1 });
  try {
    await migrate(database.db);
    const clients = new ClientRegistry(database.db);
    switch (command) {
      case 'register': {
        const clientId = required(values.id, 'id');
        const scope = required(values.scope, 'scope');
        const { resources, other } = parseScopes(scope);
        if (other.length > 0) throw new UsageError(`Not SMART clinical scopes: ${other.join(' ')} (e.g. system/*.rs, patient/Task.cruds)`);
        if (resources.some((s) => s.context === 'patient') && values.patient === undefined) {
          out('note: patient/ scopes reach nothing without --patient (the patient of the tokens)');
        }
        if ((values['jwks-file'] === undefined) === (values['jwks-url'] === undefined)) throw new UsageError('Give --jwks-file or --jwks-url');
        const jwks = values['jwks-file'] !== undefined ? checkClientJwks(JSON.parse(await readFile(values['jwks-file'], 'utf8'))) : undefined;
        await clients.register({
          clientId,
          jwks,
          jwksUrl: values['jwks-url'],
          scope: resources.map((s) => s.text).join(' '),
          patient: values.patient,
          fhirUser: values['fhir-user'],
        });
        out(`registered ${clientId}: scope "${scope}"${values.patient ? `, patient ${values.patient}` : ''}`);
        out(`token endpoint: ${tokenEndpoint(config) ?? '(AUTH_BUILTIN_SERVER is off)'}`);
        return;
      }
      case 'list': {
        const all = await clients.list();
        if (all.length === 0) out('no clients registered');
        for (const c of all) {
          const keys = c.jwksUrl ?? `${c.jwks?.keys.length ?? 0} key(s): ${(c.jwks?.keys ?? []).map((k) => k.kid).join(', ')}`;
          out(`${c.clientId}\t${c.enabled ? 'enabled' : 'DISABLED'}\t${c.scope}${c.patient ? `\tpatient ${c.patient}` : ''}\t${keys}`);
        }
        return;
      }
      case 'disable':
      case 'enable': {
        const clientId = required(values.id, 'id');
        if (!(await clients.setEnabled(clientId, command === 'enable'))) throw new UsageError(`No client ${clientId}`);
        out(`${clientId} ${command}d`);
        return;
      }
      case 'remove': {
        const clientId = required(values.id, 'id');
        if (!(await clients.remove(clientId))) throw new UsageError(`No client ${clientId}`);
        out(`${clientId} removed`);
        return;
      }
    }
  } finally {
    await database.close();
  }
}

run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ClientRegistrationError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`client command failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
