/**
 * npm run client -- <command> [options]
 *
 * Manages the clients of the built-in SMART Backend Services token endpoint, in the
 * configured database (DATABASE_URL, or PGLITE_DIR: stop the server first, PGlite takes one
 * process at a time and refuses a second, src/store/pglite-lock.ts).
 *
 *   register --id <client_id> (--jwks-file <file> | --jwks-url <url>) --scope "<scopes>"
 *            [--patient <Patient id>] [--fhir-user <Practitioner/123>]
 *       Adds a client, or replaces its registration. --scope is the most its tokens may
 *       grant, e.g. "system/*.rs system/Task.cu". --patient fixes the patient that
 *       patient/ scopes reach.
 *   list                     Lists the clients.
 *   disable --id <client_id> / enable --id <client_id>
 *   remove --id <client_id>
 *
 * Trusted CDS Hooks clients (EHRs calling /cds-services; docs/cds-hooks.md), by the `iss` of
 * their JWTs:
 *   cds-register --iss <issuer> (--jwks-file <file> | --jwks-url <url>) [--jku <url>]...
 *       Trusts an EHR, or replaces its registration. --jku lists the jku header values its
 *       JWTs may carry (its --jwks-url is always allowed).
 *   cds-list / cds-disable --iss <issuer> / cds-enable --iss <issuer> / cds-remove --iss <issuer>
 *
 * Client-side helpers (no database), for trying the flow from a shell:
 *   keygen --out <prefix> [--alg ES384|RS384]
 *       Writes <prefix>.private.json (keep it) and <prefix>.jwks.json (register it).
 *   assertion --id <client_id> --key <prefix>.private.json --token-url <url>
 *       Prints a fresh client_assertion (5 minutes, new jti) for POST /auth/token.
 *   cds-jwt --iss <issuer> --key <prefix>.private.json --aud <endpoint URL>
 *       Prints a CDS Hooks client JWT (5 minutes, new jti) for a call to that endpoint.
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { ConfigError, loadConfig } from '../config';
import { CdsHooksStore } from '../store/cds-hooks-store';
import { openDatabase } from '../store/database';
import { migrate } from '../store/migrate';
import { checkClientJwks, ClientRegistrationError, ClientRegistry } from '../auth/client-registry';
import { parseScopes } from '../auth/scopes';
import { tokenEndpoint } from '../auth/smart-configuration';

const USAGE = `Usage: npm run client -- <command> [options]
  register --id <client_id> (--jwks-file <file> | --jwks-url <url>) --scope "<scopes>" [--patient <id>] [--fhir-user <Type/id>]
  list
  disable --id <client_id>
  enable --id <client_id>
  remove --id <client_id>
  cds-register --iss <issuer> (--jwks-file <file> | --jwks-url <url>) [--jku <url>]...
  cds-list
  cds-disable --iss <issuer> / cds-enable --iss <issuer> / cds-remove --iss <issuer>
  keygen --out <prefix> [--alg ES384|RS384]
  assertion --id <client_id> --key <prefix>.private.json --token-url <url>
  cds-jwt --iss <issuer> --key <prefix>.private.json --aud <endpoint URL>
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
        out: { type: 'string' },
        alg: { type: 'string' },
        key: { type: 'string' },
        'token-url': { type: 'string' },
        iss: { type: 'string' },
        jku: { type: 'string', multiple: true },
        aud: { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function keygen(prefix: string, alg: string, out: (line: string) => void): Promise<void> {
  if (alg !== 'ES384' && alg !== 'RS384') throw new UsageError('--alg is ES384 or RS384 (the algorithms SMART asks clients to support)');
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  await writeFile(`${prefix}.private.json`, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg }, null, 2), { mode: 0o600 });
  await writeFile(`${prefix}.jwks.json`, JSON.stringify({ keys: [{ ...publicJwk, kid, alg, use: 'sig' }] }, null, 2));
  out(`wrote ${prefix}.private.json (keep it secret) and ${prefix}.jwks.json (register it), kid ${kid}`);
}

/** A JWT signed with a key written by keygen: alg and kid from the key, exp within five minutes, a fresh jti. */
async function signedJwt(keyFile: string, claims: { iss: string; sub?: string; aud: string }): Promise<string> {
  const jwk = JSON.parse(await readFile(keyFile, 'utf8')) as JWK;
  if (typeof jwk.alg !== 'string' || typeof jwk.kid !== 'string') throw new UsageError(`${keyFile} needs "alg" and "kid" (as written by keygen)`);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 240)
    .setJti(randomUUID());
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(await importJWK(jwk, jwk.alg));
}

