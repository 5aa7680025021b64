import type { Bundle, Questionnaire, QuestionnaireResponse, Resource } from 'fhir/r4';
import { ID_CHARS } from '../fhir/resource-types';
import { LIBRARY_CANONICAL_BASE } from '../fhir/validation/validator';
import type { ResourceService } from '../services/resource-service';

/**
 * Reads and searches that the workflows need, through the ResourceService (and so inside
 * the caller's transaction when there is one). No SQL here: every lookup is a FHIR search.
 */

/** The matching resources of the first page of a search (`params` as in a query string). */
export async function searchResources<T extends Resource>(
  service: ResourceService,
  resourceType: string,
  params: [string, string][],
): Promise<T[]> {
  return (await searchOnePage<T>(service, resourceType, params)).matches;
}

async function searchOnePage<T extends Resource>(
  service: ResourceService,
  resourceType: string,
  params: [string, string][],
): Promise<{ matches: T[]; nextCursor: string | undefined }> {
  const { request, warnings } = service.search.parse([resourceType], params, true);
  const result = await service.search.search(service.repository, resourceType, request, warnings);
  const bundle = JSON.parse(result.body) as Bundle;
  const matches = (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'match' && e.resource?.resourceType === resourceType)
    .map((e) => e.resource as T);
  const next = bundle.link?.find((l) => l.relation === 'next')?.url;
  return {
    matches,
    nextCursor: next === undefined ? undefined : (new URL(next).searchParams.get('_cursor') ?? undefined),
  };
}

/**
 * Every resource of a type whose reference parameter names a target (`Task`, `subject`,
 * `Patient/1`): the search `Task?subject=Patient/1`, all pages, with the writes of the
 * transaction it runs in (Repository.findReferencing).
 */
export async function findReferencing<T extends Resource>(
  service: ResourceService,
  resourceType: string,
  param: string,
  reference: string,
): Promise<T[]> {
  const found = await service.search.findReferencing(service.repository, resourceType, param, reference);
  return found.map((content) => JSON.parse(content) as T);
}

/**
 * The bases whose absolute references name this server's resources: its own FHIR base and the
 * library's canonical base. A reference under any other base is another server's.
 */
export function localBases(service: ResourceService): string[] {
  return [service.search.baseUrl, LIBRARY_CANONICAL_BASE];
}

/** The resource a literal reference `Type/id` names, or undefined when it is not stored (or deleted). */
export async function readReference<T extends Resource>(
  service: ResourceService,
  reference: string | undefined,
): Promise<T | undefined> {
  const target = parseReference(reference, localBases(service));
  if (target === undefined) return undefined;
  const stored = await service.repository.read(target.resourceType, target.id);
  if (!stored || stored.deleted) return undefined;
  return JSON.parse(stored.content) as T;
}

const REFERENCE = new RegExp(`^(?:(.*)/)?([A-Z][A-Za-z]+)/(${ID_CHARS})(?:/_history/${ID_CHARS})?$`);

/**
 * `Patient/1`, `Patient/1/_history/2` or `{base}/Patient/1` for one of `bases` (by default the
 * library's canonical base; localBases(service) adds the server's own) -> { Patient, 1 }.
 * An absolute reference under any other base names another server's resource: undefined.
 */
export function parseReference(
  reference: string | undefined,
  bases: readonly string[] = [LIBRARY_CANONICAL_BASE],
): { resourceType: string; id: string } | undefined {
  if (reference === undefined) return undefined;
  const m = REFERENCE.exec(reference);
  if (!m || (m[1] !== undefined && !bases.includes(m[1]))) return undefined;
  return { resourceType: m[2], id: m[3] };
}

/** `url|version` -> its parts. */
export function splitCanonical(canonical: string): { url: string; version: string | undefined } {
  const bar = canonical.indexOf('|');
  return bar < 0
    ? { url: canonical, version: undefined }
    : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) };
}

/**
 * The Questionnaire a canonical names (`url` or `url|version`). Without a version, several
 * stored versions are ranked: active first, then the highest `version`, then the newest.
 */
export async function findQuestionnaire(
  service: ResourceService,
  canonical: string,
): Promise<Questionnaire | undefined> {
  return service.repository.readOnce(canonical, 'Questionnaire', () =>
    searchQuestionnaire(service, canonical),
  );
}

async function searchQuestionnaire(
  service: ResourceService,
  canonical: string,
): Promise<Questionnaire | undefined> {
  const { url, version } = splitCanonical(canonical);
  const params: [string, string][] = [['url', url]];
  if (version !== undefined) params.push(['version', version]);
  const found = await searchResources<Questionnaire>(service, 'Questionnaire', params);
  return [...found].sort(compareCanonicalVersions)[0];
}

function compareCanonicalVersions(a: Questionnaire, b: Questionnaire): number {
  const active = Number(b.status === 'active') - Number(a.status === 'active');
  if (active !== 0) return active;
  const version = (b.version ?? '').localeCompare(a.version ?? '', 'en', { numeric: true });
  if (version !== 0) return version;
  return (b.meta?.lastUpdated ?? '').localeCompare(a.meta?.lastUpdated ?? '');
}

/** True when a canonical reference names this resource's url (and version, when both carry one). */
export function canonicalMatches(
  canonical: string | undefined,
  resource: { url?: string; version?: string },
): boolean {
  if (canonical === undefined || resource.url === undefined) return false;
  const { url, version } = splitCanonical(canonical);
  return (
    url === resource.url &&
    (version === undefined || resource.version === undefined || version === resource.version)
  );
}

/**
 * The subject's most recent completed (or amended) response to a Questionnaire: latest
 * `authored` first, then the latest stored.
 */
export async function latestCompletedResponse(
  service: ResourceService,
  subjectReference: string,
  questionnaireUrl: string,
): Promise<QuestionnaireResponse | undefined> {
  const found = await searchResources<QuestionnaireResponse>(service, 'QuestionnaireResponse', [
    ['subject', subjectReference],
    ['questionnaire', splitCanonical(questionnaireUrl).url],
    ['status', 'completed,amended'],
    ['_sort', '-authored,-_lastUpdated'],
    ['_count', '1'],
  ]);
  return found[0];
}
