import type { Resource } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import type { ReadItem } from '../content/read-resources';
import type { AppExtensions } from '../http/app';
import type { ContextOptions, ServerContext } from './server-context';
import { workflowParts } from '../workflows';
import { buildSecurity } from '../auth/security';
import { createValidator } from '../fhir/validation';
import { patientPages } from '../web/patient';
import { terminologyOperations } from '../operations/terminology-operations';
import { infobuttonRouter } from '../web/infobutton/router';
import { cdsHooksRouter } from '../web/cds-hooks/router';
import { coordinatorApp } from '../web/coordinator';

export interface ServerParts {
  context: ContextOptions;
  app: (ctx: ServerContext) => AppExtensions;
  close?: () => Promise<void>;
}

/**
 * The pluggable parts of the server (validator, operations, workflow hooks, security),
 * built from the configuration and the conformance resources read at start-up.
 */
export async function buildServerParts(config: ServerConfig, logger: Logger, items: ReadItem[]): Promise<ServerParts> {
  const conformance: Resource[] = items.map((i) => i.resource).filter((r): r is Resource => r !== undefined);
  // Validation on every write: base R4 and our profiles from profiles/ (+ content's code systems).
  const validator = createValidator(conformance);
  // Care-coordinator workflows: $apply, $populate, the QuestionnaireResponse hook.
  const workflows = workflowParts({ logger, baseUrl: () => config.baseUrl });
  // Security: SMART authorization, audit trail, rate limit; nothing with AUTH=off.
  const security = buildSecurity(config, logger);
  // Patient pages: the handout page and PDF, /my/plan, /my/questionnaire, Task/$patient-link.
  const patient = patientPages(config);
  return {
    context: {
      validator,
      profiles: validator.resourceProfiles,
      operations: [...workflows.operations, ...terminologyOperations(workflows.hooks, config.sharedStateRefreshMs), ...patient.operations],
      hooks: workflows.hooks,
      security: security.capability,
    },
    app: (ctx) => mergeApps(security.app(ctx), patient.app(ctx), coordinatorApp(ctx), { routes: [infobuttonRouter(ctx), cdsHooksRouter(ctx)] }),
    close: () => security.close(),
  };
}

/** Extensions of several parts in one: their routes and middleware in order, the first search service and gate. */
function mergeApps(...parts: AppExtensions[]): AppExtensions {
  return parts.reduce<AppExtensions>(
    (all, part) => ({
      ...part,
      ...all,
      routes: [...(all.routes ?? []), ...(part.routes ?? [])],
      beforeFhir: [...(all.beforeFhir ?? []), ...(part.beforeFhir ?? [])],
    }),
    {},
  );
}
