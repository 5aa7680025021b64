/**
 * Resource validation against the base R4 specification and our profiles. Pure: it knows
 * neither HTTP nor SQL; the server builds one validator at start-up and calls `validate` on
 * every write and from `$validate`.
 *
 * Built on @medplum/core's R4 types and FHIRPath engine, with our own walk (base-checks.ts),
 * profile rules compiled from the snapshots (profile-check.ts) and invariant failures confirmed
 * with the `fhirpath` package (invariants.ts): docs/decisions/validator.md says why.
 *
 * Every issue is an OperationOutcome issue with a severity, a code from
 * http://hl7.org/fhir/issue-type (invalid, required, structure, value, invariant,
 * code-invalid, not-supported, processing), `diagnostics`, and `expression` = the FHIRPath
 * location of the problem (`PlanDefinition.action[0].title`).
 */
import type { CodeSystem, ElementDefinition, OperationOutcomeIssue, Resource, StructureDefinition, ValueSet } from 'fhir/r4';
import { indexStructureDefinitionBundle } from '@medplum/core';
import { baseDefinitions, coreExtensionDefinitions, coreTypeSchema, indexResourceTypesIn } from './base-definitions';
import { checkAgainstBase } from './base-checks';
import { checkSpecRules } from './spec-rules';
import { dedupeIssues, validationIssue } from './issues';
import { choiceSuffixType, isJsonObject, type JsonObject } from './json-values';
import { compileProfile, type CompiledProfile } from './profile-check';
import { Terminology } from './terminology';

/** The canonical base of the library: every url of our material starts with it. */
export const LIBRARY_CANONICAL_BASE = 'https://patient-education.dev/fhir';
const BASE = `${LIBRARY_CANONICAL_BASE}/StructureDefinition`;
const EDUCATION_CODE_SYSTEMS = new Set([
  `${LIBRARY_CANONICAL_BASE}/CodeSystem/document-category`,
  `${LIBRARY_CANONICAL_BASE}/CodeSystem/education-section`,
]);

/**
 * The education profile of each type, checked on education material of that type even when it
 * does not claim it (see isEducationMaterial); other resources of these types are base R4.
 */
export const ENFORCED_PROFILES: Readonly<Record<string, string>> = {
  PlanDefinition: `${BASE}/education-plandefinition`,
  DocumentReference: `${BASE}/education-documentreference`,
  Questionnaire: `${BASE}/preop-questionnaire`,
};

export interface ValidateOptions {
  /** Profiles to check besides those claimed in meta.profile (the `profile` parameter of $validate). */
  profiles?: readonly string[];
}

export interface ResourceValidator {
  /** All problems found; an empty array means valid. Issues of severity `warning` do not make a resource invalid. */
  validate(resource: unknown, options?: ValidateOptions): OperationOutcomeIssue[];
  /** Canonical URLs of the resource profiles and extensions this validator checks. */
  readonly profileUrls: readonly string[];
  /** Our resource profiles with the type they constrain (for CapabilityStatement.rest.resource.supportedProfile). */
  readonly resourceProfiles: ReadonlyArray<{ url: string; type: string }>;
}

export interface ValidatorConfig {
  /** Resource type → profile checked on every resource of that type. Defaults to ENFORCED_PROFILES. */
  enforcedProfiles?: Readonly<Record<string, string>>;
}

/** True when the issues contain an error or a fatal issue, i.e. the resource must be refused. */
export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/**
 * Builds a validator from our conformance resources (the files of profiles/, and any other
 * ValueSets and CodeSystems, e.g. from content/). StructureDefinitions must carry a snapshot.
 * Reading and indexing the core definitions takes a few hundred milliseconds once per process
 * (each resource type is indexed when first met, a few milliseconds); validation after that
 * takes about a millisecond per resource.
 */
