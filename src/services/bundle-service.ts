import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { asResource } from '../fhir/resource-body';
import { informationOutcome } from '../fhir/operation-outcome';
import { collectReferences } from '../fhir/references';
import { classify, type Interaction } from '../fhir/interaction';
import { isValidId } from '../fhir/resource-types';
import { CreatedMeanwhileError } from '../store/repository';
import {
  storedVersionText,
  type ResourceService,
  type ReturnPreference,
  type WriteResult,
} from './resource-service';

export interface BundleSettings {
  baseUrl: string;
  /** Most entries one Bundle may hold (BUNDLE_MAX_ENTRIES); more is 413 before any entry runs. */
  maxEntries?: number;
}

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** R4 http.html#trules: deletes, then creates, then updates, then reads. */
const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

interface PlannedEntry {
  index: number;
  method: Method;
  url: string;
  resource?: Resource;
  ifNoneExist?: string;
  ifMatch?: string;
  fullUrl?: string;
}

function fail(index: number, error: FhirError): FhirError {
  for (const i of error.outcome.issue) {
    i.expression = (i.expression ?? []).map((e) => `Bundle.entry[${index}].${e}`);
    if (i.expression.length === 0) i.expression = [`Bundle.entry[${index}]`];
    i.diagnostics = `Entry ${index}: ${i.diagnostics ?? ''}`;
  }
  return error;
}

function plan(bundle: Bundle, maxEntries: number | undefined): PlannedEntry[] {
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry))
    throw FhirError.badRequest('Bundle.entry must be an array', 'Bundle.entry');
  const count = bundle.entry?.length ?? 0;
  if (maxEntries !== undefined && count > maxEntries) {
    throw FhirError.of(
      413,
      'too-costly',
      `The Bundle holds ${count} entries; at most ${maxEntries} are accepted (BUNDLE_MAX_ENTRIES): split it`,
      'Bundle.entry',
    );
  }
  return (bundle.entry ?? []).map((entry, index) => {
    const request = entry.request;
    if (!request?.method || !request.url) {
      throw FhirError.badRequest(
        `Entry ${index} needs request.method and request.url`,
        `Bundle.entry[${index}].request`,
      );
    }
    // Own properties only: `toString`, `constructor`, `__proto__` are `in` every object.
    if (typeof request.method !== 'string' || !Object.hasOwn(ORDER, request.method)) {
      throw FhirError.badRequest(
        `Unsupported method "${String(request.method)}": R4 defines GET, HEAD, POST, PUT, DELETE and PATCH`,
        `Bundle.entry[${index}].request.method`,
      );
    }
    const method = request.method as Method;
    if (method === 'PATCH')
      throw FhirError.of(
        400,
        'not-supported',
        'PATCH is not supported',
        `Bundle.entry[${index}].request.method`,
      );
    const resource = entry.resource !== undefined ? asResource(entry.resource) : undefined;
    if ((method === 'POST' || method === 'PUT') && resource === undefined) {
      throw FhirError.badRequest(
        `Entry ${index} (${method}) has no resource`,
        `Bundle.entry[${index}].resource`,
      );
    }
    return {
      index,
      method,
      url: request.url.replace(/^\//, ''),
      resource,
      ifNoneExist: request.ifNoneExist,
      ifMatch: request.ifMatch,
      fullUrl: entry.fullUrl,
    };
  });
}

/** Replaces every string equal to a key of `ids` (urn:uuid: references) anywhere in a value. */
function rewriteReferences<T>(value: T, ids: Map<string, string>): T {
  if (ids.size === 0) return value;
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return ids.get(node) ?? node;
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, walk(v)]),
      );
    }
    return node;
  };
  return walk(value) as T;
}

function rewriteUrl(url: string, ids: Map<string, string>): string {
  let out = url;
  for (const [urn, ref] of ids)
    out = out.split(encodeURIComponent(urn)).join(encodeURIComponent(ref)).split(urn).join(ref);
  return out;
}

export class BundleService {
  constructor(
    private readonly settings: BundleSettings,
    /** A GET or HEAD entry: its interaction (classify) and query. */
    private readonly read: (
      service: ResourceService,
      entry: { interaction: Interaction; query: string | undefined },
    ) => Promise<{ status: number; body: unknown }>,
  ) {}

