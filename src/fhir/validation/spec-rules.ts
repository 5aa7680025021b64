import type { OperationOutcomeIssue } from 'fhir/r4';
import { collectReferences } from '../references';
import { validationIssue } from './issues';
import { isJsonObject, type JsonObject } from './json-values';
import { ID_CHARS } from '../resource-types';

/** A relative `Type/id` reference. */
const RELATIVE_REFERENCE = new RegExp(`^[A-Z][A-Za-z]+\\/${ID_CHARS}$`);

/** An absolute RESTful URL `{base}/Type/id`: the base is the first group. */
const RESTFUL_FULL_URL = new RegExp(`^(https?:\\/\\/.+)\\/[A-Z][A-Za-z]+\\/${ID_CHARS}$`);

/**
 * Rules of the R4 specification that no invariant expresses, checked as the HL7 reference
 * validator checks them (its type-specific and Bundle checks):
 * - Attachment: a stated `size` must be the size of the decoded `data` (datatypes.html#Attachment);
 * - Bundle (bundle.html): `fullUrl` is absolute (a URL or a urn:uuid:/urn:oid:); no two entries
 *   hold the same resource (type and id) unless it is a history Bundle; the link relation `self`
 *   at most once; in a document, a reference matches at most one entry.
 */
export function checkSpecRules(resource: JsonObject, resourceType: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const visit = (node: unknown, location: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${location}[${i}]`));
      return;
    }
    if (!isJsonObject(node)) return;
    if (typeof node.data === 'string' && typeof node.size === 'number') checkAttachmentSize(node.data, node.size, location, issues);
    if (node.resourceType === 'Bundle') checkBundle(node, location, issues);
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === 'object' && value !== null) visit(value, `${location}.${key}`);
    }
  };
  visit(resource, resourceType);
  return issues;
}

function checkAttachmentSize(data: string, size: number, location: string, issues: OperationOutcomeIssue[]): void {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) return; // a malformed base64Binary is reported by its format check
  const actual = Buffer.from(data, 'base64').length;
  if (actual !== size) {
    issues.push(validationIssue('value', `Attachment.size says ${size} bytes, but data holds ${actual} bytes`, `${location}.size`));
  }
}

function checkBundle(bundle: JsonObject, location: string, issues: OperationOutcomeIssue[]): void {
  const entries = Array.isArray(bundle.entry) ? bundle.entry.filter(isJsonObject) : [];
  const links = Array.isArray(bundle.link) ? bundle.link.filter(isJsonObject) : [];
  const selfLinks = links.filter((l) => l.relation === 'self');
  if (selfLinks.length > 1) {
    issues.push(validationIssue('invalid', `Bundle.link has the relation 'self' ${selfLinks.length} times; it may appear once`, `${location}.link`));
  }
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const here = `${location}.entry[${i}]`;
    if (typeof entry.fullUrl === 'string' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(entry.fullUrl)) {
      issues.push(validationIssue('invalid', `fullUrl "${entry.fullUrl}" is relative; it must be an absolute URL, a urn:uuid: or a urn:oid:`, `${here}.fullUrl`));
    }
    const resource = isJsonObject(entry.resource) ? entry.resource : undefined;
    if (bundle.type === 'history' || !resource || typeof resource.id !== 'string') return;
    const version = isJsonObject(resource.meta) && typeof resource.meta.versionId === 'string' ? resource.meta.versionId : '';
    const key = `${String(resource.resourceType)}/${resource.id}|${version}|${typeof entry.fullUrl === 'string' ? baseOf(entry.fullUrl) : ''}`;
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push(
        validationIssue('invalid', `Entries ${first} and ${i} hold the same resource ${String(resource.resourceType)}/${resource.id}`, `${here}.resource.id`),
      );
    } else seen.set(key, i);
  });
  if (bundle.type === 'document') checkDocumentReferences(entries, location, issues);
}

/** The server base of an absolute RESTful fullUrl (`http://a/fhir/Patient/1` -> `http://a/fhir`); '' otherwise. */
function baseOf(fullUrl: string): string {
  const m = RESTFUL_FULL_URL.exec(fullUrl);
  return m ? m[1] : '';
}

/**
 * A relative reference resolves against the base of its own entry's fullUrl (bundle.html#references);
 * when that does not single out one entry and several entries have the type and id, it is ambiguous.
 */
function checkDocumentReferences(entries: JsonObject[], location: string, issues: OperationOutcomeIssue[]): void {
  const fullUrls = entries.map((e) => (typeof e.fullUrl === 'string' ? e.fullUrl : undefined));
  entries.forEach((entry, i) => {
    const resource = isJsonObject(entry.resource) ? entry.resource : undefined;
    if (!resource || typeof resource.resourceType !== 'string') return;
    const base = fullUrls[i] !== undefined ? baseOf(fullUrls[i]) : '';
    for (const found of collectReferences({ ...resource, resourceType: resource.resourceType })) {
      if (!RELATIVE_REFERENCE.test(found.reference)) continue;
      if (base !== '' && fullUrls.includes(`${base}/${found.reference}`)) continue;
      const matches = fullUrls.filter((url) => url !== undefined && (url === found.reference || url.endsWith(`/${found.reference}`)));
      if (matches.length > 1) {
        issues.push(
          validationIssue(
            'invalid',
            `The reference ${found.reference} matches ${matches.length} entries of the document (${matches.join(', ')})`,
            `${location}.entry[${i}].resource${found.location.slice(resource.resourceType.length)}`,
          ),
        );
      }
    }
  });
}
