import type { Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { issue } from '../fhir/operation-outcome';
import { ResourceService, type ServiceDependencies, type WriteResult } from '../services/resource-service';
import type { WriteEvent, WriteHook } from '../services/write-hooks';
import type { HistoryRow, StoredResource } from '../store/repository';
import type { Access } from './access-policy';
import type { AuditAction, AuditTrail } from './audit';
import { forbidden } from './auth-errors';
import type { ClientStorageCap } from './client-storage';
import type { RequestAccess } from './request-access';

/** Allow: what an AuditEvent instance (GET) or the AuditEvent type (GET, POST) still answers. */
function appendOnly(level: 'instance' | 'type'): FhirError {
  return new FhirError(
    405,
    [issue('error', 'not-supported', 'AuditEvents are append-only: they cannot be updated or deleted')],
    { Allow: level === 'instance' ? 'GET, HEAD' : 'GET, HEAD, POST' },
  );
}

/** The request-scoped service is built from the very same dependencies (validator, hooks, extractor) as the plain one. */
export function dependenciesOf(service: ResourceService): ServiceDependencies {
  return service.dependencies;
}

/**
 * The service that stores the server's own AuditEvents: no validator and no hooks. The events
 * are built by audit.ts, not sent by a client, and a write must not fail because a validator
 * disagrees with the record of it (the record and the write commit together).
 */
export function auditService(base: ServiceDependencies): ResourceService {
  return new ResourceService({
    ...base,
    validator: undefined,
    hooks: undefined,
    referentialIntegrity: false,
  });
}

/**
 * Write hooks are the server's own workflow (a QuestionnaireResponse updates its assignment
 * Task): they run with a plain service on the write's transaction, not with the caller's scopes.
 */
function serverAuthorityHooks(
  hooks: Map<string, WriteHook[]> | undefined,
): Map<string, WriteHook[]> | undefined {
  if (hooks === undefined) return undefined;
  const asServer = (service: ResourceService) =>
    service instanceof AuthorizedResourceService ? service.unchecked() : service;
  return new Map(
    [...hooks].map(([type, list]) => [
      type,
      list.map((hook) => ({
        ...(hook.validate
          ? {
              validate: (resource: Resource, service: ResourceService) =>
                hook.validate!(resource, asServer(service)),
            }
          : {}),
        ...(hook.afterWrite
          ? {
              afterWrite: (event: WriteEvent, service: ResourceService) =>
                hook.afterWrite!(event, asServer(service)),
            }
          : {}),
      })),
    ]),
  );
}

/**
 * The ResourceService of one authorized request (res.locals.service). Its Repository carries
 * the request's access policy (RequestAccess), which checks every read, search and write it
 * makes; this service adds what an interaction means: the refusal before any work (401/403),
 * reads outside the grant answer 404, the references a write may hold, and the audit of each
 * write inside its own transaction. Transactions hand out services of this class again, so
 * nested calls (conditional interactions, bundles, operations) are checked the same way.
 */
export class AuthorizedResourceService extends ResourceService {
  /**
   * @param base the dependencies of the context's plain service (dependenciesOf(ctx.service))
   */
  constructor(
    private readonly base: ServiceDependencies,
    readonly access: RequestAccess,
    private readonly auditTrail: AuditTrail,
    private readonly storageCap?: ClientStorageCap,
  ) {
    super({
      ...base,
      repository: base.repository.withRules(access),
      hooks: serverAuthorityHooks(base.hooks),
    });
  }

  /** A plain service on the same connection (and transaction): the server's own authority. */
  unchecked(): ResourceService {
    return new ResourceService({ ...this.base, repository: this.repository.system() });
  }

  private get policy() {
    return this.access.policy;
  }

  override async transaction<T>(work: (service: ResourceService) => Promise<T>): Promise<T> {
    if (this.repository.isTransaction) return work(this);
    return this.repository.transaction((repository) =>
      work(
        new AuthorizedResourceService(
          { ...this.base, repository },
          this.access,
          this.auditTrail,
          this.storageCap,
        ),
      ),
    );
  }

  /** A plain transaction: every write of an authorized request is checked and audited one by one. */
  override async transactionOfManyWrites<T>(work: (service: ResourceService) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  private async within<T>(work: (service: AuthorizedResourceService) => Promise<T>): Promise<T> {
    return this.transaction((service) => work(service as AuthorizedResourceService));
  }

  override async read(resourceType: string, id: string): Promise<StoredResource> {
    this.policy.require(resourceType, 'r', 'Read');
    // The repository reads a resource outside the grant as absent: 404, existence not revealed.
    const stored = await super.read(resourceType, id);
    this.touchContent(resourceType, id, stored.content);
    return stored;
  }

  override async vread(resourceType: string, id: string, versionId: string): Promise<HistoryRow> {
    this.policy.require(resourceType, 'r', 'Read');
    const row = await super.vread(resourceType, id, versionId);
    this.touchContent(resourceType, id, row.content!, row.versionId);
    return row;
  }

  override async create(
    resource: Resource,
    options: { ifNoneExist?: string; id?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resource.resourceType);
    const access = this.policy.require(resource.resourceType, 'c', 'Create');
    this.access.assertWithinCompartment(resource, access, 'Create');
    return this.within((service) => service.createWithin(resource, options, access));
  }

  private async createWithin(
    resource: Resource,
    options: { ifNoneExist?: string; id?: string },
    access: Access,
  ): Promise<WriteResult> {
    await this.access.assertReferencesWithin(this.repository.system(), resource, access, 'Create');
    const result = await super.create(resource, options);
    if (!result.changed) {
      // If-None-Exist found it; reading it back went through read(), which checked `r`.
      return result;
    }
    await this.assertWritten(result, access, 'Create');
    await this.auditWrite('C', 'create', result.resource, result.versionId);
    return result;
  }

  override async update(
    resourceType: string,
    id: string,
    resource: Resource,
    options: { ifMatch?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resourceType);
    if (resourceType === 'AuditEvent') throw appendOnly('instance');
    const access = this.policy.require(resourceType, 'u', 'Update');
    if (resource.resourceType === resourceType)
      this.access.assertWithinCompartment({ ...resource, id }, access, 'Update');
    return this.within((service) => service.updateWithin(resourceType, id, resource, options, access));
  }

  private async updateWithin(
    resourceType: string,
    id: string,
    resource: Resource,
    options: { ifMatch?: string },
    access: Access,
  ): Promise<WriteResult> {
    await this.access.assertReferencesWithin(this.repository.system(), resource, access, 'Update');
    // Refused (403) when the current version is outside the grant.
    if (access.kind !== 'all') await this.repository.readForUpdate(resourceType, id, 'update');
    const result = await super.update(resourceType, id, resource, options);
    if (!result.changed) {
      this.access.touch(result.resource, result.versionId);
      return result;
    }
    await this.assertWritten(result, access, 'Update');
    await this.auditWrite(
      result.status === 201 ? 'C' : 'U',
      result.status === 201 ? 'create' : 'update',
      result.resource,
      result.versionId,
    );
    return result;
  }

  override async conditionalUpdate(
    resourceType: string,
    criteria: string,
    resource: Resource,
    options: { ifMatch?: string } = {},
  ) {
    this.assertType(resourceType);
    if (resourceType === 'AuditEvent') throw appendOnly('type');
    this.policy.require(resourceType, 'u', 'Conditional update');
    // The criteria search sees only what the grant reaches (the repository confines it);
    // the update or create it leads to is checked by update() / create().
    return super.conditionalUpdate(resourceType, criteria, resource, options);
  }

  override async delete(
    resourceType: string,
    id: string,
    options: { ifMatch?: string } = {},
  ): Promise<{ deleted: boolean }> {
    this.assertType(resourceType);
    if (resourceType === 'AuditEvent') throw appendOnly('instance');
    this.policy.require(resourceType, 'd', 'Delete');
    return this.within((service) => service.deleteWithin(resourceType, id, options));
  }

  private async deleteWithin(
    resourceType: string,
    id: string,
    options: { ifMatch?: string },
  ): Promise<{ deleted: boolean }> {
    // Refused (403) when the current version is outside the grant.
    const current = await this.repository.readForUpdate(resourceType, id, 'delete');
    const resource = current ? (JSON.parse(current.content) as Resource) : undefined;
    const result = await super.delete(resourceType, id, options);
    if (result.deleted && current && resource)
      await this.auditWrite('D', 'delete', resource, current.versionId + 1);
    return result;
  }

  override async conditionalDelete(resourceType: string, criteria: string): Promise<{ deleted: boolean }> {
    this.assertType(resourceType);
    if (resourceType === 'AuditEvent') throw appendOnly('type');
    this.policy.require(resourceType, 'd', 'Conditional delete');
    return super.conditionalDelete(resourceType, criteria);
  }

  /** The version just written must itself be within the grant (no writing into another patient's compartment). */
  private async assertWritten(result: WriteResult, access: Access, what: string): Promise<void> {
    if (access.kind === 'all') return;
    if (!(await this.access.storedMeets(this.repository.system(), result.resource, access))) {
      throw forbidden(
        `${what}: the ${result.resource.resourceType} would be outside what the token's scopes allow`,
      );
    }
  }

  private touchContent(resourceType: string, id: string, content: string, version?: number): void {
    if (this.policy.isPublic(resourceType)) {
      this.access.audit.touch(`${resourceType}/${id}`, true);
      return;
    }
    this.access.touch(JSON.parse(content) as Resource, version);
  }

  /**
   * The AuditEvent of a write, in the write's transaction: both commit or neither does. A
   * version written (not a deletion) is charged to the client's storage total first.
   */
  private async auditWrite(
    action: AuditAction,
    interaction: string,
    resource: Resource,
    versionId: number,
  ): Promise<void> {
    const principal = this.policy.principal;
    if (action !== 'D' && principal !== undefined && this.storageCap?.enabled) {
      await this.storageCap.charge(this.repository, principal, Buffer.byteLength(JSON.stringify(resource)));
    }
    this.access.touch(resource, versionId);
    await this.auditTrail.writeWith(auditService({ ...this.base, repository: this.repository.system() }), {
      principal: this.policy.principal,
      request: this.access.audit.request,
      action,
      interaction,
      status: action === 'C' ? 201 : 200,
      failure: undefined,
      entities: [`${resource.resourceType}/${resource.id}/_history/${versionId}`],
      patients: [...this.access.patientsOf(resource)],
      query: undefined,
    });
    this.access.audit.writesAudited++;
  }
}