  /**
   * `returned`: what a write's entry carries besides its response (the client's `Prefer:
   * return=`, R4 http.html#ops): the resource (the default), nothing, or an OperationOutcome.
   */
  async process(
    service: ResourceService,
    body: unknown,
    returned: ReturnPreference = 'representation',
  ): Promise<Bundle> {
    const bundle = asResource(body, 'Bundle') as Bundle;
    if (bundle.type === 'transaction') return this.transaction(service, bundle, returned);
    if (bundle.type === 'batch') return this.batch(service, bundle, returned);
    throw FhirError.badRequest(
      `Only batch and transaction Bundles can be posted to the base, not "${bundle.type}"`,
      'Bundle.type',
    );
  }

  /**
   * All or nothing: one database transaction; the first failure rolls everything back. It is a
   * transaction of many writes (ResourceService.transactionOfManyWrites): the rows of every PUT
   * by id are read and locked in one statement, and the new versions, their history and index
   * rows are written a few statements at a time, whenever something must read them and at the end.
   */
  private async transaction(
    service: ResourceService,
    bundle: Bundle,
    returned: ReturnPreference,
  ): Promise<Bundle> {
    const entries = plan(bundle, this.settings.maxEntries);
    assertUrnReferencesResolve(entries);
    const responses: BundleEntry[] = new Array(entries.length);
    const located = (index: number, error: unknown): unknown => {
      if (error instanceof CreatedMeanwhileError) {
        const [row] = error.rows;
        return fail(
          row.writer ?? index,
          FhirError.conflict(`${row.resourceType}/${row.id} was created by another request meanwhile; retry`),
        );
      }
      return error instanceof FhirError ? fail(index, error) : error;
    };
    try {
      await service.transactionOfManyWrites(async (tx) => {
        // Resolve the ids that urn:uuid: full URLs stand for, before any reference is written.
        const ids = new Map<string, string>();
        for (const e of entries) {
          if (e.method !== 'POST' || !e.fullUrl?.startsWith('urn:uuid:') || !e.resource) continue;
          if (e.ifNoneExist) {
            try {
              const matches = await tx.search.findIds(
                tx.repository,
                e.resource.resourceType,
                rewriteUrl(e.ifNoneExist, ids),
              );
              if (matches.length === 1) {
                ids.set(e.fullUrl, `${e.resource.resourceType}/${matches[0]}`);
                continue;
              }
            } catch (error) {
              throw located(e.index, error);
            }
          }
          ids.set(e.fullUrl, `${e.resource.resourceType}/${randomUUID()}`);
        }
        for (const e of entries) {
          if (e.method !== 'PUT' || !e.fullUrl?.startsWith('urn:uuid:') || !e.resource) continue;
          const target = classify('PUT', `/${splitQuery(e.url)[0]}`);
          if (target.kind === 'update' && target.id !== undefined)
            ids.set(e.fullUrl, `${target.resourceType}/${target.id}`);
        }
        const ordered = [...entries]
          .sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index)
          .map((e) => ({
            ...e,
            url: rewriteUrl(e.url, ids),
            resource: rewriteReferences(e.resource, ids),
            ifNoneExist: e.ifNoneExist && rewriteUrl(e.ifNoneExist, ids),
          }));
        await tx.repository.lockForUpdate(
          ordered.flatMap((e) => (e.method === 'PUT' ? updateTarget(e.url) : [])),
        );
        for (const entry of ordered) {
          const assigned = entry.fullUrl ? ids.get(entry.fullUrl) : undefined;
          tx.repository.writer = entry.index;
          try {
            responses[entry.index] = await this.execute(tx, entry, assigned?.split('/')[1], returned);
          } catch (error) {
            throw located(entry.index, error);
          }
        }
      });
    } catch (error) {
      // The held writes are written at the end: a create another request made meanwhile is found there.
      throw error instanceof CreatedMeanwhileError ? located(entries.length - 1, error) : error;
    }
    return {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: responses,
    };
  }

  /** Each entry on its own: a failure becomes that entry's response, the rest go on. */
  private async batch(service: ResourceService, bundle: Bundle, returned: ReturnPreference): Promise<Bundle> {
    const entries = plan(bundle, this.settings.maxEntries);
    const out: BundleEntry[] = [];
    for (const e of entries) {
      try {
        out.push(await service.transaction((tx) => this.execute(tx, e, undefined, returned)));
      } catch (error) {
        if (!(error instanceof FhirError)) throw error;
        out.push({ response: { status: String(error.status), outcome: error.outcome } });
      }
    }
    return { resourceType: 'Bundle', type: 'batch-response', entry: out };
  }

  private async execute(
    service: ResourceService,
    e: PlannedEntry,
    assignedId: string | undefined,
    returned: ReturnPreference,
  ): Promise<BundleEntry> {
    const [path, query] = splitQuery(e.url);
    const interaction = classify(e.method, `/${path}`, query);
    const { kind, resourceType, id } = interaction;
    const written = (result: WriteResult): BundleEntry => {
      const name = `${result.resource.resourceType}/${result.resource.id}`;
      // Says when an update changed nothing, so a loader can count unchanged resources.
      const outcome = !result.changed
        ? informationOutcome('unchanged: the content equals the stored version')
        : returned === 'OperationOutcome'
          ? informationOutcome(storedVersionText(result))
          : undefined;
      return {
        fullUrl: `${this.settings.baseUrl}/${name}`,
        ...(returned === 'representation' ? { resource: result.resource } : {}),
        response: {
          status: result.status === 201 ? '201 Created' : '200 OK',
          location: `${name}/_history/${result.versionId}`,
          etag: `W/"${result.versionId}"`,
          lastModified: result.lastUpdated,
          ...(outcome ? { outcome } : {}),
        },
      };
    };
    switch (e.method) {
      case 'POST': {
        if (kind !== 'create') throw FhirError.badRequest(`POST ${e.url} is not a create`, 'request.url');
        const resource = asResource(e.resource, resourceType);
        return written(await service.create(resource, { ifNoneExist: e.ifNoneExist, id: assignedId }));
      }
      case 'PUT': {
        if (kind !== 'update' || (interaction.conditional && query === undefined))
          throw FhirError.badRequest(`PUT ${e.url} is not an update`, 'request.url');
        const resource = asResource(e.resource, resourceType);
        if (interaction.conditional)
          return written(
            await service.conditionalUpdate(resourceType!, query!, resource, { ifMatch: e.ifMatch }),
          );
        return written(await service.update(resourceType!, id!, resource, { ifMatch: e.ifMatch }));
      }
      case 'DELETE': {
        if (kind !== 'delete' || (interaction.conditional && query === undefined))
          throw FhirError.badRequest(`DELETE ${e.url} is not a delete`, 'request.url');
        if (interaction.conditional) await service.conditionalDelete(resourceType!, query!);
        else await service.delete(resourceType!, id!, { ifMatch: e.ifMatch });
        return { response: { status: '204 No Content' } };
      }
      case 'GET':
      case 'HEAD': {
        const result = await this.read(service, { interaction, query });
        return { resource: result.body as Resource, response: { status: String(result.status) } };
      }
      default:
        throw FhirError.of(
          400,
          'not-supported',
          `${e.method} is not supported in a Bundle`,
          'request.method',
        );
    }
  }
}