export function createValidator(
  conformanceResources: readonly Resource[],
  config: ValidatorConfig = {},
): ResourceValidator {
  const base = baseDefinitions();
  const ours = conformanceResources.filter(
    (r): r is StructureDefinition =>
      r.resourceType === 'StructureDefinition' && (r as StructureDefinition).derivation === 'constraint',
  );
  const ourTerminology = conformanceResources.filter(
    (r): r is ValueSet | CodeSystem => r.resourceType === 'ValueSet' || r.resourceType === 'CodeSystem',
  );
  const terminology = new Terminology([...base.terminology, ...ourTerminology]);
  for (const sd of ours) {
    if (!sd.snapshot?.element?.length) {
      throw new Error(
        `StructureDefinition ${sd.url} has no snapshot (run: npx tsx src/content/build-snapshots.ts)`,
      );
    }
  }
  // Also known to @medplum/core (isProfileLoaded, ...), though our checks do not depend on it:
  // a profile it cannot parse (e.g. a `type` discriminator) is still checked by profile-check.ts.
  for (const sd of ours) {
    try {
      indexStructureDefinitionBundle([sd] as Parameters<typeof indexStructureDefinitionBundle>[0]);
    } catch {
      // not indexed by medplum; see above
    }
  }

  const profileTypes = new Map(ours.map((sd) => [sd.url, sd.type]));
  const context = {
    terminology,
    baseElementsByPath: base.elementsByPath,
    resourceTypeOfProfile: (url: string) => profileTypes.get(url) ?? base.typeOfProfile.get(url),
  };
  const profiles = new Map<string, CompiledProfile>();
  const extensions = new Map<string, CompiledProfile>();
  for (const sd of ours) {
    const compiled = compileProfile(sd, context);
    (sd.type === 'Extension' ? extensions : profiles).set(compiled.url, compiled);
  }
  const enforced = config.enforcedProfiles ?? ENFORCED_PROFILES;

  // Core profiles (e.g. shareablecodesystem) are compiled the first time a resource claims one.
  // One whose snapshot uses a slicing we do not support stays unchecked (undefined).
  const coreProfiles = new Map<string, CompiledProfile | undefined>();
  const findProfile = (url: string): CompiledProfile | undefined => {
    const own = profiles.get(url);
    if (own) return own;
    if (!coreProfiles.has(url)) {
      const sd = base.resourceProfiles.get(url);
      let compiled: CompiledProfile | undefined;
      if (sd) {
        try {
          compiled = compileProfile(sd, context);
        } catch {
          compiled = undefined;
        }
      }
      coreProfiles.set(url, compiled);
    }
    return coreProfiles.get(url);
  };

  // Core extension definitions are compiled the first time an extension with their url is met.
  // Their contexts name datatypes and `Element` as well as paths: checked by coreContextProblem.
  const coreExtensions = new Map<string, ExtensionDefinition | undefined>();
  const findExtension = (url: string): ExtensionDefinition | undefined => {
    const own = extensions.get(url);
    if (own || !url.startsWith('http://hl7.org/fhir/StructureDefinition/')) return own;
    if (!coreExtensions.has(url)) {
      const sd = coreExtensionDefinitions().get(url);
      let compiled: ExtensionDefinition | undefined;
      try {
        compiled = sd ? { ...compileProfile(sd, context), contexts: [], coreContexts: elementContexts(sd) } : undefined;
      } catch {
        compiled = undefined;
      }
      coreExtensions.set(url, compiled);
    }
    return coreExtensions.get(url);
  };

  return {
    profileUrls: [...profiles.keys(), ...extensions.keys()],
    resourceProfiles: [...profiles.values()].map((p) => ({ url: p.url, type: p.type })),
    validate(resource, options = {}) {
      if (!isJsonObject(resource)) {
        return [validationIssue('invalid', 'A resource must be a JSON object', 'Resource')];
      }
      const resourceType = resource.resourceType;
      if (typeof resourceType !== 'string' || resourceType === '') {
        return [validationIssue('required', 'The resource has no resourceType', 'Resource')];
      }
      const schema = coreTypeSchema(resourceType);
      if (
        !schema ||
        schema.kind !== 'resource' ||
        resourceType === 'Resource' ||
        resourceType === 'DomainResource'
      ) {
        const location = /^[A-Z][A-Za-z]+$/.test(resourceType) ? resourceType : 'Resource';
        return [validationIssue('invalid', `Unknown resource type '${resourceType}'`, location)];
      }

      indexResourceTypesIn(resource);
      const issues = checkAgainstBase(resource, terminology);
      issues.push(...checkSpecRules(resource, resourceType));
      for (const claim of profileClaims(resource, resourceType, options, enforced)) {
        const profile = findProfile(claim.url);
        if (!profile) {
          const known = extensions.has(claim.url) ? ' (it is an extension definition)' : '';
          issues.push(
            validationIssue(
              'not-supported',
              `Profile ${claim.url} is not known to this server${known}`,
              claim.location,
              claim.explicit ? 'error' : 'warning',
            ),
          );
          continue;
        }
        if (profile.type !== resourceType) {
          issues.push(
            validationIssue(
              'invalid',
              `Profile ${claim.url} constrains ${profile.type}, not ${resourceType}`,
              claim.location,
            ),
          );
          continue;
        }
        issues.push(...profile.check(resource, resourceType, resource));
      }
      issues.push(...checkExtensions(resource, resourceType, findExtension, base.elementsByPath));
      return dedupeIssues(issues);
    },
  };
}