/** client-confidential-asymmetric: iss = sub = client_id, aud = token URL. */
function clientAssertion(clientId: string, keyFile: string, tokenUrl: string): Promise<string> {
  return signedJwt(keyFile, { iss: clientId, sub: clientId, aud: tokenUrl });
}

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    out(USAGE.trimEnd());
    return;
  }
  const { values } = parseOptions(rest);
  if (command === 'keygen') return keygen(required(values.out, 'out'), values.alg ?? 'ES384', out);
  if (command === 'cds-jwt') {
    out(await signedJwt(required(values.key, 'key'), { iss: required(values.iss, 'iss'), aud: checkUrl(required(values.aud, 'aud'), 'aud') }));
    return;
  }
  if (command === 'assertion') {
    out(await clientAssertion(required(values.id, 'id'), required(values.key, 'key'), required(values['token-url'], 'token-url')));
    return;
  }
  const cdsCommand = command !== undefined && ['cds-register', 'cds-list', 'cds-disable', 'cds-enable', 'cds-remove'].includes(command);
  if (command === undefined || (!cdsCommand && !['register', 'list', 'disable', 'enable', 'remove'].includes(command))) throw new UsageError(`Unknown command "${command ?? ''}"`);

  const config = loadConfig({ ...process.env, LOAD_CONTENT: 'false' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir, poolSize: 1, preparedStatements: config.databasePreparedStatements });
  try {
    await migrate(database);
    if (cdsCommand) return await runCdsCommand(command, values, new CdsHooksStore(database), out);
    const clients = new ClientRegistry(database);
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

type Options = ReturnType<typeof parseOptions>['values'];

function checkUrl(value: string, name: string): string {
  if (!/^https?:\/\/\S+$/.test(value)) throw new UsageError(`--${name} must be an http(s) URL, got "${value}"`);
  return value;
}

async function runCdsCommand(command: string, values: Options, store: CdsHooksStore, out: (line: string) => void): Promise<void> {
  if (command === 'cds-list') {
    const all = await store.listClients();
    if (all.length === 0) out('no CDS clients registered');
    for (const c of all) {
      const keys = c.jwksUrl ?? `${c.jwks?.keys.length ?? 0} key(s)`;
      out(`${c.issuer}\t${c.enabled ? 'enabled' : 'DISABLED'}\t${keys}${c.jkuAllowList.length > 0 ? `\tjku: ${c.jkuAllowList.join(' ')}` : ''}`);
    }
    return;
  }
  const issuer = required(values.iss, 'iss');
  if (command === 'cds-register') {
    if ((values['jwks-file'] === undefined) === (values['jwks-url'] === undefined)) throw new UsageError('Give --jwks-file or --jwks-url');
    const jwks = values['jwks-file'] !== undefined ? checkClientJwks(JSON.parse(await readFile(values['jwks-file'], 'utf8'))) : undefined;
    const jwksUrl = values['jwks-url'] !== undefined ? checkUrl(values['jwks-url'], 'jwks-url') : undefined;
    const jkuAllowList = (values.jku ?? []).map((u) => checkUrl(u, 'jku'));
    await store.registerClient({ issuer, jwks, jwksUrl, jkuAllowList });
    out(`registered CDS client ${issuer}${jkuAllowList.length > 0 ? `, jku allowed: ${jkuAllowList.join(' ')}` : ''}`);
    return;
  }
  const done = command === 'cds-remove' ? await store.removeClient(issuer) : await store.setClientEnabled(issuer, command === 'cds-enable');
  if (!done) throw new UsageError(`No CDS client ${issuer}`);
  out(`${issuer} ${command.slice(4)}d`);
}

run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ClientRegistrationError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`client command failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