/**
 * A `urn:uuid:` reference must name the fullUrl of an entry of the same transaction
 * (R4 bundle.html#references, http.html#trules): otherwise 400 and nothing is written.
 */
function assertUrnReferencesResolve(entries: PlannedEntry[]): void {
  const defined = new Set(entries.flatMap((e) => (e.fullUrl ? [e.fullUrl] : [])));
  for (const e of entries) {
    if (!e.resource) continue;
    const missing = collectReferences(e.resource).find(
      (r) => r.reference.startsWith('urn:uuid:') && !defined.has(r.reference),
    );
    if (missing) {
      throw FhirError.badRequest(
        `Entry ${e.index}: ${missing.reference} is the fullUrl of no entry of this transaction`,
        `Bundle.entry[${e.index}].resource${missing.location.slice(e.resource.resourceType.length)}`,
      );
    }
  }
}

/** The resource a `PUT Type/id` names (none for a conditional update). */
function updateTarget(url: string): { resourceType: string; id: string }[] {
  const [path, query] = splitQuery(url);
  const { kind, conditional, resourceType, id } = classify('PUT', `/${path}`, query);
  return query === undefined && kind === 'update' && !conditional && isValidId(id!)
    ? [{ resourceType: resourceType!, id: id! }]
    : [];
}

function splitQuery(url: string): [string, string | undefined] {
  const i = url.indexOf('?');
  return i < 0 ? [url, undefined] : [url.slice(0, i), url.slice(i + 1)];
}