interface ProfileClaim {
  url: string;
  location: string;
  /** Asked for by the caller ($validate) rather than claimed by the resource or enforced. */
  explicit: boolean;
}

function profileClaims(
  resource: JsonObject,
  resourceType: string,
  options: ValidateOptions,
  enforced: Readonly<Record<string, string>>,
): ProfileClaim[] {
  const claims = new Map<string, ProfileClaim>();
  const meta = isJsonObject(resource.meta) ? resource.meta : {};
  const claimed = Array.isArray(meta.profile) ? meta.profile : [];
  claimed.forEach((url, i) => {
    if (typeof url === 'string') {
      const canonical = url.split('|')[0];
      claims.set(canonical, {
        url: canonical,
        location: `${resourceType}.meta.profile[${i}]`,
        explicit: false,
      });
    }
  });
  for (const url of options.profiles ?? []) {
    const canonical = url.split('|')[0];
    if (!claims.has(canonical))
      claims.set(canonical, { url: canonical, location: resourceType, explicit: true });
  }
  const always = enforced[resourceType];
  if (always && !claims.has(always) && isEducationMaterial(resource))
    claims.set(always, { url: always, location: resourceType, explicit: false });
  return [...claims.values()];
}

/**
 * Education material: a resource whose canonical `url` is under the library's base, or that
 * carries one of our education codes (the patient-education document category, an education
 * section) in `category`, `type` or `topic`. A scanned consent or a clinic letter
 * (DocumentReference), a hospital's own order set (PlanDefinition) or form (Questionnaire) is
 * none of these and is checked against base R4 and the profiles it claims only.
 */
export function isEducationMaterial(resource: JsonObject): boolean {
  if (typeof resource.url === 'string' && resource.url.startsWith(`${LIBRARY_CANONICAL_BASE}/`)) return true;
  const concepts = ['category', 'type', 'topic'].flatMap((key) => {
    const value = resource[key];
    return Array.isArray(value) ? value : [value];
  });
  return concepts.some(
    (concept) =>
      isJsonObject(concept) &&
      Array.isArray(concept.coding) &&
      concept.coding.some((coding) => isJsonObject(coding) && typeof coding.system === 'string' && EDUCATION_CODE_SYSTEMS.has(coding.system)),
  );
}

/**
 * The element contexts of a core extension; undefined when any context is not an element
 * (fhirpath, extension), and for the tooling extensions of StructureDefinitions, whose declared
 * contexts R4's own snapshots do not follow (structuredefinition-fhir-type on
 * ElementDefinition.type, structuredefinition-normative-version on the first element).
 */
function elementContexts(sd: StructureDefinition): string[] | undefined {
  if (/\/(structuredefinition|elementdefinition)-/.test(sd.url)) return undefined;
  const contexts = sd.context ?? [];
  if (contexts.length === 0 || contexts.some((c) => c.type !== 'element')) return undefined;
  return contexts.map((c) => c.expression);
}

type ExtensionDefinition = CompiledProfile & { coreContexts?: string[] };

/** Where a value sits: its path in the resource, its path in the definitions, and its type. */
interface ElementPlace {
  /** `Patient.contact.name` */
  path: string;
  /** Path of its definition: `Patient.contact` for a backbone element, `HumanName` inside a datatype. */
  definition: string;
  /** Its type (`HumanName`, `string`, `BackboneElement`, or a resource type); undefined when unknown. */
  type: string | undefined;
}

