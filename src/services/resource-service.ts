import { randomUUID } from 'node:crypto';
import type { OperationOutcomeIssue, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { issue } from '../fhir/operation-outcome';
import { collectReferences, localReference } from '../fhir/references';
import { contentChanged, nextLastUpdated, stampResource } from '../fhir/resource-meta';
import { isResourceType, isValidId } from '../fhir/resource-types';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import { DuplicateResourceError, type Repository, type StoredResource } from '../store/repository';
import { hasErrors, type ResourceValidator } from '../fhir/validation/validator';
import type { WriteHook } from './write-hooks';
import type { SearchService } from './search-service';

export interface WriteResult {
  resource: Resource;
  content: string;
  versionId: number;
  lastUpdated: string;
  /** 201 for a new resource, 200 otherwise. */
  status: 200 | 201;
  /** False when an update changed nothing (no new version). */
  changed: boolean;
}

/** What a client asks a write to send back (`Prefer: return=`, R4 http.html#ops). */
export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome';

/** The text of the information outcome for a write that stored a new version. */
export function storedVersionText(result: WriteResult): string {
  return `${result.resource.resourceType}/${result.resource.id} stored as version ${result.versionId}`;
}

export interface ServiceDependencies {
  /** Every read and write goes through it, under its access policy. */
  repository: Repository;
  extractor: IndexValueExtractor;
  /** Structural validation of one resource (base specification and profiles). */
  validator?: Pick<ResourceValidator, 'validate'>;
  hooks?: Map<string, WriteHook[]>;
  search: SearchService;
  /**
   * Referential integrity on write (REFERENTIAL_INTEGRITY): a relative reference `Type/id` must
   * name a live resource when the write's transaction commits, else 422. Absolute URLs,
   * canonicals, `urn:` and contained (`#id`) references are not checked.
   */
  referentialIntegrity?: boolean;
}

/**
 * The FHIR interactions on stored resources: read, vread, create, update, delete and their
 * conditional forms. Validation, index extraction and write hooks run here; every write
 * commits in one transaction with its history and index rows.
 */
export class ResourceService {
  constructor(private readonly deps: ServiceDependencies) {}

  get repository(): Repository {
    return this.deps.repository;
  }

  /** What the service is built from: a service with other rules (authorization) reuses them. */
  get dependencies(): ServiceDependencies {
    return this.deps;
  }

  get search(): SearchService {
    return this.deps.search;
  }

  /** A service whose every call runs in one database transaction. */
  async transaction<T>(work: (service: ResourceService) => Promise<T>): Promise<T> {
    if (this.deps.repository.isTransaction) return work(this);
    return this.deps.repository.transaction((repository) =>
      work(new ResourceService({ ...this.deps, repository })),
    );
  }

  /**
   * A service whose every call runs in one transaction of many writes (a transaction Bundle, a
   * load): the store writes them together, a few statements at a time
   * (Repository.transactionOfManyWrites).
   */
  async transactionOfManyWrites<T>(work: (service: ResourceService) => Promise<T>): Promise<T> {
    if (this.deps.repository.isTransaction) return work(this);
    return this.deps.repository.transactionOfManyWrites((repository) =>
      work(new ResourceService({ ...this.deps, repository })),
    );
  }

  assertType(resourceType: string): void {
    if (!isResourceType(resourceType)) {
      throw FhirError.notFound(`Unknown resource type "${resourceType}"`);
    }
  }

  async read(resourceType: string, id: string): Promise<StoredResource> {
    this.assertType(resourceType);
    const stored = await this.deps.repository.read(resourceType, id);
    if (!stored) throw FhirError.notFound(`${resourceType}/${id} is not known`);
    if (stored.deleted) throw FhirError.gone(`${resourceType}/${id} was deleted`);
    return stored;
  }

  async vread(resourceType: string, id: string, versionId: string) {
    this.assertType(resourceType);
    if (!/^\d+$/.test(versionId))
      throw FhirError.notFound(`Version "${versionId}" of ${resourceType}/${id} is not known`);
    const row = await this.deps.repository.readVersion(resourceType, id, Number(versionId));
    if (!row) throw FhirError.notFound(`Version ${versionId} of ${resourceType}/${id} is not known`);
    if (row.content === null)
      throw FhirError.gone(`Version ${versionId} of ${resourceType}/${id} is a deletion`);
    return row;
  }

  /** Checks a resource (structure, profiles, hooks); throws 422 with every problem. */
  async validate(resource: Resource, profiles?: string[]): Promise<OperationOutcomeIssue[]> {
    const issues = [...(this.deps.validator?.validate(resource, { profiles }) ?? [])];
    for (const hook of this.deps.hooks?.get(resource.resourceType) ?? []) {
      if (hook.validate) issues.push(...(await hook.validate(resource, this)));
    }
    return issues;
  }

  private async assertValid(resource: Resource): Promise<void> {
    const issues = await this.validate(resource);
    if (hasErrors(issues)) throw FhirError.unprocessable(issues);
    await this.checkReferencesAtCommit(resource);
  }

  /**
   * The relative references of a write must name live resources when its transaction commits,
   * so that the entries of a transaction may refer to one another in any order: the targets
   * not found now (Repository.keysToCheckAtCommit) are checked again, all in one statement,
   * before the commit.
   */
  private async checkReferencesAtCommit(resource: Resource): Promise<void> {
    if (!this.deps.referentialIntegrity) return;
    const entry = this.deps.repository.writer;
    const prefix = entry === undefined ? '' : `Bundle.entry[${entry}].`;
    const local = collectReferences(resource).flatMap((found) => {
      const target = localReference(found.reference);
      return target && isResourceType(target.resourceType)
        ? [{ ...target, ...found, location: `${prefix}${found.location}` }]
        : [];
    });
    if (local.length === 0) return;
    const repository = this.deps.repository;
    const pending = await repository.keysToCheckAtCommit(local);
    if (pending.length === 0) return;
    await repository.collectBeforeCommit('references', pending, async (references, committing) => {
      const missing = await committing.missingResources(references);
      if (missing.length === 0) return;
      throw FhirError.unprocessable(
        missing.map((m) =>
          issue(
            'error',
            'not-found',
            `${m.location} refers to ${m.reference}, which does not exist on this server`,
            m.location,
          ),
        ),
      );
    });
  }

  /** create; with `ifNoneExist`, the conditional create of R4 http.html#ccreate. */
  async create(
    resource: Resource,
    options: { ifNoneExist?: string; id?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resource.resourceType);
    return this.transaction(async (service) => {
      if (options.ifNoneExist !== undefined) {
        const matches = await service.search.findIds(
          service.repository,
          resource.resourceType,
          options.ifNoneExist,
        );
        if (matches.length > 1) {
          throw FhirError.preconditionFailed(
            `If-None-Exist matched ${matches.length} resources`,
            'If-None-Exist',
          );
        }
        if (matches.length === 1) {
          const existing = await service.read(resource.resourceType, matches[0]);
          return existingResult(existing);
        }
      }
      return service.insertNew(resource, options.id ?? randomUUID());
    });
  }

  private async insertNew(resource: Resource, id: string): Promise<WriteResult> {
    const lastUpdated = nextLastUpdated();
    const stamped = stampResource(resource, id, 1, lastUpdated);
    await this.assertValid(stamped);
    const content = JSON.stringify(stamped);
    try {
      await this.deps.repository.insert({
        resourceType: stamped.resourceType,
        id,
        versionId: 1,
        lastUpdated,
        content,
        index: this.deps.extractor.extract(stamped),
      });
    } catch (error) {
      if (error instanceof DuplicateResourceError)
        throw FhirError.conflict(`${resource.resourceType}/${id} already exists`);
      throw error;
    }
    await this.runAfterWrite('create', stamped, undefined);
    return { resource: stamped, content, versionId: 1, lastUpdated, status: 201, changed: true };
  }

  /** update (PUT): create-on-update allowed; a new version only when the content changed. */
  async update(
    resourceType: string,
    id: string,
    resource: Resource,
    options: { ifMatch?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resourceType);
    if (resource.resourceType !== resourceType) {
      throw FhirError.badRequest(
        `The body is a ${resource.resourceType}, the URL names ${resourceType}`,
        'resourceType',
      );
    }
    if (resource.id === undefined)
      throw FhirError.badRequest(
        'An update must carry the id of the resource in its body',
        `${resourceType}.id`,
      );
    if (resource.id !== id) {
      throw FhirError.badRequest(
        `The id in the body (${resource.id}) differs from the id in the URL (${id})`,
        `${resourceType}.id`,
      );
    }
    if (!isValidId(id)) throw FhirError.badRequest(`"${id}" is not a valid id`, `${resourceType}.id`);
    return this.transaction(async (service) => {
      const current = await service.repository.readForUpdate(resourceType, id);
      const expected = options.ifMatch !== undefined ? parseETag(options.ifMatch) : undefined;
      if (!current) {
        if (expected !== undefined)
          throw FhirError.preconditionFailed(`${resourceType}/${id} does not exist`, 'If-Match');
        try {
          return await service.insertNew(resource, id);
        } catch (error) {
          // Two creates of one new id at once: the loser retries as an update.
          if (error instanceof FhirError && error.status === 409)
            return service.update(resourceType, id, resource, options);
          throw error;
        }
      }
      if (expected !== undefined && expected !== current.versionId) {
        throw FhirError.preconditionFailed(
          `If-Match names version ${expected} but ${resourceType}/${id} is at version ${current.versionId}`,
          'If-Match',
        );
      }
      const previous = JSON.parse(current.content) as Resource;
      if (!current.deleted && !contentChanged(previous, resource)) {
        await service.assertValid(previous);
        return existingResult(current);
      }
      const versionId = current.versionId + 1;
      const lastUpdated = nextLastUpdated(current.lastUpdated);
      const stamped = stampResource(resource, id, versionId, lastUpdated);
      await service.assertValid(stamped);
      const content = JSON.stringify(stamped);
      await service.repository.replace(current.rid, {
        resourceType,
        id,
        versionId,
        lastUpdated,
        content,
        index: service.deps.extractor.extract(stamped),
      });
      await service.runAfterWrite('update', stamped, current.deleted ? undefined : previous);
      return {
        resource: stamped,
        content,
        versionId,
        lastUpdated,
        status: current.deleted ? 201 : 200,
        changed: true,
      };
    });
  }

  /** Conditional update (PUT [type]?criteria), R4 http.html#cond-update. */
  async conditionalUpdate(
    resourceType: string,
    criteria: string,
    resource: Resource,
    options: { ifMatch?: string } = {},
  ) {
    this.assertType(resourceType);
    return this.transaction(async (service) => {
      const matches = await service.search.findIds(service.repository, resourceType, criteria);
      if (matches.length > 1)
        throw FhirError.preconditionFailed(`The criteria matched ${matches.length} resources`);
      if (matches.length === 0) {
        if (resource.resourceType !== resourceType) {
          throw FhirError.badRequest(
            `The body is a ${resource.resourceType}, the URL names ${resourceType}`,
            'resourceType',
          );
        }
        return service.create(resource, resource.id !== undefined ? { id: resource.id } : {});
      }
      if (resource.id !== undefined && resource.id !== matches[0]) {
        throw FhirError.badRequest(
          `The id in the body (${resource.id}) is not the matching resource (${matches[0]})`,
          `${resourceType}.id`,
        );
      }
      return service.update(resourceType, matches[0], { ...resource, id: matches[0] }, options);
    });
  }

  /**
   * patch (R4 http.html#patch): `apply` changes a copy of the current version, and the result is
   * written as an update — validated like any — in the same transaction. `If-Match` names the
   * version the patch was made against.
   */
  async patch(
    resourceType: string,
    id: string,
    apply: (current: Resource) => Resource,
    options: { ifMatch?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resourceType);
    return this.transaction(async (service) => {
      const current = await service.repository.readForUpdate(resourceType, id);
      if (!current) throw FhirError.notFound(`${resourceType}/${id} is not known`);
      if (current.deleted) throw FhirError.gone(`${resourceType}/${id} was deleted`);
      const expected = options.ifMatch !== undefined ? parseETag(options.ifMatch) : undefined;
      if (expected !== undefined && expected !== current.versionId) {
        throw FhirError.preconditionFailed(
          `If-Match names version ${expected} but ${resourceType}/${id} is at version ${current.versionId}`,
          'If-Match',
        );
      }
      const patched = apply(JSON.parse(current.content) as Resource);
      if (
        typeof patched !== 'object' ||
        patched === null ||
        patched.resourceType !== resourceType ||
        patched.id !== id
      ) {
        throw FhirError.unprocessable([
          issue(
            'error',
            'processing',
            `A patch may not change the resource type or id of ${resourceType}/${id}`,
            `${resourceType}.id`,
          ),
        ]);
      }
      return service.update(resourceType, id, patched, { ifMatch: String(current.versionId) });
    });
  }

  /** Conditional patch (PATCH [type]?criteria): exactly one match is patched. */
  async conditionalPatch(
    resourceType: string,
    criteria: string,
    apply: (current: Resource) => Resource,
    options: { ifMatch?: string } = {},
  ): Promise<WriteResult> {
    this.assertType(resourceType);
    return this.transaction(async (service) => {
      const matches = await service.search.findIds(service.repository, resourceType, criteria);
      if (matches.length > 1)
        throw FhirError.preconditionFailed(`The criteria matched ${matches.length} resources`);
      if (matches.length === 0) throw FhirError.notFound(`No ${resourceType} matches the criteria`);
      return service.patch(resourceType, matches[0], apply, options);
    });
  }

  /** delete: a new version marks the resource deleted; reading it then answers 410. */
  async delete(
    resourceType: string,
    id: string,
    options: { ifMatch?: string } = {},
  ): Promise<{ deleted: boolean }> {
    this.assertType(resourceType);
    return this.transaction(async (service) => {
      const current = await service.repository.readForUpdate(resourceType, id, 'delete');
      if (!current || current.deleted) return { deleted: false };
      const expected = options.ifMatch !== undefined ? parseETag(options.ifMatch) : undefined;
      if (expected !== undefined && expected !== current.versionId) {
        throw FhirError.preconditionFailed(
          `If-Match names version ${expected} but the resource is at ${current.versionId}`,
          'If-Match',
        );
      }
      await service.repository.markDeleted(
        current.rid,
        resourceType,
        id,
        current.versionId + 1,
        nextLastUpdated(current.lastUpdated),
      );
      await service.runAfterWrite('delete', JSON.parse(current.content) as Resource, undefined);
      return { deleted: true };
    });
  }

  async conditionalDelete(resourceType: string, criteria: string): Promise<{ deleted: boolean }> {
    this.assertType(resourceType);
    return this.transaction(async (service) => {
      const matches = await service.search.findIds(service.repository, resourceType, criteria);
      if (matches.length > 1)
        throw FhirError.preconditionFailed(`The criteria matched ${matches.length} resources`);
      if (matches.length === 0) return { deleted: false };
      return service.delete(resourceType, matches[0]);
    });
  }

  private async runAfterWrite(
    interaction: 'create' | 'update' | 'delete',
    resource: Resource,
    previous: Resource | undefined,
  ) {
    for (const hook of this.deps.hooks?.get(resource.resourceType) ?? []) {
      if (hook.afterWrite) await hook.afterWrite({ interaction, resource, previous }, this);
    }
  }
}

function existingResult(stored: StoredResource): WriteResult {
  const resource = JSON.parse(stored.content) as Resource;
  return {
    resource,
    content: stored.content,
    versionId: stored.versionId,
    lastUpdated: resource.meta?.lastUpdated ?? stored.lastUpdated,
    status: 200,
    changed: false,
  };
}

/** `W/"3"`, `"3"` or `3` -> 3 */
export function parseETag(value: string): number {
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  if (!m)
    throw new FhirError(400, [
      issue('error', 'invalid', `If-Match must be a version ETag like W/"3", got "${value}"`, 'If-Match'),
    ]);
  return Number(m[1]);
}
