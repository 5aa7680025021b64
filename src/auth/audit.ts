import type { AuditEvent, AuditEventAgent, AuditEventEntity } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ResourceService } from '../services/resource-service';
import type { Principal } from './principal';
import { ID_CHARS } from '../fhir/resource-types';

/** The fhirUser of a token, `Type/id`: the type is the first group. */
const USER_REFERENCE = new RegExp(`^([A-Za-z]+)\\/${ID_CHARS}$`);

/** R4 AuditEvent.action (audit-event-action): Create, Read/view, Update, Delete, Execute. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';

/** The HTTP request an event is about. */
export interface AuditRequestInfo {
  requestId: string;
  method: string;
  /** The path without the query string (the query goes, encoded, into a query entity). */
  path: string;
  query: string | undefined;
  ip: string | undefined;
}

export interface AuditRecord {
  principal: Principal | undefined;
  request: AuditRequestInfo;
  action: AuditAction;
  /** A code of http://hl7.org/fhir/restful-interaction (read, search-type, create, operation, ...). */
  interaction: string;
  status: number;
  /** Why it failed, for a refused or failed request. */
  failure: string | undefined;
  /** References of the resources touched (`Task/1`, `Task/1/_history/2`). */
  entities: string[];
  /** Ids of the patients whose data it was. */
  patients: string[];
  /** The search or operation parameters, for searches. */
  query: string | undefined;
}

const MAX_ENTITIES = 100;
const AGENT_WHO_TYPES = new Set(['PractitionerRole', 'Practitioner', 'Organization', 'Device', 'Patient', 'RelatedPerson']);
const SYSTEM_OBJECT = { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' };

/** R4 audit-event-outcome: 0 success, 4 minor failure (the request was refused or wrong), 8 serious failure (ours). */
function outcomeOf(status: number): AuditEvent['outcome'] {
  if (status < 400) return '0';
  return status < 500 ? '4' : '8';
}

function agentsOf(principal: Principal | undefined, ip: string | undefined): AuditEventAgent[] {
  const network = ip !== undefined ? { address: ip, type: '2' as const } : undefined;
  if (!principal) return [{ who: { display: 'anonymous (no access token)' }, requestor: true, ...(network ? { network } : {}) }];
  const client: AuditEventAgent = {
    who: { identifier: { system: principal.issuer, value: principal.clientId }, display: `client ${principal.clientId}` },
    requestor: principal.user === undefined,
    ...(principal.subject !== undefined && principal.subject !== principal.clientId ? { altId: principal.subject } : {}),
    ...(network ? { network } : {}),
  };
  if (principal.user === undefined) return [client];
  const userType = USER_REFERENCE.exec(principal.user)?.[1];
  const user: AuditEventAgent = {
    who: userType !== undefined && AGENT_WHO_TYPES.has(userType) ? { reference: principal.user } : { identifier: { value: principal.user } },
    requestor: true,
  };
  return [user, client];
}

/** The R4 AuditEvent of one access (type `rest`, subtype the RESTful interaction). */
export function auditEvent(record: AuditRecord, baseUrl: string): AuditEvent {
  const entities: AuditEventEntity[] = [];
  for (const reference of record.entities.slice(0, MAX_ENTITIES)) entities.push({ what: { reference }, type: SYSTEM_OBJECT });
  for (const patient of record.patients.slice(0, MAX_ENTITIES)) {
    entities.push({
      what: { reference: `Patient/${patient}` },
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
    });
  }
  if (record.query !== undefined) {
    entities.push({
      type: SYSTEM_OBJECT,
      role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '24', display: 'Query' },
      description: `${record.request.method} ${record.request.path}`,
      query: Buffer.from(record.query, 'utf8').toString('base64'),
    });
  }
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: record.interaction }],
    action: record.action,
    recorded: new Date().toISOString(),
    outcome: outcomeOf(record.status),
    agent: agentsOf(record.principal, record.request.ip),
    source: {
      observer: { display: 'patient-education-fhir', identifier: { value: baseUrl } },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '3', display: 'Web Server' }],
    },
  };
  const description = `${record.request.method} ${record.request.path} -> ${record.status} (request ${record.request.requestId})`;
  event.outcomeDesc = record.failure !== undefined ? `${description}: ${record.failure}` : description;
  if (entities.length > 0) event.entity = entities;
  return event;
}

/**
 * What one request touched, collected while it runs and written as one AuditEvent when
 * its response is sent. Writes are audited in their own transaction as they happen.
 */
export class RequestAudit {
  readonly entities: string[] = [];
  readonly patients = new Set<string>();
  /** Writes already audited inside their transaction. */
  writesAudited = 0;
  /** Some non-public resource was read, found or written. */
  touchedProtected = false;
  /** Search or operation parameters. */
  query: string | undefined;
  /** The first refusal's explanation. */
  failure: string | undefined;
  private readonly seen = new Set<string>();

  constructor(readonly request: AuditRequestInfo) {}

  /** `patients` is only asked for while the event has room: a large search page stays cheap. */
  touch(reference: string, isPublic: boolean, patients: () => Iterable<string> = () => []): void {
    if (!isPublic) this.touchedProtected = true;
    if (this.seen.has(reference) || this.entities.length >= MAX_ENTITIES) return;
    this.seen.add(reference);
    this.entities.push(reference);
    for (const p of patients()) this.patients.add(p);
  }
}

/**
 * Writes AuditEvents through a plain (unchecked) ResourceService: the audit trail is the
 * server's own record, not an action of the caller. Writes after the response are tracked
 * so that shutdown can wait for them.
 */
export class AuditTrail {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly service: ResourceService,
    private readonly baseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Inside a write's transaction: fails the write when the event cannot be stored. */
  async writeWith(service: ResourceService, record: AuditRecord): Promise<void> {
    await service.create(auditEvent(record, this.baseUrl));
  }

  /** After a response: never fails the request, but logs loudly. */
  record(record: AuditRecord): void {
    const write = this.service
      .create(auditEvent(record, this.baseUrl))
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.error({ err: error instanceof Error ? error.message : String(error), requestId: record.request.requestId }, 'AuditEvent could not be written');
        },
      );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