const QUANTITY_TYPES = new Set(['Age', 'Count', 'Distance', 'Duration', 'MoneyQuantity', 'SimpleQuantity']);

function childPlace(parent: ElementPlace, name: string, elementsByPath: ReadonlyMap<string, ElementDefinition>): ElementPlace {
  const path = `${parent.path}.${name}`;
  if (parent.type === undefined) return { path, definition: path, type: undefined };
  let element = elementsByPath.get(`${parent.definition}.${name}`);
  let type = element?.type?.length === 1 ? element.type[0].code : undefined;
  if (!element) {
    for (let i = 1; i < name.length; i++) {
      if (!/[A-Z]/.test(name.charAt(i))) continue;
      element = elementsByPath.get(`${parent.definition}.${name.slice(0, i)}[x]`);
      if (element) {
        type = choiceSuffixType(name, name.slice(0, i));
        break;
      }
    }
  }
  if (!element) return { path, definition: path, type: undefined };
  if (element.contentReference) return { path, definition: element.contentReference.slice(1), type: 'BackboneElement' };
  if (type === 'BackboneElement' || type === 'Element') return { path, definition: `${parent.definition}.${name}`, type };
  return { path, definition: type ?? path, type };
}

/**
 * Why a core extension may not sit at `place`, or undefined when one of its contexts allows it
 * (R4 extensibility.html#context: an element path, or a type, `Element` meaning anywhere).
 */
function coreContextProblem(contexts: string[], place: ElementPlace, isResource: boolean): string | undefined {
  if (place.type === undefined) return undefined;
  const allowed = contexts.some(
    (c) =>
      c === 'Element' ||
      c === place.path ||
      c === place.definition ||
      c === place.type ||
      (isResource && (c === 'Resource' || c === 'DomainResource')) ||
      (c === 'BackboneElement' && place.type === 'BackboneElement') ||
      (c === 'Quantity' && QUANTITY_TYPES.has(place.type ?? '')),
  );
  return allowed ? undefined : contexts.join(', ');
}

/** Checks every extension whose url is one of our extension definitions or a core one, wherever it is. */
function checkExtensions(
  resource: JsonObject,
  resourceType: string,
  findExtension: (url: string) => ExtensionDefinition | undefined,
  elementsByPath: ReadonlyMap<string, ElementDefinition>,
): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const visit = (value: unknown, location: string, place: ElementPlace, owner: JsonObject): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${location}[${i}]`, place, owner));
      return;
    }
    if (!isJsonObject(value)) return;
    const isResource = typeof value.resourceType === 'string' && value !== owner;
    const currentOwner = isResource ? value : owner;
    const here: ElementPlace = isResource
      ? { path: String(value.resourceType), definition: String(value.resourceType), type: String(value.resourceType) }
      : place;
    const currentPath = here.path;
    for (const [key, child] of Object.entries(value)) {
      const name = key.startsWith('_') ? key.slice(1) : key;
      const childLocation = `${location}.${name}`;
      if ((name === 'extension' || name === 'modifierExtension') && Array.isArray(child)) {
        child.forEach((extension, i) => {
          if (!isJsonObject(extension) || typeof extension.url !== 'string') return;
          const profile = findExtension(extension.url);
          if (!profile) return;
          const extensionLocation = `${childLocation}[${i}]`;
          const outside = profile.coreContexts
            ? coreContextProblem(profile.coreContexts, here, here.type === String(currentOwner.resourceType) && here.path === here.type)
            : profile.contexts.length && !profile.contexts.includes(currentPath)
              ? profile.contexts.join(', ')
              : undefined;
          if (outside !== undefined) {
            issues.push(
              validationIssue(
                'structure',
                `Extension ${profile.url} is not allowed on ${currentPath} (allowed on ${outside})`,
                extensionLocation,
              ),
            );
          }
          issues.push(...profile.check(extension, extensionLocation, currentOwner));
        });
      }
      visit(child, childLocation, childPlace(here, name, elementsByPath), currentOwner);
    }
  };
  const root = { path: resourceType, definition: resourceType, type: resourceType };
  visit(resource, resourceType, root, resource);
  return issues;
}
